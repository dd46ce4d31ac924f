using Microsoft.Playwright;

namespace DualStack.Browser.Tests;

/// <summary>One headless Chromium per test class and a temp folder for what the class writes; both gone afterwards.</summary>
public abstract class BrowserTest
{
    /// <summary>The class's browser.</summary>
    protected IBrowser Browser { get; private set; } = null!;

    /// <summary>The class's temp folder (deleted after the last test).</summary>
    protected string TempRoot { get; private set; } = null!;

    private IPlaywright? _playwright;

    [OneTimeSetUp]
    public async Task StartBrowser()
    {
        TempRoot = Path.Combine(Path.GetTempPath(), "dualstack-browser-" + Guid.NewGuid().ToString("N")[..8]);
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);
    }

    [OneTimeTearDown]
    public async Task StopBrowser()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (TempRoot is not null && Directory.Exists(TempRoot))
        {
            Directory.Delete(TempRoot, recursive: true);
        }
    }
}
