using System.Globalization;

namespace DualStack.SampleAgent;

/// <summary>
/// The reply-only fault knobs. Each changes a fact as it is told to the customer and nothing the agent did: skill
/// calls, their arguments and results, and memory stay exactly as without the knob. None draws a random number, so
/// a seeded nondeterministic run picks the same phrasing variants with or without them.
/// </summary>
internal static class ReplyFaults
{
    private const int DateShiftDays = 3;

    /// <summary>wrong-date: an ISO date (<c>2026-12-03</c>) three days later, same format; other text unchanged.</summary>
    public static string Date(FaultSet faults, string date) =>
        faults.ShiftsDates && DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day.AddDays(DateShiftDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : date;

    /// <summary>wrong-currency: USD is told as EUR, any other currency as USD; the number is not touched.</summary>
    public static string Currency(FaultSet faults, string currency) =>
        !faults.SwapsCurrency ? currency
        : string.Equals(currency, "USD", StringComparison.OrdinalIgnoreCase) ? "EUR"
        : "USD";

    /// <summary>
    /// id-typo: the last letter or digit replaced by the next one (9 → 0, z → a), so the id keeps its length and
    /// shape (an all-digit order id stays all digits) but no longer matches the one the customer gave.
    /// </summary>
    public static string Id(FaultSet faults, string id)
    {
        if (!faults.TyposIds)
        {
            return id;
        }

        for (var i = id.Length - 1; i >= 0; i--)
        {
            var c = id[i];
            var typo = c switch
            {
                >= '0' and < '9' or >= 'a' and < 'z' or >= 'A' and < 'Z' => (char)(c + 1),
                '9' => '0',
                'z' => 'a',
                'Z' => 'A',
                _ => '\0',
            };
            if (typo != '\0')
            {
                return string.Concat(id.AsSpan(0, i), new ReadOnlySpan<char>(in typo), id.AsSpan(i + 1));
            }
        }

        return id;
    }

    /// <summary>
    /// negated-outcome: the reply key of a successful outcome (<c>refund.done</c>) replaced by its denial
    /// (<c>refund.denied</c>), which keeps every placeholder and the variant count, so the same facts are stated.
    /// </summary>
    public static string Outcome(FaultSet faults, string doneKey) =>
        faults.NegatesOutcome && doneKey.EndsWith(".done", StringComparison.Ordinal)
            ? string.Concat(doneKey.AsSpan(0, doneKey.Length - ".done".Length), ".denied")
            : doneKey;
}
