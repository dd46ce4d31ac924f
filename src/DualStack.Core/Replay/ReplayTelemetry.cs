using System.Diagnostics;

namespace DualStack.Core.Replay;

/// <summary>
/// The replayer's spans: one per replayed turn, with a child per stack call (lane). Nothing is recorded unless a host
/// listens to <see cref="SourceName"/> (the CLI does when the <c>OTEL_*</c> variables turn tracing on).
/// </summary>
public static class ReplayTelemetry
{
    /// <summary>Name of the activity source.</summary>
    public const string SourceName = "DualStack.Replay";

    internal static readonly ActivitySource Source = new(SourceName);
}
