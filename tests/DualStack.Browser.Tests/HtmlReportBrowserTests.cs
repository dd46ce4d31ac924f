using DualStack.Core.Judgement;
using DualStack.Core.Reports;
using DualStack.Core.Results;
using DualStack.Core.Runs;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;
using DualStack.Sandbox;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DualStack.Browser.Tests;

/// <summary>The HTML report as a reviewer uses it, in headless Chromium opened from file://.</summary>
[NonParallelizable]
public sealed class HtmlReportBrowserTests : BrowserTest
{
    private string _reportPath = null!;

    [OneTimeSetUp]
    public async Task WriteReport()
    {
        _reportPath = await HtmlReport.WriteAsync(SampleRuns.Build(), Path.Combine(TempRoot, "sample"), CancellationToken.None);
    }

    [Test]
    public async Task FilterRegression_RefundConversation_ShowsWordDiffAndSkillDiffRow()
    {
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(FileUrl(_reportPath));

        await page.ClickAsync("#filter-regression");

        var conversations = page.Locator("details.conversation");
        var shown = new List<string>();
        for (var i = 0; i < await conversations.CountAsync(); i++)
        {
            var item = conversations.Nth(i);
            if (await item.IsVisibleAsync())
            {
                shown.Add($"{await item.GetAttributeAsync("data-conversation-id")}:{await item.GetAttributeAsync("data-verdict")}");
            }
        }

        Assert.That(shown, Is.EquivalentTo(new[] { $"{SampleRuns.RefundId}:regression", $"{SampleRuns.FailedId}:regression" }));

        var refund = page.Locator($"details.conversation[data-conversation-id='{SampleRuns.RefundId}']");
        await refund.Locator("summary.conv-summary").ClickAsync();
        await Expect(refund).ToHaveAttributeAsync("open", "");
        var turn = refund.Locator(".turn[data-turn='2']");
        await Expect(turn.Locator(".reply-new ins.diff-ins").Filter(new() { HasText = "27.50" })).ToHaveCountAsync(1);
        await Expect(turn.Locator(".reply-old del.diff-del").Filter(new() { HasText = "25.00" })).ToHaveCountAsync(1);
        await Expect(turn.Locator(".reply-old .reply-text")).ToContainTextAsync("for order 4411");
        await Expect(turn.Locator(".reply-new .reply-text")).ToContainTextAsync("for order 4411");
        var marked = await turn.Locator(".replies ins, .replies del").AllInnerTextsAsync();
        Assert.That(marked, Has.None.Contains("for order 4411"), "unchanged words must not be highlighted");
        Assert.That(marked, Has.None.Contains("4411"));

        await Expect(turn.Locator("table.skills tr.diff-row")).ToHaveCountAsync(1);
        await Expect(turn.Locator("table.skills tr.diff-row")).ToHaveAttributeAsync("data-skill", "issue_refund");
        await Expect(turn.Locator("table.skills tr[data-skill='lookup_order']")).Not.ToHaveClassAsync("diff-row");
        await Expect(turn.Locator(".dim-verdict[data-dimension='skills']")).ToContainTextAsync("issue_refund");
        await Expect(turn.Locator(".dim-verdict[data-dimension='skills'] .severity")).ToHaveTextAsync("critical");

        await ScreenshotAsync(page, "report-refund-regression");
    }

    [Test]
    public async Task Search_ConversationId_ShowsOnlyThatConversation()
    {
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(FileUrl(_reportPath));
        var visible = page.Locator("details.conversation:visible");
        await Expect(visible).ToHaveCountAsync(4);

        await page.FillAsync("#search", "UNREACH");

        await Expect(visible).ToHaveCountAsync(1);
        await Expect(visible).ToHaveAttributeAsync("data-conversation-id", SampleRuns.UnreachableId);
        await Expect(page.Locator("#shown-count")).ToHaveTextAsync("1 of 4 conversations shown");

        await page.FillAsync("#search", "headphones");
        await Expect(visible).ToHaveAttributeAsync("data-conversation-id", SampleRuns.RefundId);

        await page.FillAsync("#search", "no-such-conversation");
        await Expect(visible).ToHaveCountAsync(0);
        await Expect(page.Locator("#no-match")).ToBeVisibleAsync();

        await page.FillAsync("#search", string.Empty);
        await Expect(visible).ToHaveCountAsync(4);
    }

    [Test]
    public async Task Open_WholeReportExpanded_RequestsNothingButFileAndData()
    {
        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var urls = new List<string>();
        var problems = new List<string>();
        page.Request += (_, request) => { lock (urls) { urls.Add(request.Url); } };
        page.Console += (_, message) => { if (message.Type is "error" or "warning") { lock (problems) { problems.Add(message.Text); } } };
        page.PageError += (_, error) => { lock (problems) { problems.Add(error); } };

        await page.GotoAsync(FileUrl(_reportPath), new() { WaitUntil = WaitUntilState.NetworkIdle });
        foreach (var filter in new[] { "regression", "error", "notobserved", "noise", "match", "all" })
        {
            await page.ClickAsync($"#filter-{filter}");
        }

        await page.ClickAsync("#expand-all");
        await page.EvaluateAsync("() => document.querySelectorAll('details').forEach(d => d.open = true)");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.That(urls, Is.Not.Empty, "the request listener saw nothing, not even the page itself");
        Assert.That(urls.Where(u => !u.StartsWith("file:", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal)), Is.Empty);
        Assert.That(problems, Is.Empty, "console errors (a CSP violation would show here)");
    }

    [Test]
    public async Task EndToEnd_WrongSkillArgs_PartialRefundListedAsCriticalRegression()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await SampleRuns.DemoWithFaultAsync("wrong-skill-args", timeout.Token);

        var partial = result.Conversations.Single(c => c.Conversation.Id == "partial-refund");
        Assert.That(partial.Verdict, Is.EqualTo(Verdict.Regression), partial.Reason);
        var path = await HtmlReport.WriteAsync(result, Path.Combine(TempRoot, "e2e"), timeout.Token);

        await using var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(FileUrl(path));
        await page.ClickAsync("#filter-regression");

        var listed = page.Locator("details.conversation[data-conversation-id='partial-refund']");
        await Expect(listed).ToBeVisibleAsync();
        await Expect(listed).ToHaveAttributeAsync("data-verdict", "regression");
        await Expect(listed).ToHaveAttributeAsync("data-severity", "critical");
        await Expect(listed.Locator("summary.conv-summary .conv-reason")).ToContainTextAsync("issue_refund");
        await Expect(page.Locator("details.conversation:visible:not([data-verdict='regression'])")).ToHaveCountAsync(0);

        await listed.Locator("summary.conv-summary").ClickAsync();
        await Expect(listed.Locator("table.skills tr.diff-row[data-skill='issue_refund']")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "report-e2e-wrong-skill-args");
    }

    private Task<IBrowserContext> NewContextAsync() =>
        Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });

    private static string FileUrl(string path) => new Uri(path).AbsoluteUri;

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        TestContext.AddTestAttachment(file, name);
    }
}
