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

    // Host options ASP.NET Core reads itself; they are passed through untouched.
    private static readonly HashSet<string> s_hostOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        "urls", "environment", "contentRoot", "applicationName", "http_ports", "https_ports",
    };

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
        var errors = new List<string>();
        var passThrough = new List<string>();
        var options = new SampleAgentOptions();
        var faults = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (arg.Contains('=', StringComparison.Ordinal))
                {
                    passThrough.Add(arg);
                }
                else
                {
                    errors.Add($"unexpected argument '{arg}'");
                }

                continue;
            }

            var name = arg[2..];
            string? inlineValue = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            switch (name.ToLowerInvariant())
            {
                case "profile":
                    if (TakeValue(args, ref i, inlineValue, name, errors) is { } profile)
                    {
                        options = options with { Profile = NormalizeProfile(profile) ?? profile };
                    }

                    break;
                case "nondeterministic":
                    if (inlineValue is null)
                    {
                        options = options with { Nondeterministic = true };
                    }
                    else if (bool.TryParse(inlineValue, out var flag))
                    {
                        options = options with { Nondeterministic = flag };
                    }
                    else
                    {
                        errors.Add($"option '--nondeterministic' takes true or false, not '{inlineValue}'");
                    }

                    break;
                case "seed":
                    if (TakeValue(args, ref i, inlineValue, name, errors) is { } seedText)
                    {
                        if (int.TryParse(seedText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
                        {
                            options = options with { Seed = seed };
                        }
                        else
                        {
                            errors.Add($"option '--seed' needs a whole number, not '{seedText}'");
                        }
                    }

                    break;
                case "faults":
                    if (TakeValue(args, ref i, inlineValue, name, errors) is { } faultText)
                    {
                        faults.AddRange(faultText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    }

                    break;
                case "integrations":
                    if (TakeValue(args, ref i, inlineValue, name, errors) is { } urlText)
                    {
                        if (Uri.TryCreate(urlText, UriKind.Absolute, out var url))
                        {
                            options = options with { IntegrationsBaseUrl = url };
                        }
                        else
                        {
                            errors.Add($"integrations URL '{urlText}' must be an absolute http:// or https:// URL");
                        }
                    }

                    break;
                default:
                    if (s_hostOptions.Contains(name) || name.Contains(':', StringComparison.Ordinal))
                    {
                        passThrough.Add(arg);
                        if (inlineValue is null && i + 1 < args.Length)
                        {
                            passThrough.Add(args[++i]);
                        }
                    }
                    else
                    {
                        errors.Add($"unknown option '--{name}' (known: --profile, --nondeterministic, --seed, --faults, --integrations, --urls)");
                    }

                    break;
            }
        }

        options = options with { Faults = faults };
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

    private static string? TakeValue(string[] args, ref int i, string? inlineValue, string name, List<string> errors)
    {
        if (inlineValue is not null)
        {
            return inlineValue;
        }

        if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            return args[++i];
        }

        errors.Add($"option '--{name}' needs a value");
        return null;
    }
}
