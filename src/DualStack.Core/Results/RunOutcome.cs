using System.Globalization;
using DualStack.Core.Judgement;

namespace DualStack.Core.Results;

/// <summary>What a finished verification run means for the operator, in the order an exit code reports it.</summary>
public enum RunOutcomeKind
{
    /// <summary>Everything judged (or errors within the allowed share) and no regression at or above the fail-on severity: exit 0.</summary>
    Ok,

    /// <summary>At least one reported regression at or above the fail-on severity: exit 1 (wins over <see cref="CouldNotJudge"/>).</summary>
    Regressions,

    /// <summary>Error verdicts beyond the allowed share, an interrupted run, or nothing judged at all: exit 3.</summary>
    CouldNotJudge,
}

/// <summary>
/// When a verification run fails: the fail-on severity and the share of errored conversations tolerated. One policy for
/// <c>verify</c>, <c>report --source</c>, the <c>dotnet test</c> suite and the cutover gate.
/// </summary>
/// <param name="FailOn">Lowest regression severity that fails the run; default <see cref="Severity.Major"/> (minor findings are reported but pass).</param>
/// <param name="MaxErrors">Share (0–1) of conversations that may end in an Error verdict without failing the run; default 0.</param>
public sealed record RunPolicy(Severity FailOn = Severity.Major, double MaxErrors = 0)
{
    /// <summary>The accepted <c>failOn</c> spellings, for messages.</summary>
    public const string FailOnValues = "minor, major, critical";

    /// <summary>The default policy: fail on major, no error tolerated.</summary>
    public static RunPolicy Default { get; } = new();

    /// <summary>Parses <c>minor</c>, <c>major</c> or <c>critical</c> (any case); false for anything else, <c>none</c> included.</summary>
    public static bool TryParseFailOn(string? value, out Severity severity)
    {
        severity = Severity.Major;
        switch (value?.Trim().ToLowerInvariant())
        {
            case "minor":
                severity = Severity.Minor;
                return true;
            case "major":
                severity = Severity.Major;
                return true;
            case "critical":
                severity = Severity.Critical;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The message for a bad fail-on value, e.g. <c>--fail-on 'severe' is not one of minor, major, critical</c>.</summary>
    public static string FailOnError(string field, string? value) => $"{field} '{value}' is not one of {FailOnValues}";

    /// <summary>True when <paramref name="value"/> is a share in [0, 1].</summary>
    public static bool IsValidMaxErrors(double value) => value is >= 0 and <= 1;

    /// <summary>The message for a bad max-errors share.</summary>
    public static string MaxErrorsError(string field, string? value) => $"{field} '{value}' is not a share between 0 and 1 (0.05 = 5 % of conversations)";

    /// <summary>Parses a max-errors share written with an invariant decimal point; false when it is not a number in [0, 1].</summary>
    public static bool TryParseMaxErrors(string? value, out double share) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out share) && IsValidMaxErrors(share);

    /// <summary>True when a conversation's regression is at or above <see cref="FailOn"/>.</summary>
    public bool Fails(ConversationResult conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return conversation.Verdict == Verdict.Regression && conversation.Severity >= FailOn;
    }
}

/// <summary>
/// The outcome of a finished run (after <c>VerdictEngine.Finish</c>) under a <see cref="RunPolicy"/>.
/// Rule, in order: a reported regression at or above the fail-on severity → <see cref="RunOutcomeKind.Regressions"/> (1),
/// even when other conversations errored; else nothing judged (no conversation, or every turn an Error) or an
/// interrupted run → <see cref="RunOutcomeKind.CouldNotJudge"/> (3) whatever the allowance; else a share of errored
/// conversations above <see cref="RunPolicy.MaxErrors"/> → 3; else <see cref="RunOutcomeKind.Ok"/> (0).
/// </summary>
public sealed record RunOutcome
{
    /// <summary>The decision.</summary>
    public required RunOutcomeKind Kind { get; init; }

    /// <summary>The policy applied.</summary>
    public required RunPolicy Policy { get; init; }

    /// <summary>Conversations in the run.</summary>
    public int Conversations { get; init; }

    /// <summary>Conversations regressed at or above the fail-on severity.</summary>
    public int Failing { get; init; }

    /// <summary>Conversations regressed below the fail-on severity: reported, not failing.</summary>
    public int BelowFailOn { get; init; }

    /// <summary>Conversations with an Error verdict on any turn or dimension, or that stopped before their last turn.</summary>
    public int Errored { get; init; }

    /// <summary>Turns judged without an error.</summary>
    public int JudgedTurns { get; init; }

