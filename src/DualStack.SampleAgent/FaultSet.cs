using System.Globalization;

namespace DualStack.SampleAgent;

/// <summary>Parsed, immutable set of active fault knobs.</summary>
internal sealed record FaultSet
{
    internal const string SkipMemory = "skip-memory";
    internal const string WrongSkillArgs = "wrong-skill-args";
    internal const string DropSkill = "drop-skill";
    internal const string ExtraSkill = "extra-skill";
    internal const string ForgetWrites = "forget-writes";
    internal const string Latency = "latency";
    internal const string Errors = "errors";
    internal const string WrongDate = "wrong-date";
    internal const string WrongCurrency = "wrong-currency";
    internal const string NegatedOutcome = "negated-outcome";
    internal const string IdTypo = "id-typo";

    internal const string KnownList =
        "skip-memory, wrong-skill-args, drop-skill, extra-skill, forget-writes, latency:<ms>, errors:<percent>, "
        + "wrong-date, wrong-currency, negated-outcome, id-typo";

    public static FaultSet None { get; } = new();

    public IReadOnlyList<string> Names { get; private init; } = [];

    public bool SkipsMemory { get; private init; }

    public bool WrongArgs { get; private init; }

    public bool DropsSkill { get; private init; }

    public bool AddsSkill { get; private init; }

    public bool ForgetsWrites { get; private init; }

    public int LatencyMs { get; private init; }

    public double ErrorPercent { get; private init; }

    /// <summary>wrong-date: dates told in replies are three days later than the skill result says.</summary>
    public bool ShiftsDates { get; private init; }

    /// <summary>wrong-currency: amounts told in replies keep their number but name another currency.</summary>
    public bool SwapsCurrency { get; private init; }

    /// <summary>negated-outcome: a successful refund or address change is told as refused.</summary>
    public bool NegatesOutcome { get; private init; }

    /// <summary>id-typo: order ids repeated in replies have one character changed.</summary>
    public bool TyposIds { get; private init; }

    /// <summary>Parses fault knobs; collects one error line per bad value instead of throwing.</summary>
    public static FaultSet Parse(IEnumerable<string> faults, List<string> errors)
    {
        var names = new List<string>();
        bool skip = false, wrong = false, drop = false, extra = false, forget = false;
        bool date = false, currency = false, negated = false, typo = false;
        var latency = 0;
        var percent = 0d;
        foreach (var raw in faults)
        {
            var fault = (raw ?? string.Empty).Trim();
            if (fault.Length == 0)
            {
                continue;
            }

            var colon = fault.IndexOf(':', StringComparison.Ordinal);
            var name = (colon < 0 ? fault : fault[..colon]).ToLowerInvariant();
            var value = colon < 0 ? null : fault[(colon + 1)..].Trim();
            switch (name)
            {
                case SkipMemory or WrongSkillArgs or DropSkill or ExtraSkill or ForgetWrites
                    or WrongDate or WrongCurrency or NegatedOutcome or IdTypo when value is not null:
                    errors.Add($"malformed fault '{fault}': '{name}' takes no value");
                    continue;
                case SkipMemory:
                    skip = true;
                    break;
                case WrongSkillArgs:
                    wrong = true;
                    break;
                case DropSkill:
                    drop = true;
                    break;
                case ExtraSkill:
                    extra = true;
                    break;
                case ForgetWrites:
                    forget = true;
                    break;
                case WrongDate:
                    date = true;
                    break;
                case WrongCurrency:
                    currency = true;
                    break;
                case NegatedOutcome:
                    negated = true;
                    break;
                case IdTypo:
                    typo = true;
                    break;
                case Latency:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 600_000)
                    {
                        errors.Add($"malformed fault '{fault}': latency needs whole milliseconds 0..600000, e.g. latency:250");
                        continue;
                    }

                    latency = ms;
                    fault = $"{Latency}:{ms.ToString(CultureInfo.InvariantCulture)}";
                    names.Add(fault);
                    continue;
                case Errors:
                    if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) || p > 100)
                    {
                        errors.Add($"malformed fault '{fault}': errors needs a percentage 0..100, e.g. errors:10");
                        continue;
                    }

                    percent = p;
                    fault = $"{Errors}:{p.ToString(CultureInfo.InvariantCulture)}";
                    names.Add(fault);
                    continue;
                default:
                    errors.Add($"unknown fault '{fault}' (known: {KnownList})");
                    continue;
            }

            names.Add(name);
        }

        return new FaultSet
        {
            Names = names.Distinct(StringComparer.Ordinal).ToArray(),
            SkipsMemory = skip,
            WrongArgs = wrong,
            DropsSkill = drop,
            AddsSkill = extra,
            ForgetsWrites = forget,
            LatencyMs = latency,
            ErrorPercent = percent,
            ShiftsDates = date,
            SwapsCurrency = currency,
            NegatesOutcome = negated,
            TyposIds = typo,
        };
    }
}
