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

    /// <summary>Interrupted (Ctrl+C); partial results were kept.</summary>
    public const int Interrupted = 130;
}

/// <summary>A usage or configuration problem reported as one line and exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
