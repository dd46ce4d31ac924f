using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DualStack.SampleAgent;

/// <summary>Reads <see cref="SampleAgentOptions"/> from command-line arguments and validates them.</summary>
public static class SampleAgentOptionsParser
{
    internal const string KnownProfiles = "v1, v2";

    /// <summary>The <c>--help</c> text: options and every fault knob with what it changes.</summary>
    internal const string Usage = """
        Usage: DualStack.SampleAgent [--profile v1|v2] [--nondeterministic] [--seed N] [--faults a,b]
                                     [--integrations URL] [--urls URL]

          --profile v1|v2       reply wording; v2 rewords every reply, same facts, skills and memory (default v1)
          --nondeterministic    random phrasing variants plus "(ref REF-…, <timestamp>)" in replies
          --seed N              seed for the random choices, to reproduce a run
          --faults a,b          fault knobs (below); change at runtime with POST /v1/admin/faults
          --integrations URL    base URL of orders/refunds/CRM/e-mail/catalog (default: built-in fixture)
          --urls URL            listen address, e.g. http://127.0.0.1:5100

        Fault knobs:
          skip-memory           no memory retrieval
          forget-writes         memory is not written
          wrong-skill-args      refund amount +10 %, postcode dropped from the address update
          drop-skill            no send_email
          extra-skill           lookup_customer before the turn's first skill call
          latency:<ms>          every turn delayed by <ms>
          errors:<percent>      that share of turns answer 500 problem+json
        Reply-only knobs (skill calls, their results and memory unchanged):
          wrong-date            dates told in order replies are three days later (2026-12-03 -> 2026-12-06)
          wrong-currency        amounts told in refund and product replies name another currency (USD -> EUR, else USD)
          negated-outcome       a refund or address change that succeeded is told as refused
          id-typo               order ids repeated in replies have their last character changed (4411 -> 4412)

        Exit codes: 0 stopped normally, 2 usage error.
        """;

    // Host options ASP.NET Core reads itself; they are passed through untouched (only --urls is shown in --help).
    private static readonly string[] s_hostOptions = ["--urls", "--environment", "--contentRoot", "--applicationName", "--http_ports", "--https_ports"];

    // No response files: an argument starting with '@' is a value, not a file to read arguments from.
    private static readonly ParserConfiguration s_parserConfiguration = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// Parses <c>--profile v1|v2</c>, <c>--nondeterministic</c>, <c>--seed N</c>, <c>--faults a,b</c> and
    /// <c>--integrations URL</c>; ASP.NET host options such as <c>--urls</c> are accepted and ignored here.
    /// </summary>
    /// <exception cref="ArgumentException">A one-line message naming every bad value.</exception>
    public static SampleAgentOptions Parse(string[] args) => Parse(args, out _);

    /// <summary>Returns one line per problem (unknown profile, unknown or malformed fault, bad URL); empty when valid.</summary>
    public static IReadOnlyList<string> Validate(SampleAgentOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var errors = new List<string>();
        if (NormalizeProfile(o.Profile) is null)
        {
            errors.Add($"unknown profile '{o.Profile}' (known: {KnownProfiles})");
        }

        FaultSet.Parse(o.Faults ?? [], errors);
        if (o.IntegrationsBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"integrations URL '{url}' must be an absolute http:// or https:// URL");
        }

