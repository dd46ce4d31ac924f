namespace DualStack.Core.Config;

/// <summary>
/// Raised when a configuration (scenario, offline triples, gate, ramp, drill or cutover file, or an admin token) cannot be
/// used; <see cref="Errors"/> holds every problem found, each naming the file, item and bad value. Hosts map it to exit code 2.
/// </summary>
public sealed class ConfigException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>All problems found.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
