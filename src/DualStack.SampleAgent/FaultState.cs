namespace DualStack.SampleAgent;

/// <summary>The active faults, replaceable at runtime (rollback drills); readers see one consistent set.</summary>
internal sealed class FaultState
{
    private volatile FaultSet _current;

    public FaultState(IEnumerable<string> initial)
    {
        _current = ParseOrThrow(initial ?? []);
    }

    public FaultSet Current => _current;

    /// <exception cref="ArgumentException">A one-line message naming every unknown or malformed fault.</exception>
    public FaultSet Set(IEnumerable<string> faults)
    {
        var parsed = ParseOrThrow(faults);
        _current = parsed;
        return parsed;
    }

    private static FaultSet ParseOrThrow(IEnumerable<string> faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        var errors = new List<string>();
        var parsed = FaultSet.Parse(faults, errors);
        return errors.Count > 0 ? throw new ArgumentException(string.Join("; ", errors)) : parsed;
    }
}
