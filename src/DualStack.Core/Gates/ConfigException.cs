namespace DualStack.Core.Gates;

/// <summary>
/// Raised when a gate, ramp or cutover configuration (or an admin token) cannot be used; <see cref="Errors"/> holds every
/// problem found, each naming the file, field and bad value. Hosts map it to exit code 2.
/// </summary>
public sealed class ConfigException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>All problems found.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
