using DualStack.Core.Judgement;
using DualStack.Core.Reports;

namespace DualStack.Browser.Tests;

/// <summary>What the HTML report contains, checked on the text (no browser).</summary>
public sealed class HtmlReportRenderTests
{
    [Test]
    public void Render_ScriptInReplyAndBearerInRawResponse_EncodesAndRedacts()
    {
        var memory = SampleRuns.Memory(("prefers email", 0.5));
        const string hostile = "Sure <script>alert(1)</script> done";
        const string raw = "{\"reply\":\"x\",\"debug\":\"Authorization: Bearer abc.def\",\"headers\":{\"authorization\":\"Basic dXNlcjpwYXNz\"},\"note\":\"token Bearer eyJhbGciOi.payload.sig\"}";
        var result = SampleRuns.Single(
            "xss-<b>1</b>",
            "Say <script>alert(1)</script>",
            SampleRuns.Ok("old", "Sure, done", [], memory, 10, raw),
            SampleRuns.Ok("old", "Sure, done", [], memory, 10, raw),
            SampleRuns.Ok("new", hostile, [], memory, 10, "Authorization: Bearer abc.def"));

        var html = HtmlReport.Render(result);

        Assert.That(html, Does.Not.Contain("<script>alert(1)"));
        Assert.That(html, Does.Not.Contain("<b>1</b>"));
        Assert.That(html, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;"));
        Assert.That(html, Does.Contain("xss-&lt;b&gt;1&lt;/b&gt;"));
        Assert.That(html, Does.Not.Contain("Authorization: Bearer abc.def"));
        Assert.That(html, Does.Not.Contain("abc.def"));
        Assert.That(html, Does.Not.Contain("dXNlcjpwYXNz"));
        Assert.That(html, Does.Not.Contain("eyJhbGciOi"));
        Assert.That(html, Does.Contain("[redacted]"));
        Assert.That(CountOccurrences(html, "<script"), Is.EqualTo(1), "only the report's own script");
    }

    [Test]
    public void Render_SampleRun_ListsConversationsWorstFirstWithoutExternalUrls()
    {
        var result = SampleRuns.Build();

        var html = HtmlReport.Render(result);

        var order = new[] { SampleRuns.RefundId, SampleRuns.FailedId, SampleRuns.UnreachableId, SampleRuns.RewordedId }
            .Select(id => html.IndexOf($"data-conversation-id=\"{id}\"", StringComparison.Ordinal)).ToArray();
        Assert.That(order, Is.All.GreaterThan(0));
        Assert.That(order, Is.Ordered, "Regression (critical), Regression, Error, Match");
        Assert.That(result.Conversations.Single(c => c.Conversation.Id == SampleRuns.RewordedId).Verdict, Is.EqualTo(Verdict.Match));
        Assert.That(result.Conversations.Single(c => c.Conversation.Id == SampleRuns.UnreachableId).Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(html, Does.Not.Contain("https://"));
        Assert.That(html, Does.Not.Contain("src=\""));
        Assert.That(html, Does.Not.Contain("@import"));
        Assert.That(html, Does.Contain("id=\"filter-notobserved\""));
        Assert.That(html, Does.Contain("<tr class=\"reported\"><td><code>skills.args:issue_refund.$.amount</code>"));
    }

    [Test]
    public async Task WriteAsync_ExistingReport_ReplacesIndexWithoutLeavingTempFiles()
    {
        var directory = Path.Combine(Path.GetTempPath(), "dualstack-html-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "index.html"), "old");

            var path = await HtmlReport.WriteAsync(SampleRuns.Build(), directory, CancellationToken.None);

            Assert.That(path, Is.EqualTo(Path.Combine(directory, "index.html")));
            Assert.That(await File.ReadAllTextAsync(path), Does.StartWith("<!DOCTYPE html>"));
            Assert.That(Directory.GetFiles(directory), Has.Length.EqualTo(1));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Render_ThousandConversations_StaysFast()
    {
        var sample = SampleRuns.Build();
        var many = Enumerable.Range(0, 250)
            .SelectMany(i => sample.Conversations.Select(c => c with { Conversation = c.Conversation with { Id = $"{c.Conversation.Id}-{i}" } }))
            .ToArray();
        var result = sample with { Conversations = many };
        HtmlReport.Render(sample); // warm up

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var html = HtmlReport.Render(result);
        watch.Stop();

        TestContext.Out.WriteLine($"1,000 conversations: {html.Length / 1024} KB in {watch.ElapsedMilliseconds} ms");
        Assert.That(CountOccurrences(html, "<details class=\"conversation\""), Is.EqualTo(1000));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "generous bound on shared cores; catches quadratic work");
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
