using System.CommandLine;
using DualStack.Core.Model;
using DualStack.Core.Routing;
using DualStack.Core.Scenarios;
using DualStack.Core.Stacks;

namespace DualStack.Cli;

/// <summary>Parsing shared by the commands: each failure is a <see cref="UsageException"/> naming the option and value.</summary>
internal static class CliArgs
{
    public static Uri Url(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"{option}: '{text}' is not an absolute http(s) URL");

    /// <summary>An optional stack URL: null when not given, else an absolute http(s) URL (checked as <see cref="Url"/>).</summary>
    public static string? OptionalUrl(string? text, string option) => text is null ? null : Url(text, option) is not null ? text : null;

    /// <summary><c>--adapter</c>: null when not given, else one of <see cref="StackOverrides.AdapterNames"/>.</summary>
    public static AdapterKind? Adapter(string? text, string option = "--adapter") =>
        text is null ? null
        : StackOverrides.TryParseAdapter(text, out var adapter) ? adapter
        : throw new UsageException($"{option} '{text}' is not one of {string.Join(", ", StackOverrides.AdapterNames)}");

    /// <summary>An optional text option that must not be blank when given.</summary>
    public static string? NotBlank(string? text, string option) =>
        text is null || !string.IsNullOrWhiteSpace(text) ? text : throw new UsageException($"{option}: '{text}' is empty");

    /// <summary><c>--token-env</c>: null when not given, else the name of an environment variable that is set (its value is never echoed).</summary>
    public static string? TokenVariable(string? variable, string option = "--token-env")
    {
        if (variable is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(variable))
        {
            throw new UsageException($"{option}: '{variable}' is empty; give the name of an environment variable that holds the token");
        }

        return Environment.GetEnvironmentVariable(variable) is not null
            ? variable
            : throw new UsageException($"{option}: environment variable '{variable}' is not set (it should hold the stacks' bearer token)");
    }

    /// <summary><c>--log-format</c> of the commands that run a proxy host.</summary>
    public static Option<string> LogFormatOption() => new("--log-format")
    {
        Description = "Console log lines: text (default, one line each) or json (one JSON object per line, the built-in JSON console formatter)",
        DefaultValueFactory = _ => "text",
    };

    public static Proxy.LogFormat LogFormat(string text, string option = "--log-format") => text.ToLowerInvariant() switch
    {
        "text" => Proxy.LogFormat.Text,
        "json" => Proxy.LogFormat.Json,
        _ => throw new UsageException($"{option}: '{text}' is not one of text, json"),
    };

    /// <summary>Tracing as the <c>OTEL_*</c> variables ask (null = off); a bad value is a usage error naming the variable.</summary>
    public static Proxy.TracingSettings? Tracing()
    {
        try
        {
            return Proxy.TracingSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    public static double Percent(string text, string option)
    {
        try
        {
            return ConversationHash.ParsePercent(text);
        }
        catch (FormatException ex)
        {
            throw new UsageException($"{option}: {ex.Message}");
        }
    }

    /// <summary>A retention period (<c>14d</c>, <c>36h</c>, …) or null when not given.</summary>
    public static TimeSpan? Retention(string? text, string option = "--retain")
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return Core.Capture.CaptureStores.ParseRetention(text, option);
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>The admin token from a file (when given) or an environment variable; never echoed.</summary>
    public static string Token(string? tokenEnv, string? tokenFile)
    {
        try
        {
            return SplitAdminClient.ResolveToken(tokenFile is null ? tokenEnv : null, tokenFile, Environment.GetEnvironmentVariable);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or Core.Config.ConfigException)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>Creates (or truncates) the file an option names, with its folder; a failure is a usage error naming the option and path.</summary>
    public static FileStream CreateFile(string path, string option)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            return File.Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot write '{path}': {ex.Message}");
        }
    }

    /// <summary>
    /// Starts an atomic write of <paramref name="path"/> (see <see cref="AtomicFile"/>); a folder or temp file that cannot
    /// be created is a usage error naming <paramref name="option"/>.
    /// </summary>
    public static AtomicFile CreateAtomicFile(string path, string option)
    {
        try
        {
            return AtomicFile.Create(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot write '{path}': {ex.Message}");
        }
    }
}
