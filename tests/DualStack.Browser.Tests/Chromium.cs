using Microsoft.Playwright;

namespace DualStack.Browser.Tests;

/// <summary>Debian's chromium, launched headless the same way by every browser test (Playwright cannot download a browser here).</summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>Launches headless Chromium, or fails the test with how to install it.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(ExecutablePath))
        {
            Assert.Fail($"{ExecutablePath} not found: the browser tests use Debian's chromium (Playwright cannot download a browser here). Run `bash scripts/test.sh`, which installs it.");
        }

        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }
}
