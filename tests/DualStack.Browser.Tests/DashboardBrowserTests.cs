using DualStack.Proxy;
using DualStack.SampleAgent;
using Microsoft.Playwright;

namespace DualStack.Browser.Tests;

/// <summary>The split dashboard driven in Debian's chromium: sign in with the token, change the split, roll back, see the state update.</summary>
public sealed class DashboardBrowserTests
{
    private const string Token = "dashboard-token-42";

    [Test]
    public async Task Dashboard_SignInSetSplitAndRollBack_StateUpdatesInThePage()
    {
        await using var old = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        await using var @new = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions
        {
            Old = old.BaseAddress,
            New = @new.BaseAddress,
            Split = new SplitSettings { InitialPercent = 5, AdminToken = Token },
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(proxy.BaseAddress, "admin/ui").AbsoluteUri);
        Assert.That(await page.Locator("#split-percent").CountAsync(), Is.Zero, "no dashboard before signing in");
        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#login");
        Assert.That(await page.ContentAsync(), Does.Contain("Wrong token"));
        await page.FillAsync("#token", Token);
        await page.ClickAsync("#login");
        await Assertions.Expect(page.Locator("#split-percent")).ToHaveTextAsync("5 %");

        await page.FillAsync("#percent-input", "25");
        await page.ClickAsync("#set-percent");
        await Assertions.Expect(page.Locator("#split-percent")).ToHaveTextAsync("25 %");
        Assert.That(proxy.Split!.State.Snapshot.Percent, Is.EqualTo(25));

        await page.FillAsync("#rollback-reason", "drill from the dashboard");
        await page.ClickAsync("#rollback");
        await Assertions.Expect(page.Locator("#state-banner")).ToContainTextAsync("ROLLED BACK");
        await Assertions.Expect(page.Locator("#history tbody tr").First).ToContainTextAsync("drill from the dashboard");
        Assert.That(proxy.Split.State.Snapshot.RolledBack, Is.True);

        var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots", "dashboard-rolled-back.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        TestContext.AddTestAttachment(screenshot, "dashboard after rollback");
        Assert.That(await page.ContentAsync(), Does.Not.Contain(Token), "the token never appears in the page");
    }
}
