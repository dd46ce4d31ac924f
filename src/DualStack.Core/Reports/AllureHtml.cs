using System.Diagnostics;
using System.Text;

namespace DualStack.Core.Reports;

/// <summary>Outcome of rendering Allure HTML.</summary>
/// <param name="Rendered">True when the report was generated.</param>
/// <param name="ReportPath">The generated report's index.html; null when not rendered.</param>
/// <param name="Message">What happened, for the user (the tool's error output when it failed).</param>
public sealed record AllureHtmlResult(bool Rendered, string? ReportPath, string Message);

/// <summary>
/// Renders <c>allure-results/</c> to HTML with the npm package <c>allure</c> (3.x) when Node is present: a single-file
/// report that opens from file://, optionally keeping history (trends) in a JSONL file between runs.
/// </summary>
public static class AllureHtml
{
    /// <summary>Finds the <c>allure</c> CLI: <c>.tools/node_modules/.bin/allure</c> above the working directory or binaries, then PATH.</summary>
    public static string? FindCli()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "allure");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "allure");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Generates <paramref name="outputDirectory"/>/index.html from <paramref name="resultsDirectory"/>. With
    /// <paramref name="historyPath"/>, Allure appends this run to that JSONL file and shows trends across runs.
    /// Never throws for a missing tool or a failed render: the result says what happened.
    /// </summary>
    public static async Task<AllureHtmlResult> RenderAsync(string resultsDirectory, string outputDirectory, string? historyPath, string reportName, CancellationToken cancellationToken)
    {
        var cli = FindCli();
        if (cli is null)
        {
            return new AllureHtmlResult(false, null, "the npm package 'allure' is not installed (bash scripts/test.sh installs it into .tools/, or: npm install -g allure@3.18.0)");
        }

        if (!Directory.Exists(resultsDirectory))
        {
            return new AllureHtmlResult(false, null, $"no Allure results at {resultsDirectory}");
        }

        var output = Path.GetFullPath(outputDirectory);
        var configDirectory = Directory.CreateTempSubdirectory("dualstack-allure-");
        try
        {
            var config = new StringBuilder()
                .Append("export default {\n")
                .Append("  name: ").Append(JsString(reportName)).Append(",\n")
                .Append("  output: ").Append(JsString(output)).Append(",\n");
            if (historyPath is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(historyPath))!);
                config.Append("  historyPath: ").Append(JsString(Path.GetFullPath(historyPath))).Append(",\n");
            }

            config.Append("  plugins: { awesome: { options: { singleFile: true, reportLanguage: \"en\" } } },\n};\n");
            var configPath = Path.Combine(configDirectory.FullName, "allurerc.mjs");
            await File.WriteAllTextAsync(configPath, config.ToString(), cancellationToken).ConfigureAwait(false);

            var info = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "generate", Path.GetFullPath(resultsDirectory), "--config", configPath, "--output", output })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["NO_COLOR"] = "1";
            info.Environment["ALLURE_NO_ANALYTICS"] = "true";
            using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + cli);
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var index = Path.Combine(output, "index.html");
            if (process.ExitCode != 0 || !File.Exists(index))
            {
                var error = (await stderr.ConfigureAwait(false)).Trim();
                return new AllureHtmlResult(false, null, $"allure generate failed (exit {process.ExitCode}): {(error.Length > 0 ? error : (await stdout.ConfigureAwait(false)).Trim())}");
            }

            await StripAnalyticsAsync(index, cancellationToken).ConfigureAwait(false);
            return new AllureHtmlResult(true, index, $"Allure report: {index}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return new AllureHtmlResult(false, null, "allure could not run: " + ex.Message);
        }
        finally
        {
            configDirectory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Allure 3's awesome plugin always embeds Google Analytics (gtag); a report reviewed offline or behind a firewall
    /// must not call out, so the tag and its inline bootstrap are removed.
    /// </summary>
    internal static async Task StripAnalyticsAsync(string indexPath, CancellationToken cancellationToken)
    {
        var html = await File.ReadAllTextAsync(indexPath, cancellationToken).ConfigureAwait(false);
        var stripped = System.Text.RegularExpressions.Regex.Replace(
            html,
            @"<script[^>]*src=""https://www\.googletagmanager\.com/[^""]*""[^>]*></script>\s*(<script>(?:(?!</script>).)*?gtag\((?:(?!</script>).)*</script>)?",
            string.Empty,
            System.Text.RegularExpressions.RegexOptions.Singleline,
            TimeSpan.FromSeconds(10));
        if (!ReferenceEquals(stripped, html) && stripped.Length != html.Length)
        {
            await File.WriteAllTextAsync(indexPath, stripped, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string JsString(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
