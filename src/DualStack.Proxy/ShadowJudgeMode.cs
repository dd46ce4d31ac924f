namespace DualStack.Proxy;

/// <summary>Where the proxy's shadow pairs are judged.</summary>
public enum ShadowJudgeMode
{
    /// <summary>
    /// The default: the proxy mirrors and stores both answers (redacted) beside the captures, nothing more; judging
    /// runs in its own process, <c>dualstack shadow judge</c>, reading the store. No embedding model in the proxy.
    /// </summary>
    Store,

    /// <summary>Single-box trials: the proxy also judges each pair itself (and stores it when a store is set).</summary>
    InProcess,
}