        return errors;
    }

    internal static string? NormalizeProfile(string? profile) =>
        profile?.Trim().ToLowerInvariant() switch
        {
            "v1" => "v1",
            "v2" => "v2",
            _ => null,
        };

    /// <summary>True when the arguments ask for the usage text (<c>--help</c>, <c>-h</c> or <c>-?</c>).</summary>
    internal static bool WantsHelp(string[] args) =>
        args.Any(a => a is "--help" or "-h" or "-?");

    internal static SampleAgentOptions Parse(string[] args, out string[] hostArgs)
    {
        ArgumentNullException.ThrowIfNull(args);
        var profile = new Option<string>("--profile") { DefaultValueFactory = _ => "v1" };
        // A string, not a bool: System.CommandLine leaves a value that is not true/false unmatched for a bool option,
        // and the message should name the option (--nondeterministic=maybe). Present without a value means true.
        var nondeterministic = new Option<string?>("--nondeterministic") { Arity = ArgumentArity.ZeroOrOne };
        var seed = new Option<int?>("--seed")
        {
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return null;
                }

                if (int.TryParse(result.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }

                result.AddError($"option '--seed' needs a whole number, not '{result.Tokens[0].Value}'");
                return null;
            },
        };
        var faults = new Option<string[]>("--faults") { DefaultValueFactory = _ => [] };
        var integrations = new Option<Uri?>("--integrations")
        {
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0)
                {
                    return null;
                }

                if (Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var url))
                {
                    return url;
                }

                result.AddError($"integrations URL '{result.Tokens[0].Value}' must be an absolute http:// or https:// URL");
                return null;
            },
        };
        var hostOptions = s_hostOptions.Select(name => new Option<string>(name) { Hidden = name != "--urls" }).ToArray();
        var root = new RootCommand("DualStack sample agent") { TreatUnmatchedTokensAsErrors = false };
        root.Options.Clear(); // --help is answered before parsing (WantsHelp); no --version
        foreach (var option in new Option[] { profile, nondeterministic, seed, faults, integrations }.Concat(hostOptions))
        {
            root.Options.Add(option);
        }

        var parse = root.Parse(args, s_parserConfiguration);
        var errors = parse.Errors.Select(e => e.Message).ToList();
        var passThrough = new List<string>();
        foreach (var option in hostOptions)
        {
            if (parse.GetResult(option) is { Tokens.Count: > 0 } given)
            {
                passThrough.Add(option.Name);
                passThrough.Add(given.Tokens[0].Value);
            }
        }

        PassThroughOrReport(parse.UnmatchedTokens, passThrough, errors);
        var options = new SampleAgentOptions
        {
            Profile = Value(parse, profile) is { } name ? NormalizeProfile(name) ?? name : "v1",
            Nondeterministic = Flag(parse.GetResult(nondeterministic), errors),
            Seed = Value(parse, seed),
            Faults = (Value(parse, faults) ?? []).SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
            IntegrationsBaseUrl = Value(parse, integrations),
        };
        foreach (var error in Validate(options))
        {
            if (!errors.Contains(error))
            {
                errors.Add(error);
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        hostArgs = [.. passThrough];
        return options;
    }

    private static bool Flag(OptionResult? result, List<string> errors)
    {
        if (result is null || result.Tokens.Count == 0)
        {
            return result is not null;
        }

        var text = result.Tokens[0].Value;
        if (bool.TryParse(text, out var flag))
        {
            return flag;
        }

        errors.Add($"option '--nondeterministic' takes true or false, not '{text}'");
        return false;
    }

    // A value the parser could not convert has already been reported; the option then keeps its default.
    private static T? Value<T>(ParseResult parse, Option<T> option)
    {
        try
        {
            return parse.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    // Configuration keys (--Logging:LogLevel:Default Warning, --Kestrel:Limits:X=1, Key=value) go to the host as they
    // are; anything else the parser did not match is an error naming it.
    private static void PassThroughOrReport(IReadOnlyList<string> unmatched, List<string> passThrough, List<string> errors)
    {
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (token.StartsWith("--", StringComparison.Ordinal) && token.Contains(':', StringComparison.Ordinal))
            {
                passThrough.Add(token);
                if (!token.Contains('=', StringComparison.Ordinal) && i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    passThrough.Add(unmatched[++i]);
                }
            }
            else if (!token.StartsWith("--", StringComparison.Ordinal) && token.Contains('=', StringComparison.Ordinal))
            {
                passThrough.Add(token);
            }
            else if (token.StartsWith('-'))
            {
                errors.Add($"unknown option '{token.Split('=')[0]}' (known: --profile, --nondeterministic, --seed, --faults, --integrations, --urls)");
            }
            else
            {
                errors.Add($"unexpected argument '{token}'");
            }
        }
    }
}
