using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>Source-generated log messages of the proxy.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "primary forward to the old stack failed: {Error} ({Path})")]
    public static partial void ForwardFailed(ILogger logger, string error, string path, Exception? exception);

    [LoggerMessage(2, LogLevel.Warning, "capture queue full: exchange dropped ({Dropped} dropped so far)")]
    public static partial void CaptureDropped(ILogger logger, long dropped);

    [LoggerMessage(3, LogLevel.Error, "capture side path failed; the request was served: {Message}")]
    public static partial void CaptureFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "shadow turn dropped for conversation {Key}: {Reason}")]
    public static partial void ShadowDropped(ILogger logger, string key, string reason);

    [LoggerMessage(5, LogLevel.Error, "shadow comparison failed for conversation {Key}: {Message}")]
    public static partial void ShadowFailed(ILogger logger, string key, string message, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "split: {Action} {From}% → {To}% by {Who}: {Reason}")]
    public static partial void SplitChanged(ILogger logger, string action, double from, double to, string who, string reason);

    [LoggerMessage(8, LogLevel.Error, "audit log write failed: {Message}")]
    public static partial void AuditFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "ramp controller tick failed: {Message}")]
    public static partial void RampFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "admin API: rejected request without a valid token from {Remote}")]
    public static partial void AdminRejected(ILogger logger, string remote);

    [LoggerMessage(6, LogLevel.Information, "shadow {Key} turn {Turn}: {Verdict} — {Reason}")]
    public static partial void ShadowCompared(ILogger logger, string key, int turn, string verdict, string reason);

    [LoggerMessage(20, LogLevel.Warning, "shared split state: writing '{Action}' to PostgreSQL failed, retrying (routing uses the local state): {Message}")]
    public static partial void SharedWriteFailed(ILogger logger, string action, string message);

    [LoggerMessage(21, LogLevel.Information, "shared split state: automatic '{Action}' to {Percent}% superseded by a change on another instance")]
    public static partial void SharedStepSuperseded(ILogger logger, string action, double percent);

    [LoggerMessage(22, LogLevel.Information, "shared split state: listening on {Name}")]
    public static partial void SharedConnected(ILogger logger, string name);

    [LoggerMessage(23, LogLevel.Warning, "shared split state: PostgreSQL at {Name} unreachable, routing on the last known state: {Message}")]
    public static partial void SharedUnreachable(ILogger logger, string name, string message);

    [LoggerMessage(24, LogLevel.Warning, "shared split state: pin batch not written: {Message}")]
    public static partial void SharedPinsFailed(ILogger logger, string message);

    [LoggerMessage(25, LogLevel.Warning, "shared split state: tables were missing in {Name} (database restored or recreated); created them again and seeded the state row from this instance")]
    public static partial void SharedSchemaRecreated(ILogger logger, string name);
}
