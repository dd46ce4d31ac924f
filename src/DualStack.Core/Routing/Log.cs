using Microsoft.Extensions.Logging;

namespace DualStack.Core.Routing;

/// <summary>Source-generated log messages of split routing (event ids as the proxy logged them before they moved here).</summary>
internal static partial class Log
{
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