    /// <summary>Share of errored conversations (0 when there are none).</summary>
    public double ErrorShare => Conversations == 0 ? 0 : (double)Errored / Conversations;

    /// <summary>True when errors are present but the run still passes on them (within <see cref="RunPolicy.MaxErrors"/>).</summary>
    public bool ErrorsTolerated => Errored > 0 && !NothingJudged && !Interrupted && ErrorShare <= Policy.MaxErrors;

    /// <summary>True when the run was interrupted before every conversation finished.</summary>
    public bool Interrupted { get; init; }

    /// <summary>True when the run judged nothing: no conversation, or every turn errored.</summary>
    public bool NothingJudged => Conversations == 0 || JudgedTurns == 0;

    /// <summary>Exit code: 0 ok, 1 regressions at or above fail-on, 3 could not judge.</summary>
    public int ExitCode => Kind switch
    {
        RunOutcomeKind.Ok => 0,
        RunOutcomeKind.Regressions => 1,
        _ => 3,
    };

    /// <summary>One line for the operator, e.g. <c>outcome: could not judge (exit 3): 2 of 2 conversations errored …</c>.</summary>
    public required string Message { get; init; }

    /// <summary>Decides the outcome of <paramref name="result"/> under <paramref name="policy"/> (default: fail on major, no errors).</summary>
    public static RunOutcome Evaluate(RunResult result, RunPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        policy ??= RunPolicy.Default;
        var conversations = result.Conversations;
        var failing = conversations.Count(policy.Fails);
        var below = conversations.Count(c => c.Verdict == Verdict.Regression && !policy.Fails(c));
        var errored = conversations.Count(HasError);
        var judgedTurns = conversations.Sum(c => c.Turns.Count(t => !HasError(t)));
        var failOn = policy.FailOn.ToString().ToLowerInvariant();
        var share = conversations.Count == 0 ? 0 : (double)errored / conversations.Count;
        var errorText = string.Create(CultureInfo.InvariantCulture, $"{errored} of {conversations.Count} conversations errored ({share:P0}; max-errors {policy.MaxErrors:0.###})");
        var belowText = below > 0 ? $"; {below} below {failOn} reported, not failing" : string.Empty;

        RunOutcomeKind kind;
        string why;
        if (failing > 0)
        {
            kind = RunOutcomeKind.Regressions;
            why = $"{failing} conversations regressed at or above {failOn}{belowText}{(errored > 0 ? "; also " + errorText : string.Empty)}";
        }
        else if (conversations.Count == 0 || judgedTurns == 0)
        {
            kind = RunOutcomeKind.CouldNotJudge;
            why = conversations.Count == 0
                ? "no conversation was judged"
                : $"nothing was judged: every turn of {conversations.Count} conversations errored (stack unreachable or old stack failing)";
        }
        else if (result.Cancelled)
        {
            kind = RunOutcomeKind.CouldNotJudge;
            why = $"the run was interrupted; {errorText}";
        }
        else if (errored > 0 && share > policy.MaxErrors)
        {
            kind = RunOutcomeKind.CouldNotJudge;
            why = errorText;
        }
        else
        {
            kind = RunOutcomeKind.Ok;
            why = $"no regression at or above {failOn}{belowText}{(errored > 0 ? "; " + errorText + ", tolerated" : string.Empty)}";
        }

        var label = kind switch
        {
            RunOutcomeKind.Ok => "ok (exit 0)",
            RunOutcomeKind.Regressions => "regressions (exit 1)",
            _ => "could not judge (exit 3)",
        };
        return new RunOutcome
        {
            Kind = kind,
            Policy = policy,
            Conversations = conversations.Count,
            Failing = failing,
            BelowFailOn = below,
            Errored = errored,
            JudgedTurns = judgedTurns,
            Interrupted = result.Cancelled,
            Message = $"outcome: {label}: {why}",
        };
    }

    /// <summary>True when a conversation holds an Error anywhere (its verdict, a turn, a dimension) or stopped early.</summary>
    public static bool HasError(ConversationResult conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);

        // The conversation verdict is the worst turn verdict, and Regression ranks above Error: look inside so an error
        // next to a (minor) regression is still counted.
        return conversation.Verdict == Verdict.Error || !conversation.Completed || conversation.Turns.Count == 0 || conversation.Turns.Any(HasError);
    }

    private static bool HasError(TurnResult turn) => turn.Verdict == Verdict.Error || turn.Dimensions.Any(d => d.Verdict == Verdict.Error);
}
