namespace DualStack.Cli;

/// <summary>Documented exit codes (README "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>Success: no regression, gate passed.</summary>
    public const int Ok = 0;

    /// <summary>Regressions found or a gate failed.</summary>
    public const int Failed = 1;

    /// <summary>Usage or configuration error: nothing was run.</summary>
    public const int Usage = 2;

    /// <summary>Could not judge: error verdicts beyond --max-errors, or nothing judged at all (no regression at or above fail-on was found).</summary>
    public const int CouldNotJudge = 3;

    /// <summary>Interrupted (Ctrl+C); partial results were kept.</summary>
    public const int Interrupted = 130;
}

/// <summary>A usage or configuration problem reported as one line and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
