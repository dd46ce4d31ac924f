using Microsoft.Extensions.Logging;

namespace DualStack.SampleAgent;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Injected fault '{Fault}' into a turn of conversation {ConversationId}")]
    public static partial void FaultInjected(ILogger logger, string conversationId, string fault);

    [LoggerMessage(2, LogLevel.Information, "Active faults replaced: [{Faults}]")]
    public static partial void FaultsReplaced(ILogger logger, string faults);

    [LoggerMessage(3, LogLevel.Information, "Sample agent profile {Profile} uses integrations at {Integrations}")]
    public static partial void Started(ILogger logger, string profile, string integrations);
}
