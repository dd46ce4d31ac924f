using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>Source-generated log messages of the proxy.</summary>
internal static partial class Log
{
    // Per-request detail only at debug level: a dead backend must not flood the log (the FailureLog lines below
    // summarise at warning level).
    [LoggerMessage(1, LogLevel.Debug, "primary forward failed: {Error} ({Path})")]
    public static partial void ForwardFailed(ILogger logger, string error, string path, Exception? exception);

    [LoggerMessage(3, LogLevel.Error, "capture side path failed; the request was served: {Message}")]
    public static partial void CaptureFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "shadow turn dropped for conversation {Key}: {Reason}")]
    public static partial void ShadowDropped(ILogger logger, string key, string reason);

    [LoggerMessage(7, LogLevel.Warning, "split: {Action} {From}% → {To}% by {Who}: {Reason}")]
    public static partial void SplitChanged(ILogger logger, string action, double from, double to, string who, string reason);

    [LoggerMessage(8, LogLevel.Error, "audit log write failed: {Message}")]
    public static partial void AuditFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "ramp controller tick failed: {Message}")]
    public static partial void RampFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "admin API: rejected request without a valid token from {Remote}")]
    public static partial void AdminRejected(ILogger logger, string remote);

    [LoggerMessage(40, LogLevel.Information, "shadow {Key} turn {Turn}: pair stored for the judge")]
    public static partial void ShadowStored(ILogger logger, string key, int turn);

    [LoggerMessage(6, LogLevel.Information, "shadow {Key} turn {Turn}: {Verdict} — {Reason}")]
    public static partial void ShadowCompared(ILogger logger, string key, int turn, string verdict, string reason);

    [LoggerMessage(11, LogLevel.Warning, "{What} failing: {Count} failure(s), last: {Error} (further failures are summarised at most every {IntervalSeconds} s)")]
    public static partial void FailureStarted(ILogger logger, string what, long count, string error, double intervalSeconds);

    [LoggerMessage(12, LogLevel.Debug, "{What}: stack trace of the first failure")]
    public static partial void FailureDetail(ILogger logger, string what, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "{What} still failing: {Count} failure(s) in the last {Seconds:0} s, last: {Error}")]
    public static partial void FailureSummary(ILogger logger, string what, long count, double seconds, string error);

    [LoggerMessage(14, LogLevel.Warning, "{What} recovered: no failure for {IntervalSeconds} s; failures lasted {Seconds:0.#} s ({Total} in all)")]
    public static partial void FailureRecovered(ILogger logger, string what, double intervalSeconds, double seconds, long total);

    [LoggerMessage(15, LogLevel.Warning, "capture store failing: {Failures} failed write(s), {Dropped} exchange(s) dropped, last error: {Error} (traffic is served; further failures are summarised at most every {IntervalSeconds} s)")]
    public static partial void StoreFailing(ILogger logger, long failures, long dropped, string error, double intervalSeconds);

    [LoggerMessage(16, LogLevel.Warning, "capture store still failing: {Failures} failed write(s), {Dropped} exchange(s) dropped in the last {Seconds:0} s, last error: {Error}")]
    public static partial void StoreFailureSummary(ILogger logger, long failures, long dropped, double seconds, string error);

    [LoggerMessage(17, LogLevel.Warning, "capture store recovered: writing again after {Seconds:0.#} s ({Failures} failed write(s), {Dropped} exchange(s) dropped in all)")]
    public static partial void StoreRecovered(ILogger logger, double seconds, long failures, long dropped);

    [LoggerMessage(18, LogLevel.Warning, "shadow circuit open after {Failures} consecutive failed turn(s): not mirroring for {PauseSeconds:0.#} s, then one trial turn; conversations that lose a turn are not mirrored again. Last error: {Error}")]
    public static partial void ShadowBreakerOpened(ILogger logger, int failures, double pauseSeconds, string error);

    [LoggerMessage(19, LogLevel.Warning, "shadow circuit closed: the shadow stack answered a trial turn; mirroring new conversations again")]
    public static partial void ShadowBreakerClosed(ILogger logger);
}
