using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DualStack.Core.Comparison;

/// <summary>The kind of a fact a reply states; each kind has its own difference key (<c>reply.facts.&lt;kind&gt;</c>) and noise floor.</summary>
internal enum FactKind
{
    /// <summary>An amount with its currency (€15.00 ≠ $15.00).</summary>
    Amount,

    /// <summary>A calendar date, canonical <c>YYYY-MM-DD</c> or <c>MM-DD</c> when no year is said.</summary>
    Date,

    /// <summary>A number that is not an amount, quantity, id or phone.</summary>
    Number,

    /// <summary>An id grounded in the turn's inputs (order, booking, tracking number).</summary>
    Id,

    /// <summary>An e-mail address.</summary>
    Email,

    /// <summary>A web address.</summary>
    Url,

    /// <summary>A count of something ("3 items", "five nights"); compares with numbers by value.</summary>
    Quantity,

    /// <summary>A phone number, digits only.</summary>
    Phone,

    /// <summary>A proper name grounded in the inputs (the user's name from memory, a city from a skill result).</summary>
    Name,

    /// <summary>A time of day, canonical <c>HH:MM</c>: kept when grounded in the inputs or when masking is off.</summary>
    Time,
}

/// <summary>One fact in canonical form.</summary>
/// <param name="Kind">What kind of fact.</param>
/// <param name="Value">Canonical value.</param>
internal readonly record struct TypedFact(FactKind Kind, string Value)
{
    /// <summary>Difference key, e.g. <c>reply.facts.date</c>.</summary>
    public string Key => KeyOf(Kind);

    /// <summary>Difference key of a kind.</summary>
    public static string KeyOf(FactKind kind) => kind switch
    {
        FactKind.Amount => "reply.facts.amount",
        FactKind.Date => "reply.facts.date",
        FactKind.Number => "reply.facts.number",
        FactKind.Id => "reply.facts.id",
        FactKind.Email => "reply.facts.email",
        FactKind.Url => "reply.facts.url",
        FactKind.Quantity => "reply.facts.quantity",
        FactKind.Phone => "reply.facts.phone",
        FactKind.Name => "reply.facts.name",
        _ => "reply.facts.time",
    };

    private static readonly string[] KindNames = Enum.GetNames<FactKind>().Select(n => n.ToLowerInvariant() + " ").ToArray();

    /// <inheritdoc />
    public override string ToString() => string.Concat(KindNames[(int)Kind], Value);
}

/// <summary>A reply as the judge sees it.</summary>
/// <param name="Facts">Typed facts in order of appearance, deduplicated.</param>
/// <param name="Meaning">Lower-cased text without generated values (reference codes, masked times, timestamps): what meaning is judged on.</param>
/// <param name="NovelNames">Capitalised words that look like names but are grounded nowhere (used to tell a wrong name from an omitted one).</param>
/// <param name="GeneratedIds">Id-like tokens grounded nowhere, masked, each once (used to tell a typo'd id from an omitted one).</param>
/// <param name="RecordIds">Of those, the ones named as a customer's record ("reservation VC-12636-LM", "order 5512"), not as a reference.</param>
internal sealed record ScannedReply(IReadOnlyList<TypedFact> Facts, string Meaning, IReadOnlyList<string> NovelNames, IReadOnlyList<string> GeneratedIds, IReadOnlyList<string> RecordIds);

/// <summary>How facts are read.</summary>
/// <param name="MonthFirst">Numeric dates like 12/11 read month first (from the scenario's <c>dateLocale</c>).</param>
/// <param name="MaskTimes">Times of day not grounded in the inputs are masked.</param>
internal sealed partial record FactOptions(bool MonthFirst = true, bool MaskTimes = true)
{
    private static readonly HashSet<string> MonthFirstLocales = new(
        ["en", "en-US", "es-US", "en-PH", "fil", "fil-PH", "en-AS", "en-GU", "en-MH", "en-FM", "en-MP", "en-PR", "en-PW", "en-UM", "en-VI", "en-BZ", "en-KE"],
        StringComparer.OrdinalIgnoreCase);

    // ISO 639-1 languages and ISO 3166-1 regions: the process runs with invariant globalization (no ICU culture data).
    private static readonly HashSet<string> Languages = new("aa ab af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu fil yue haw".Split(' '), StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> Regions = new("AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW".Split(' '), StringComparer.OrdinalIgnoreCase);

    /// <summary>Options from the reply configuration; an invalid <c>dateLocale</c> falls back to month first (the loader rejects it before).</summary>
    public static FactOptions From(ReplyComparisonConfig config) =>
        new(!TryReadDateLocale(config.DateLocale, out var monthFirst) || monthFirst, config.MaskTimesOfDay);

    /// <summary>
    /// Reads a <c>dateLocale</c>: a BCP 47 language tag (<c>en-US</c>, <c>en-GB</c>, <c>de-DE</c>, <c>fr</c>) or the
    /// explicit orders <c>MDY</c> and <c>DMY</c>. Month first for US English and the few regions that share its order,
    /// day first everywhere else. The process runs with invariant globalization, so the table is ours, not ICU's.
    /// </summary>
    public static bool TryReadDateLocale(string? locale, out bool monthFirst)
    {
        monthFirst = true;
        if (string.IsNullOrWhiteSpace(locale))
        {
            return false;
        }

        if (locale.Equals("MDY", StringComparison.OrdinalIgnoreCase) || locale.Equals("DMY", StringComparison.OrdinalIgnoreCase))
        {
            monthFirst = locale.Equals("MDY", StringComparison.OrdinalIgnoreCase);
            return true;
        }

        var match = LanguageTag().Match(locale);
        if (!match.Success || !Languages.Contains(match.Groups["lang"].Value) || (match.Groups["region"].Success && !match.Groups["region"].Value.All(char.IsAsciiDigit) && !Regions.Contains(match.Groups["region"].Value)))
        {
            return false;
        }

        monthFirst = MonthFirstLocales.Contains(locale);
        return true;
    }

    [GeneratedRegex(@"^(?<lang>[A-Za-z]{2,3})(?:-[A-Za-z]{4})?(?:-(?<region>[A-Za-z]{2}|\d{3}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();
}

/// <summary>
/// Reads the typed facts of a reply. Each value is read once, by the most specific reader that claims its span:
/// e-mail, URL, date, time, amount, phone, id, quantity, number. Numbers inside alphanumeric tokens are never separate
/// facts. An id-like token (letters and digits mixed, <c>#</c>-numbers, 6+ digit numbers) or a time of day that is not
/// grounded in the turn's inputs is the stack's own invention and is masked.
/// </summary>
internal static partial class FactScanner
{
    [ThreadStatic]
    private static List<Span>? t_spans;

    [ThreadStatic]
    private static List<(int Index, int Length)>? t_tokens;

    [ThreadStatic]
    private static List<int>? t_marks;

    // The strings that spans refer to by index (canonical values made while reading, currency codes).
    [ThreadStatic]
    private static List<string>? t_payloads;

    private static readonly string[] SmallNumbers = Enumerable.Range(0, 1000).Select(n => n.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static readonly string[] MonthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    private static readonly System.Buffers.SearchValues<string> MonthWords = System.Buffers.SearchValues.Create(MonthNames, StringComparison.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string> CurrencyCodes = new[] { "usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "inr", "cny", "sek", "nok", "dkk", "pln", "mxn", "brl", "nzd", "sgd", "hkd", "zar" }
        .ToDictionary(c => c, c => c.ToUpperInvariant(), StringComparer.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<string> Meridiems = System.Buffers.SearchValues.Create(
        ["am", "pm", "a.m", "p.m"], StringComparison.OrdinalIgnoreCase);

    // One vectorised search for both marks: "www." with an ignore-case string search costs more than the whole date reader.
    private static readonly System.Buffers.SearchValues<string> UrlMarks = System.Buffers.SearchValues.Create(["://", "www."], StringComparison.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string> CurrencyWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["dollar"] = "USD", ["dollars"] = "USD", ["bucks"] = "USD", ["euro"] = "EUR", ["euros"] = "EUR", ["pound"] = "GBP", ["pounds"] = "GBP", ["yen"] = "JPY",
    };

    private static readonly System.Buffers.SearchValues<char> CurrencySymbols = System.Buffers.SearchValues.Create("$€£¥₹円");

    private static readonly System.Buffers.SearchValues<string> CurrencyMarks = System.Buffers.SearchValues.Create(
        ["usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "inr", "cny", "sek", "nok", "dkk", "pln", "mxn", "brl", "nzd", "sgd", "hkd", "zar",
         "dollar", "euro", "pound", "bucks", "yen", "rs"],
        StringComparison.OrdinalIgnoreCase);

    private static readonly System.Buffers.SearchValues<string> NumberWordMarks = System.Buffers.SearchValues.Create(
        ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty"],
        StringComparison.OrdinalIgnoreCase);

    private static readonly HashSet<string> CommonCapitalised = new(
        [
            "I", "I'm", "I've", "I'll", "I'd", "A", "An", "The", "This", "That", "These", "Those", "It", "It's", "Its", "We", "We've", "We're", "We'll",
            "You", "Your", "You're", "You've", "You'll", "Yours", "He", "She", "They", "Their", "There", "Here", "Hi", "Hello", "Hey", "Dear",
            "Thanks", "Thank", "Please", "Sorry", "Yes", "No", "Ok", "Okay", "Sure", "Great", "Good", "Glad", "Happy", "Welcome", "Unfortunately",
            "Also", "And", "But", "Or", "So", "If", "When", "Once", "As", "At", "On", "In", "For", "From", "To", "With", "By", "Of", "About", "After",
            "Before", "Just", "Let", "Feel", "Have", "Has", "Had", "Is", "Are", "Was", "Were", "Be", "Do", "Does", "Did", "Can", "Could", "Will",
            "Would", "Should", "May", "Might", "Must", "What", "Which", "Who", "Why", "How", "Where", "Anything", "Nothing", "Something", "All",
            "Any", "Each", "Every", "Some", "Most", "More", "My", "Our", "Note", "Status", "Order", "Refund", "Total", "Amount", "Date", "Reference",
            "Ref", "Ticket", "Case", "Update", "Updated", "Done", "Confirmed", "Summary", "Details", "Next", "Steps", "Tip", "Important", "Hope",
            "Enjoy", "Goodbye", "Bye", "See", "Take", "Best", "Regards", "Cheers", "Kind", "Sincerely", "Team", "Support", "Customer", "Service",
            "Today", "Tomorrow", "Yesterday", "Mr", "Mrs", "Ms", "Dr", "Ms.", "Mr.", "Dr.", "UTC", "GMT", "Monday", "Tuesday", "Wednesday",
            "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "June", "July", "August", "September",
            "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Got",
            "Noted", "Absolutely", "Certainly", "Of", "Alright", "Right", "Well", "Now", "Then", "Still", "Currently", "However", "Meanwhile",
        ],
        StringComparer.Ordinal);

    private static readonly HashSet<string> IdLabels = new(
        ["order", "orders", "booking", "ticket", "case", "invoice", "account", "reference", "ref", "tracking", "reservation", "confirmation",
         "policy", "claim", "member", "customer", "shipment", "parcel", "package", "no", "number", "id", "pnr", "flight", "appointment", "contract",
         "subscription", "plan", "request", "transaction", "card", "item", "sku", "product", "room", "seat", "gate", "line", "loan"],
        StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, int> WordNumbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9, ["ten"] = 10,
        ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20, ["thirty"] = 30,
    };

    private static readonly HashSet<string> NotQuantityNouns = new(
        ["of", "and", "or", "to", "in", "on", "at", "for", "by", "with", "from", "is", "are", "was", "were", "the", "a", "an", "as", "if", "but",
         "so", "than", "then", "more", "less", "times", "x", "usd", "eur", "gbp", "am", "pm", "utc", "gmt", "percent"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Scans a reply (formatting already stripped, placeholders from the normaliser already in).</summary>
    public static ScannedReply Scan(string text, TurnInputs inputs, FactOptions options)
    {
        // The span and token lists are the thread's own, reused from scan to scan: Scan is not re-entrant and
        // neither list escapes it (facts, names and ids are copied out as strings).
        var spans = t_spans ??= new List<Span>(64);
        spans.Clear();
        (t_payloads ??= new List<string>(16)).Clear();
        CollectPlaceholders(text, spans);
        // Each reader runs only when the text holds what it needs (vectorised searches): most replies state few facts.
        if (text.Contains('@', StringComparison.Ordinal))
        {
            Collect(Email(), text, spans, FactKind.Email, 0);
        }

        if (text.AsSpan().ContainsAny(UrlMarks))
        {
            Collect(Url(), text, spans, FactKind.Url, 1);
        }

        CollectDates(text, spans, options);
        CollectTimes(text, spans, inputs, options);
        CollectAmounts(text, spans);
        CollectPhones(text, spans);
        var generatedIds = new List<string>();
        var recordIds = new List<string>();
        CollectIds(text, spans, inputs, generatedIds, recordIds);
        CollectNumbers(text, spans);
        var chosen = Resolve(spans);

        var facts = new List<TypedFact>(Math.Min(chosen.Count, 16));
        // The meaning text is assembled in a pooled buffer: the text with generated values (and their labels) cut out.
        var meaning = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            var length = 0;
            var last = 0;
            foreach (var span in chosen)
            {
                if (span.Kind is null)
                {
                    // Generated: dropped from the meaning text (with a "ref"/"ticket" label right before it).
                    text.AsSpan(last, span.Start - last).CopyTo(meaning.AsSpan(length));
                    length = TrimLabel(meaning, length + span.Start - last);
                    last = span.Start + span.Length;
                    continue;
                }

                AddFact(facts, new TypedFact(span.Kind.Value, Canonical(text, span)));
            }

            text.AsSpan(last).CopyTo(meaning.AsSpan(length));
            length += text.Length - last;
            var names = CollectNames(text, inputs, chosen, facts);
            return new ScannedReply(facts, Collapse(meaning.AsSpan(0, length)), names, generatedIds, recordIds);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(meaning);
            if (spans.Capacity > 4096)
            {
                t_spans = null; // a very long reply's list is not kept for the thread's lifetime
                t_tokens = null;
                t_payloads = null;
            }
        }
    }

    /// <summary>The index of <paramref name="value"/> among the scan's payload strings; -1 for none.</summary>
    private static int Payload(string? value)
    {
        if (value is null)
        {
            return -1;
        }

        var payloads = t_payloads!;
        payloads.Add(value);
        return payloads.Count - 1;
    }

    /// <summary>The canonical value of a chosen fact span.</summary>
    private static string Canonical(string text, Span span) => span.Value switch
    {
        SpanValue.Amount => CanonicalNumber(text.AsSpan(span.NumberStart, span.NumberLength), decimals: true, t_payloads![span.Payload], spaced: true),
        SpanValue.Number => CanonicalNumber(text.AsSpan(span.NumberStart, span.NumberLength), decimals: false, span.Payload == 1 ? "%" : default),
        SpanValue.Id => UpperInvariant(text.AsSpan(span.Start, span.Length)),
        _ => t_payloads![span.Payload],
    };

    /// <summary>The text upper-cased as one string (ids are short: on the stack, then one string).</summary>
    private static string UpperInvariant(ReadOnlySpan<char> text)
    {
        if (text.Length > 128)
        {
            return text.ToString().ToUpperInvariant();
        }

        Span<char> upper = stackalloc char[text.Length];
        text.ToUpperInvariant(upper);
        return new string(upper);
    }

    /// <summary>Adds a fact once: replies state few distinct facts, so a scan of the list beats a hash set.</summary>
    private static bool AddFact(List<TypedFact> facts, TypedFact fact)
    {
        foreach (var known in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(facts))
        {
            if (known.Kind == fact.Kind && string.Equals(known.Value, fact.Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        facts.Add(fact);
        return true;
    }

    /// <summary>True when the word at <paramref name="index"/> begins a sentence (only white space or opening punctuation since the last full stop).</summary>
    internal static bool StartsSentence(string text, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || c is '"' or '\'' or '(' or '“' or '‘' or '*' or '-' or '•')
            {
                continue;
            }

            return c is '.' or '!' or '?' or ':' or '\n' or ';';
        }

        return true;
    }

    internal static bool IsCommonCapitalised(string word) => IsCommonCapitalised(word.AsSpan());

    internal static bool IsCommonCapitalised(ReadOnlySpan<char> word) => word.Length < 2 || CommonCapitalisedBySpan.Contains(word);

    internal static string? CanonicalTime(Match match)
    {
        var hour = int.Parse(match.Groups["h"].ValueSpan, CultureInfo.InvariantCulture);
        var minute = match.Groups["m"].Success ? int.Parse(match.Groups["m"].ValueSpan, CultureInfo.InvariantCulture) : 0;
        var meridiem = match.Groups["ap"].Success ? char.ToLowerInvariant(match.Groups["ap"].ValueSpan[0]) : '\0';
        if (!match.Groups["m"].Success && meridiem == '\0')
        {
            return null;
        }

        if (meridiem != '\0' && hour is < 1 or > 12)
        {
            return null;
        }

        if (meridiem == 'p' && hour < 12)
        {
            hour += 12;
        }
        else if (meridiem == 'a' && hour == 12)
        {
            hour = 0;
        }

        return hour is >= 0 and < 24 && minute is >= 0 and < 60 ? $"{hour:00}:{minute:00}" : null;
    }

    private static void CollectPlaceholders(string text, List<Span> spans)
    {
        if (!text.Contains('<', StringComparison.Ordinal))
        {
            return;
        }

        foreach (var match in Placeholder().EnumerateMatches(text))
        {
            spans.Add(new Span(match.Index, match.Length, null, 0));
        }
    }

    private static void Collect(Regex regex, string text, List<Span> spans, FactKind kind, int priority)
    {
        foreach (var match in regex.EnumerateMatches(text))
        {
            var value = text.AsSpan(match.Index, match.Length).TrimEnd(".,;:!?");
            var canonical = value.ToString().ToLowerInvariant();
            if (kind == FactKind.Url)
            {
                canonical = canonical.TrimEnd('/');
            }

            spans.Add(new Span(match.Index, value.Length, kind, priority, Payload: Payload(canonical)));
        }
    }

    private static void CollectDates(string text, List<Span> spans, FactOptions options)
    {
        if (!text.AsSpan().ContainsAnyInRange('0', '9'))
        {
            return;
        }

        if (HasWordStartingWith(text, MonthWords))
        {
            foreach (Match match in MonthFirstDate().Matches(text))
            {
                AddDate(spans, match, Month(match.Groups["mon"].ValueSpan), match.Groups["d"].ValueSpan, match.Groups["y"]);
            }

            foreach (Match match in DayFirstDate().Matches(text))
            {
                AddDate(spans, match, Month(match.Groups["mon"].ValueSpan), match.Groups["d"].ValueSpan, match.Groups["y"]);
            }
        }

        // ISO dates need a hyphen between digits; numeric ones a slash between digits or two dots ("08.02.2026").
        if (SeparatorBetweenDigits(text, '-', 1))
        {
            foreach (Match match in IsoDate().Matches(text))
            {
                AddDate(spans, match, int.Parse(match.Groups["m"].ValueSpan, CultureInfo.InvariantCulture), match.Groups["d"].ValueSpan, match.Groups["y"]);
            }
        }

        if (!SeparatorBetweenDigits(text, '/', 1) && !TwoDotsBetweenDigits(text))
        {
            return;
        }

        foreach (Match match in NumericDate().Matches(text))
        {
            var first = int.Parse(match.Groups["a"].ValueSpan, CultureInfo.InvariantCulture);
            var second = int.Parse(match.Groups["b"].ValueSpan, CultureInfo.InvariantCulture);
            var dotted = text[match.Groups["a"].Index + match.Groups["a"].Length] == '.';
            var (month, day) = options.MonthFirst && !dotted ? (first, second) : (second, first);
            AddDate(spans, match, month, day.ToString(CultureInfo.InvariantCulture), match.Groups["y"]);
        }
    }

    /// <summary>True when <paramref name="separator"/> stands between two digits at least <paramref name="times"/> times.</summary>
    private static bool SeparatorBetweenDigits(string text, char separator, int times)
    {
        var count = 0;
        var i = text.IndexOf(separator, StringComparison.Ordinal);
        while (i > 0 && i + 1 < text.Length)
        {
            if (char.IsAsciiDigit(text[i - 1]) && char.IsAsciiDigit(text[i + 1]) && ++count >= times)
            {
                return true;
            }

            i = text.IndexOf(separator, i + 1);
        }

        return false;
    }

    /// <summary>True when one token holds two dots between digits ("08.02.2026"), unlike amounts ("25.00 … 12.50").</summary>
    private static bool TwoDotsBetweenDigits(string text)
    {
        var i = text.IndexOf('.', StringComparison.Ordinal);
        while (i > 0 && i + 1 < text.Length)
        {
            if (char.IsAsciiDigit(text[i - 1]) && char.IsAsciiDigit(text[i + 1]))
            {
                var j = i + 1;
                while (j < text.Length && char.IsAsciiDigit(text[j]))
                {
                    j++;
                }

                if (j + 1 < text.Length && text[j] == '.' && char.IsAsciiDigit(text[j + 1]))
                {
                    return true;
                }
            }

            i = text.IndexOf('.', i + 1);
        }

        return false;
    }

    /// <summary>True when a time of day may be written: a colon between digits, or a digit before "am"/"pm" (a space between allowed).</summary>
    private static bool MayHoldTime(string text)
    {
        if (SeparatorBetweenDigits(text, ':', 1))
        {
            return true;
        }

        var i = 0;
        while (i < text.Length)
        {
            var hit = text.AsSpan(i).IndexOfAny(Meridiems);
            if (hit < 0)
            {
                return false;
            }

            var at = i + hit;
            var before = at - 1;
            if (before >= 0 && char.IsWhiteSpace(text[before]))
            {
                before--;
            }

            if (before >= 0 && char.IsAsciiDigit(text[before]))
            {
                return true;
            }

            i = at + 1;
        }

        return false;
    }

    private static bool HasWordStartingWith(string text, System.Buffers.SearchValues<string> prefixes)
    {
        var i = 0;
        while (i < text.Length)
        {
            var hit = text.AsSpan(i).IndexOfAny(prefixes);
            if (hit < 0)
            {
                return false;
            }

            var at = i + hit;
            if (at == 0 || !char.IsLetter(text[at - 1]))
            {
                return true;
            }

            i = at + 1;
        }

        return false;
    }

    private static void AddDate(List<Span> spans, Match match, int month, ReadOnlySpan<char> dayText, Group year)
    {
        if (!int.TryParse(dayText, NumberStyles.None, CultureInfo.InvariantCulture, out var day) || month is < 1 or > 12 || day is < 1 or > 31)
        {
            return;
        }

        var value = year.Success
            ? $"{(year.Length == 2 ? 2000 + int.Parse(year.ValueSpan, CultureInfo.InvariantCulture) : int.Parse(year.ValueSpan, CultureInfo.InvariantCulture)):0000}-{month:00}-{day:00}"
            : $"{month:00}-{day:00}";
        spans.Add(new Span(match.Index, match.Length, FactKind.Date, 2, Payload: Payload(value)));
    }

    private static int Month(ReadOnlySpan<char> name)
    {
        var prefix = name[..3];
        for (var i = 0; i < MonthNames.Length; i++)
        {
            if (prefix.Equals(MonthNames[i], StringComparison.OrdinalIgnoreCase))
            {
                return i + 1;
            }
        }

        return 0;
    }

    private static void CollectTimes(string text, List<Span> spans, TurnInputs inputs, FactOptions options)
    {
        if (!MayHoldTime(text))
        {
            return;
        }

        foreach (Match match in TimeOfDay().Matches(text))
        {
            if (CanonicalTime(match) is not { } time)
            {
                continue;
            }

            // A time the stack was given (an appointment slot) is a fact; one it made up ("as of 11:44 UTC") is noise.
            var generated = options.MaskTimes && !inputs.Times.Contains(time);
            spans.Add(new Span(match.Index, match.Length, generated ? null : FactKind.Time, 3, Payload: generated ? -1 : Payload(time)));
        }
    }

    /// <summary>
    /// Amounts, found from their currency marks outwards (vectorised search for symbols, ISO codes and words), with the
    /// number right before or after the mark: "$15", "US$ 15", "15 USD", "USD 15.00", "15,00 €", "15 dollars".
    /// </summary>
    private static void CollectAmounts(string text, List<Span> spans)
    {
        // Symbols and ASCII words are searched separately: each search is vectorised on its own, not when mixed.
        var i = 0;
        var nextSymbol = -2;
        var nextWord = -2;
        var wordMarks = WordMarksNearNumbers(text);
        var markIndex = 0;
        while (i < text.Length)
        {
            if (nextSymbol != -1 && nextSymbol < i)
            {
                var found = text.AsSpan(i).IndexOfAny(CurrencySymbols);
                nextSymbol = found < 0 ? -1 : i + found;
            }

            if (nextWord != -1 && nextWord < i)
            {
                while (markIndex < wordMarks.Count && wordMarks[markIndex] < i)
                {
                    markIndex++;
                }

                nextWord = markIndex < wordMarks.Count ? wordMarks[markIndex] : -1;
            }

            if (nextSymbol < 0 && nextWord < 0)
            {
                return;
            }

            var at = nextSymbol < 0 ? nextWord : nextWord < 0 ? nextSymbol : Math.Min(nextSymbol, nextWord);
            var (mark, currency, symbol) = MarkAt(text, at);
            i = at + Math.Max(1, mark);
            if (currency is null)
            {
                continue;
            }

            // Number after the mark ("$15", "USD 15.00") — a symbol or code; a word ("dollars") only follows its number.
            if ((!char.IsLetter(text[at]) && text[at] != '円') || (currency.Length == 3 && mark == 3) || currency == "INR")
            {
                var start = at + mark;
                if (start < text.Length && text[start] == ' ')
                {
                    start++;
                }

                var length = NumberLength(text, start);
                if (length > 0)
                {
                    var markStart = at;
                    // "US$", "CA$", "A$", "C$": the letters before '$' belong to the mark.
                    while (symbol && markStart > 0 && char.IsAsciiLetterUpper(text[markStart - 1]) && at - markStart < 2)
                    {
                        markStart--;
                    }

                    var prefix = text.AsSpan(markStart, at - markStart + 1);
                    var code = markStart < at ? CurrencyOfSymbol(prefix) : currency;
                    spans.Add(new Span(markStart, start + length - markStart, FactKind.Amount, 4, SpanValue.Amount, Payload(code), start, length));
                    i = start + length;
                    continue;
                }
            }

            // Number before the mark ("15 USD", "15,00 €", "15 dollars").
            var end = at;
            if (end > 0 && text[end - 1] == ' ')
            {
                end--;
            }

            var numberStart = end;
            while (numberStart > 0 && (char.IsAsciiDigit(text[numberStart - 1]) || (text[numberStart - 1] is ',' or '.' && numberStart > 1 && char.IsAsciiDigit(text[numberStart - 2]))))
            {
                numberStart--;
            }

            if (numberStart < end && char.IsAsciiDigit(text[numberStart]) && (numberStart == 0 || !char.IsLetterOrDigit(text[numberStart - 1])))
            {
                spans.Add(new Span(numberStart, at + mark - numberStart, FactKind.Amount, 4, SpanValue.Amount, Payload(currency), numberStart, end - numberStart));
            }
        }
    }

    /// <summary>
    /// Where currency words and codes may start, in text order: the word right before each number ("USD 15", "Rs. 200")
    /// and right after it ("15 dollars"), a space (and after "Rs", a dot) between. An amount's word touches its number,
    /// so no other word needs reading: a search for the marks themselves meets their two-letter prefixes ("in", "no",
    /// "us"…) all over English text.
    /// </summary>
    private static List<int> WordMarksNearNumbers(string text)
    {
        var marks = t_marks ??= new List<int>(16);
        marks.Clear();
        var i = 0;
        while (i < text.Length)
        {
            var digit = text.AsSpan(i).IndexOfAnyInRange('0', '9');
            if (digit < 0)
            {
                break;
            }

            var start = i + digit;
            var end = NumberEnd(text, start);

            i = end;
            var before = start - 1;
            if (before >= 0 && text[before] == ' ')
            {
                before--;
            }

            if (before >= 0 && text[before] == '.')
            {
                before--;
            }

            var wordStart = before + 1;
            while (wordStart > 0 && char.IsLetter(text[wordStart - 1]))
            {
                wordStart--;
            }

            if (wordStart <= before && (marks.Count == 0 || marks[^1] < wordStart))
            {
                marks.Add(wordStart);
            }

            var after = end < text.Length && text[end] == ' ' ? end + 1 : end;
            if (after < text.Length && char.IsLetter(text[after]))
            {
                marks.Add(after);
            }
        }

        return marks;
    }

    /// <summary>The currency mark at <paramref name="at"/>: its length, ISO code and whether it is a symbol; (0, null) when the hit is inside a word.</summary>
    private static (int Length, string? Currency, bool Symbol) MarkAt(string text, int at)
    {
        var c = text[at];
        if (!char.IsLetter(c) || c == '円')
        {
            return (1, CurrencyOfSymbol(text.AsSpan(at, 1)), true);
        }

        if (at > 0 && char.IsLetter(text[at - 1]))
        {
            return (0, null, false);
        }

        var wordEnd = at;
        while (wordEnd < text.Length && char.IsLetter(text[wordEnd]))
        {
            wordEnd++;
        }

        var word = text.AsSpan(at, wordEnd - at);
        if (word.Length == 3 && CurrencyCodesBySpan.TryGetValue(word, out var code) && !word.Equals("yen", StringComparison.OrdinalIgnoreCase))
        {
            return (3, code, false);
        }

        if (word.Equals("rs", StringComparison.OrdinalIgnoreCase))
        {
            // "Rs. 1,25,000", "Rs 200": rupees, written before the number.
            return (wordEnd < text.Length && text[wordEnd] == '.' ? 3 : 2, "INR", false);
        }

        // Most words next to a number are not currency words: their length and first letter rule them out before hashing.
        return word.Length is >= 3 and <= 7 && (word[0] | 0x20) is 'd' or 'b' or 'e' or 'p' or 'y' && CurrencyWordsBySpan.TryGetValue(word, out var named)
            ? (word.Length, named, false)
            : (0, null, false);
    }

    /// <summary>Length of the number starting at <paramref name="start"/>: digits with thousands groups and up to two decimals; 0 when none.</summary>
    private static int NumberLength(string text, int start)
    {
        var end = start < text.Length && char.IsAsciiDigit(text[start]) ? NumberEnd(text, start) : start;
        return end > start && (end == text.Length || !char.IsLetter(text[end])) ? end - start : 0;
    }

    /// <summary>The end of the number whose first digit is at <paramref name="start"/>: digits, with ',' or '.' only between digits ("1,234.50").</summary>
    private static int NumberEnd(string text, int start)
    {
        var end = start;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || (text[end] is ',' or '.' && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1]))))
        {
            end++;
        }

        return end;
    }

    private static void CollectPhones(string text, List<Span> spans)
    {
        if (!MayHoldPhone(text))
        {
            return;
        }

        foreach (var match in Phone().EnumerateMatches(text))
        {
            var value = text.AsSpan(match.Index, match.Length);
            var digits = 0;
            var separators = 0;
            foreach (var c in value)
            {
                if (char.IsAsciiDigit(c))
                {
                    digits++;
                }
                else
                {
                    separators++;
                }
            }

            // Needs the shape of a phone number: 7–15 digits broken into groups or with a country code.
            if (digits is < 7 or > 15 || (separators == 0 && value[0] != '+'))
            {
                continue;
            }

            var canonical = new StringBuilder(digits + 1);
            if (value[0] == '+')
            {
                canonical.Append('+');
            }

            foreach (var c in value)
            {
                if (char.IsAsciiDigit(c))
                {
                    canonical.Append(c);
                }
            }

            spans.Add(new Span(match.Index, match.Length, FactKind.Phone, 5, Payload: Payload(canonical.ToString())));
        }
    }

    /// <summary>A phone needs seven digits in groups: a digit, a separator, a digit, and seven digits in the text.</summary>
    private static bool MayHoldPhone(string text)
    {
        var span = text.AsSpan();
        var digits = 0;
        var run = 0;
        var grouped = false;
        for (var i = span.IndexOfAnyInRange('0', '9'); i >= 0 && i < span.Length; i++)
        {
            if (char.IsAsciiDigit(span[i]))
            {
                digits++;
                run++;
                continue;
            }

            // "415 555", "555-0132", "(415) 555", "415.555.0132"; not a decimal ("25.00": a dot after two digits or fewer).
            grouped |= (span[i] is ' ' or '-' or ')' || (span[i] == '.' && run >= 3)) && i + 1 < span.Length && (char.IsAsciiDigit(span[i + 1]) || span[i + 1] == '(');
            run = 0;
            var next = span[(i + 1)..].IndexOfAnyInRange('0', '9');
            if (next < 0)
            {
                break;
            }

            i += next;
        }

        return digits >= 7 && (grouped || span.Contains('+'));
    }

    private static void CollectIds(string text, List<Span> spans, TurnInputs inputs, List<string> generatedIds, List<string> recordIds)
    {
        foreach (var match in IdTokens(text))
        {
            var token = text.AsSpan(match.Index, match.Length).TrimEnd("-_/");
            var hash = token[0] == '#';
            var body = hash ? token[1..] : token;
            var letters = 0;
            var digits = 0;
            foreach (var c in body)
            {
                if (char.IsAsciiDigit(c))
                {
                    digits++;
                }
                else if (char.IsLetter(c))
                {
                    letters++;
                }
            }

            // Letters-only references need the shape of one: upper case around a hyphen ("RF-ZYLZLB").
            if (digits == 0 && !UpperReference().IsMatch(body))
            {
                continue;
            }

            var idLike = (letters > 0 && body.Length >= 3 && (digits > 0 || UpperReference().IsMatch(body))) || (hash && digits >= 3) || (letters == 0 && digits >= 6 && body.Length == digits)
                || (letters == 0 && digits >= 3 && body.Length == digits && FollowsIdLabel(text, match.Index));
            if (!idLike)
            {
                continue;
            }

            // Letters-only suffixes like "2nd", "3pm", "15th", "20kg", "4K" are not ids.
            if (letters > 0 && !hash && digits <= 4 && OrdinalOrUnit().IsMatch(body))
            {
                continue;
            }

            var start = match.Index + (hash ? 1 : 0);
            if (inputs.Grounds(body))
            {
                spans.Add(new Span(start, body.Length, FactKind.Id, 6, SpanValue.Id));
            }
            else
            {
                spans.Add(new Span(match.Index, token.Length, null, 6));
                var id = AddOnce(generatedIds, body);
                if (FollowsRecordLabel(text, match.Index) && !recordIds.Contains(id))
                {
                    recordIds.Add(id);
                }
            }
        }
    }

    /// <summary>Adds <paramref name="value"/> unless the list holds it already (a reply repeats its reference); returns the list's string.</summary>
    private static string AddOnce(List<string> values, ReadOnlySpan<char> value)
    {
        foreach (var known in values)
        {
            if (value.SequenceEqual(known))
            {
                return known;
            }
        }

        var added = value.ToString();
        values.Add(added);
        return added;
    }

    /// <summary>
    /// The alphanumeric tokens that hold a digit (<c>BK-22817</c>, <c>#4411</c>, <c>8107f48f</c>), found from the digits
    /// outwards: the same tokens as <c>(?&lt;![\w#])#?[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*</c>, without visiting every word.
    /// </summary>
    private static List<(int Index, int Length)> DigitTokens(string text)
    {
        var tokens = t_tokens ??= new List<(int, int)>(32);
        tokens.Clear();
        var i = 0;
        while (i < text.Length)
        {
            var digit = text.AsSpan(i).IndexOfAnyInRange('0', '9');
            if (digit < 0)
            {
                break;
            }

            var start = i + digit;
            while (start > 0 && (char.IsAsciiLetterOrDigit(text[start - 1]) || (IsJoiner(text[start - 1]) && start > 1 && char.IsAsciiLetterOrDigit(text[start - 2]))))
            {
                start--;
            }

            var end = i + digit;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || (IsJoiner(text[end]) && end + 1 < text.Length && char.IsAsciiLetterOrDigit(text[end + 1]))))
            {
                end++;
            }

            i = end;
            if (start > 0 && text[start - 1] == '#')
            {
                start--;
            }

            var before = start > 0 ? text[start - 1] : ' ';
            if (char.IsLetterOrDigit(before) || before is '_' or '#')
            {
                continue; // inside a longer word ("café2"), as the regex's look-behind would refuse
            }

            tokens.Add((start, end - start));
        }

        return tokens;
    }

    private static bool IsJoiner(char c) => c is '-' or '_' or '/';

    /// <summary>The digit tokens, then upper-case references without digits ("RF-ZYLZLB"), in text order.</summary>
    private static List<(int Index, int Length)> IdTokens(string text)
    {
        var tokens = DigitTokens(text);
        if (text.Contains('-', StringComparison.Ordinal))
        {
            foreach (var match in UpperReference().EnumerateMatches(text))
            {
                tokens.Add((match.Index, match.Length));
            }
        }

        return tokens;
    }

    private static readonly HashSet<string> RecordLabels = new(
        ["order", "orders", "booking", "reservation", "account", "policy", "claim", "invoice", "shipment", "parcel", "package", "subscription",
         "contract", "member", "customer", "loan", "card", "flight", "appointment", "room", "rental", "application", "student", "patient", "plate"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the word before names a customer record ("reservation VC-12636-LM"), not a reference ("ref", "ticket", "case").</summary>
    private static bool FollowsRecordLabel(string text, int index)
    {
        var i = index - 1;
        while (i >= 0 && (char.IsWhiteSpace(text[i]) || text[i] is ':' or '#' or '(' or '.'))
        {
            i--;
        }

        var end = i + 1;
        while (i >= 0 && char.IsLetter(text[i]))
        {
            i--;
        }

        return end - i - 1 > 0 && RecordLabelsBySpan.Contains(text.AsSpan(i + 1, end - i - 1));
    }

    private static bool FollowsIdLabel(string text, int index)
    {
        // The word before (skipping "no.", "number", "#", ":"): "order 4411", "booking no. 5521", "case #: 812".
        var i = index - 1;
        for (var hops = 0; hops < 3 && i >= 0; hops++)
        {
            while (i >= 0 && (char.IsWhiteSpace(text[i]) || text[i] is ':' or '#' or '.'))
            {
                i--;
            }

            var end = i + 1;
            while (i >= 0 && char.IsLetter(text[i]))
            {
                i--;
            }

            var word = text.AsSpan(i + 1, end - i - 1);
            if (word.IsEmpty)
            {
                return false;
            }

            var lookup = IdLabelsBySpan;
            if (!lookup.Contains(word))
            {
                return false;
            }

            // "number 4411" and "id 4411" are ids on their own; "no. 4411" needs a label before it ("order no. 4411").
            if (!word.Equals("no", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FollowsListLabel(string text, int index)
    {
        var i = index - 1;
        while (i >= 0 && text[i] is ' ' or '#')
        {
            i--;
        }

        var end = i + 1;
        while (i >= 0 && char.IsLetter(text[i]))
        {
            i--;
        }

        var word = text.AsSpan(i + 1, end - i - 1);
        return word.Length is >= 3 and <= 6 && ListLabelsBySpan.Contains(word);
    }

    private static readonly HashSet<string> ListLabels = new(["step", "option", "tip", "point", "part", "stage"], StringComparer.OrdinalIgnoreCase);

    private static void CollectNumbers(string text, List<Span> spans)
    {
        CollectDigitNumbers(text, spans);
        if (text.AsSpan().ContainsAny(NumberWordMarks))
        {
            CollectNumbers(WordQuantity(), text, spans);
        }
    }

    /// <summary>
    /// Numbers written in digits, found from the digits: "1,234.50", "15", "20%", with the noun that makes them a
    /// quantity ("3 items"); the same as the pattern <c>(?&lt;![\w.,])\d+(?:[.,]\d+)*%?(?:[ -]noun)?</c>, without a match object each.
    /// </summary>
    private static void CollectDigitNumbers(string text, List<Span> spans)
    {
        var i = 0;
        while (i < text.Length)
        {
            var found = text.AsSpan(i).IndexOfAnyInRange('0', '9');
            if (found < 0)
            {
                return;
            }

            var start = i + found;
            var end = NumberEnd(text, start);

            i = end;
            if (start > 0 && (char.IsLetterOrDigit(text[start - 1]) || text[start - 1] is '_' or '.' or ','))
            {
                continue; // inside a word or an id ("A7K2", "v2.1")
            }

            if (FollowsListLabel(text, start))
            {
                continue; // "Step 2", "Option 3": how the reply is laid out, not a fact
            }

            var percent = end < text.Length && text[end] == '%';
            var afterNumber = end + (percent ? 1 : 0);
            var noun = ReadOnlySpan<char>.Empty;
            if (afterNumber + 2 < text.Length && text[afterNumber] is ' ' or '-' && char.IsAsciiLetter(text[afterNumber + 1]))
            {
                var nounEnd = afterNumber + 1;
                while (nounEnd < text.Length && char.IsAsciiLetter(text[nounEnd]))
                {
                    nounEnd++;
                }

                noun = nounEnd - afterNumber - 1 >= 2 && (nounEnd == text.Length || !char.IsLetterOrDigit(text[nounEnd])) ? text.AsSpan(afterNumber + 1, nounEnd - afterNumber - 1) : [];
            }

            var quantity = !noun.IsEmpty && !NotQuantityNounsBySpan.Contains(noun) && !(noun.Length is >= 3 and <= 7 && WordNumbersBySpan.ContainsKey(noun));
            var length = quantity ? afterNumber + 1 + noun.Length - start : afterNumber - start;
            spans.Add(new Span(start, length, quantity ? FactKind.Quantity : FactKind.Number, 7, SpanValue.Number, percent ? 1 : 0, start, end - start));
        }
    }

    private static void CollectNumbers(Regex regex, string text, List<Span> spans)
    {
        foreach (var match in regex.EnumerateMatches(text))
        {
            // Layout fixed by the pattern: a number (digits or a number word), an optional '%', an optional noun.
            var found = text.AsSpan(match.Index, match.Length);
            var digits = char.IsAsciiDigit(found[0]);
            var numberLength = 0;
            while (numberLength < found.Length && (digits ? char.IsAsciiDigit(found[numberLength]) || found[numberLength] is ',' or '.' : char.IsAsciiLetter(found[numberLength])))
            {
                numberLength++;
            }

            var number = found[..numberLength].TrimEnd(",.");
            var percent = numberLength < found.Length && found[numberLength] == '%';
            var nounStart = numberLength + (percent ? 1 : 0) + 1;
            var noun = nounStart < found.Length ? found[nounStart..] : [];
            if (digits && FollowsListLabel(text, match.Index))
            {
                continue; // "Step 2", "Option 3": how the reply is laid out, not a fact
            }

            var quantity = !noun.IsEmpty && !NotQuantityNounsBySpan.Contains(noun) && !WordNumbersBySpan.ContainsKey(noun);
            if (!digits && !quantity)
            {
                continue;
            }

            var value = digits ? CanonicalNumber(number, decimals: false) : WordNumbersBySpan[number].ToString(CultureInfo.InvariantCulture);
            var length = quantity ? match.Length : number.Length + (percent ? 1 : 0);
            spans.Add(new Span(match.Index, length, quantity ? FactKind.Quantity : FactKind.Number, 7, Payload: Payload(percent ? value + "%" : value)));
        }
    }

    /// <summary>Leftmost span first; where spans overlap, the earlier one wins, and at the same start the more specific reader.</summary>
    private static List<Span> Resolve(List<Span> spans)
    {
        // Sorted by one integer key (start, then priority, then the longer span): a primitive sort, no comparison delegate.
        var items = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(spans);
        var rented = items.Length > 256 ? System.Buffers.ArrayPool<long>.Shared.Rent(items.Length) : null;
        var keys = rented is null ? stackalloc long[items.Length] : rented.AsSpan(0, items.Length);
        for (var k = 0; k < items.Length; k++)
        {
            keys[k] = ((long)items[k].Start << 32) | ((long)Math.Min(items[k].Priority, 0xFFFF) << 16) | (long)(0xFFFF - Math.Min(items[k].Length, 0xFFFF));
        }

        keys.Sort(items);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<long>.Shared.Return(rented);
        }

        // Chosen spans are compacted to the front of the same list.
        var count = 0;
        var end = 0;
        foreach (var span in items)
        {
            if (span.Start >= end)
            {
                items[count++] = span;
                end = span.Start + span.Length;
            }
            else if (count > 0 && span.Priority < items[count - 1].Priority && span.Start == items[count - 1].Start)
            {
                items[count - 1] = span;
                end = span.Start + span.Length;
            }
        }

        spans.RemoveRange(count, spans.Count - count);
        return spans;
    }

    private static List<string> CollectNames(string text, TurnInputs inputs, List<Span> chosen, List<TypedFact> facts)
    {
        var novel = new List<string>();
        // Matches come in text order and the chosen spans are sorted and disjoint: one pointer walks both.
        var next = 0;
        foreach (var match in CapitalisedWord().EnumerateMatches(text))
        {
            while (next < chosen.Count && chosen[next].Start + chosen[next].Length <= match.Index)
            {
                next++;
            }

            if (next < chosen.Count && chosen[next].Start <= match.Index)
            {
                continue; // inside a fact or a masked value
            }

            // Most capitalised words are common ones ("Your", "Good"): they are looked up without a string each.
            var span = text.AsSpan(match.Index, match.Length);
            if (inputs.Names.Count > 0 && inputs.Names.Contains(span.ToString()))
            {
                AddFact(facts, new TypedFact(FactKind.Name, span.ToString()));
            }
            else if (!IsCommonCapitalised(span) && (!StartsSentence(text, match.Index) || (match.Index + match.Length < text.Length && text[match.Index + match.Length] is ',' or ':' or '!' or '—' or '–' || text.AsSpan(match.Index + match.Length).StartsWith(" -", StringComparison.Ordinal) || text.AsSpan(match.Index + match.Length).StartsWith(" —", StringComparison.Ordinal) || text.AsSpan(match.Index + match.Length).StartsWith(" –", StringComparison.Ordinal))))
            {
                novel.Add(span.ToString());
            }
        }

        return novel;
    }

    /// <summary>The length of <paramref name="meaning"/> once a reference's label before the cut is gone; <paramref name="length"/> when there is none.</summary>
    private static int TrimLabel(char[] meaning, int length)
    {
        // "(ref <gen>)", "Ticket #<gen>", "reference number: <gen>" → a reference's label goes with the value.
        var i = length - 1;
        while (i >= 0 && (char.IsWhiteSpace(meaning[i]) || meaning[i] is ':' or '#' or '.'))
        {
            i--;
        }

        var wordEnd = i + 1;
        while (i >= 0 && char.IsLetter(meaning[i]))
        {
            i--;
        }

        var word = meaning.AsSpan(i + 1, wordEnd - i - 1);
        // A record word stays ("no order <gen> in our system" keeps "order"): it carries the sentence's meaning.
        if (word.Length > 0 && ((IdLabelsBySpan.Contains(word) && !RecordLabelsBySpan.Contains(word)) || word.Equals("as", StringComparison.OrdinalIgnoreCase) || word.Equals("of", StringComparison.OrdinalIgnoreCase)))
        {
            return word.Equals("of", StringComparison.OrdinalIgnoreCase) ? TrimLabel(meaning, i + 1) : i + 1;
        }

        return length;
    }

    /// <summary>Printable ASCII except space and brackets, lower-cased; 0 for every other character.</summary>
    private static ReadOnlySpan<byte> AsciiLower =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 33, 34, 35, 36, 37, 38, 39, 0, 0, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
        64, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
        112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 0, 92, 0, 94, 95,
        96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
        112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 0,
    ];

    /// <summary>Lower-cases, removes brackets left empty and collapses white space.</summary>
    internal static string Collapse(ReadOnlySpan<char> text)
    {
        // The common reply: printable ASCII with plain spaces and no bracket left empty. Its meaning text is the text
        // lower-cased, runs of spaces as one, none at either end: vectorised searches and copies, run by run.
        var trimmed = text.Trim(' ');
        if (trimmed.IndexOfAnyExceptInRange(' ', '~') < 0 && !HasEmptyBrackets(trimmed))
        {
            return CollapseSpaces(trimmed);
        }

        return CollapseAny(text);
    }

    /// <summary>True when a closing bracket follows its opening one with nothing but <c> ,;:</c> between.</summary>
    private static bool HasEmptyBrackets(ReadOnlySpan<char> text)
    {
        var at = text.IndexOfAny(')', ']');
        while (at >= 0)
        {
            var before = text[..at].TrimEnd(" ,;:");
            if (!before.IsEmpty && before[^1] is '(' or '[')
            {
                return true;
            }

            var next = text[(at + 1)..].IndexOfAny(')', ']');
            at = next < 0 ? -1 : at + 1 + next;
        }

        return false;
    }

    /// <summary>Printable ASCII, no space at either end: lower-cased, each run of spaces as one.</summary>
    private static string CollapseSpaces(ReadOnlySpan<char> text)
    {
        var gap = text.IndexOf("  ", StringComparison.Ordinal);
        if (gap < 0)
        {
            return string.Create(text.Length, text, static (output, source) => System.Text.Ascii.ToLower(source, output, out _));
        }

        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(text.Length);
        try
        {
            var length = 0;
            var rest = text;
            while (gap >= 0)
            {
                System.Text.Ascii.ToLower(rest[..(gap + 1)], buffer.AsSpan(length), out var written);
                length += written;
                rest = rest[(gap + 1)..].TrimStart(' ');
                gap = rest.IndexOf("  ", StringComparison.Ordinal);
            }

            System.Text.Ascii.ToLower(rest, buffer.AsSpan(length), out var last);
            return new string(buffer, 0, length + last);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Any text, character by character (tabs, line breaks, other scripts, brackets left empty).</summary>
    internal static string CollapseAny(ReadOnlySpan<char> text)
    {
        var buffer = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, text.Length));
        try
        {
            var length = 0;
            var pendingSpace = false;
            var open = -1;
            var table = AsciiLower;
            var output = buffer.AsSpan();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                // Printable ASCII other than brackets, the common case: one table read gives the lower-case character,
                // and a word's letters are copied in one inner loop.
                if (c < 128 && table[c] != 0)
                {
                    if (pendingSpace)
                    {
                        output[length++] = ' ';
                        pendingSpace = false;
                    }

                    output[length++] = (char)table[c];
                    while (i + 1 < text.Length && text[i + 1] is var next && next < 128 && table[next] != 0)
                    {
                        output[length++] = (char)table[next];
                        i++;
                    }

                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = length > 0;
                    continue;
                }

                if (c is ')' or ']' && open >= 0 && buffer.AsSpan(open + 1, length - open - 1).IndexOfAnyExcept(" ,;:") < 0)
                {
                    // Brackets left empty once generated values went ("(ref <gen>, <gen>)") go too.
                    length = open;
                    while (length > 0 && buffer[length - 1] == ' ')
                    {
                        length--;
                    }

                    open = -1;
                    pendingSpace = length > 0;
                    continue;
                }

                if (pendingSpace)
                {
                    buffer[length++] = ' ';
                    pendingSpace = false;
                }

                if (c is '(' or '[')
                {
                    open = length;
                }

                buffer[length++] = char.ToLowerInvariant(c);
            }

            return new string(buffer, 0, length);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A number as one canonical string, <paramref name="suffix"/> appended ("%", or " USD" when <paramref name="spaced"/>): thousands separators dropped,
    /// a decimal comma read as a point, leading zeros gone; amounts with two decimals ("25" → "25.00"), other numbers
    /// without trailing zeros ("1.50" → "1.5"). The same strings as <c>decimal.Parse</c> then <c>ToString("0.00")</c> or
    /// <c>ToString("0.############")</c>, read from the digits: no parse, no format.
    /// </summary>
    private static string CanonicalNumber(ReadOnlySpan<char> number, bool decimals, ReadOnlySpan<char> suffix = default, bool spaced = false)
    {
        Span<char> unit = stackalloc char[suffix.Length + 1];
        unit[0] = ' ';
        suffix.CopyTo(unit[1..]);
        ReadOnlySpan<char> tail = spaced ? unit : unit[1..];
        if (!decimals && tail.IsEmpty && !number.ContainsAny(',', '.'))
        {
            var trimmed = number.TrimStart('0');
            if (trimmed.Length <= 3 && int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var small))
            {
                return SmallNumbers[small]; // counts, days, list items: no string per occurrence
            }

            return trimmed.IsEmpty ? "0" : trimmed.ToString();
        }

        // "1.234,50" and "15,00" are decimal commas; "1,234.50" and "1,234" are thousands separators.
        Span<char> clean = stackalloc char[Math.Min(number.Length, 64)];
        var comma = number.LastIndexOf(',');
        var dot = number.LastIndexOf('.');
        var decimalComma = comma > dot && number.Length - comma - 1 == 2;
        var n = 0;
        var points = 0;
        var point = -1;
        foreach (var c in number)
        {
            if (n == clean.Length)
            {
                break;
            }

            if (decimalComma ? c == '.' : c == ',')
            {
                continue;
            }

            if (c is ',' or '.')
            {
                points++;
                point = n;
            }

            clean[n++] = c == ',' ? '.' : c;
        }

        clean = clean[..n];
        if (points > 1)
        {
            return string.Concat(clean, tail); // "1.234.567": not a number decimal reads; kept as written
        }

        var whole = (point < 0 ? clean : clean[..point]).TrimStart('0');
        var fraction = point < 0 ? [] : clean[(point + 1)..];
        if (whole.Length > 20 || (decimals ? fraction.Length > 2 : fraction.Length > 12))
        {
            // Rounding, or more digits than a decimal holds: the library does it (rare).
            return decimal.TryParse(clean, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
                ? string.Concat(value.ToString(decimals ? "0.00" : "0.############", CultureInfo.InvariantCulture), tail)
                : string.Concat(clean, tail);
        }

        if (!decimals)
        {
            fraction = fraction.TrimEnd('0');
        }

        Span<char> result = stackalloc char[24 + 2 + tail.Length];
        var length = 0;
        if (whole.IsEmpty)
        {
            result[length++] = '0';
        }
        else
        {
            whole.CopyTo(result);
            length = whole.Length;
        }

        if (decimals || !fraction.IsEmpty)
        {
            result[length++] = '.';
            fraction.CopyTo(result[length..]);
            length += fraction.Length;
            for (var pad = fraction.Length; decimals && pad < 2; pad++)
            {
                result[length++] = '0';
            }
        }

        tail.CopyTo(result[length..]);
        return new string(result[..(length + tail.Length)]);
    }

    /// <summary>The ISO code of a currency symbol (<c>$</c>, <c>US$</c>, <c>€</c>…) or code (<c>usd</c>); anything else upper-cased as it is.</summary>
    internal static string CurrencyOf(ReadOnlySpan<char> mark) =>
        mark.Length == 3 && char.IsAsciiLetter(mark[0]) && char.IsAsciiLetter(mark[2])
            ? CurrencyCodesBySpan.TryGetValue(mark, out var code) ? code : mark.ToString().ToUpperInvariant()
            : CurrencyOfSymbol(mark);

    private static string CurrencyOfSymbol(ReadOnlySpan<char> symbol) => symbol switch
    {
        "$" or "US$" => "USD",
        "€" => "EUR",
        "£" => "GBP",
        "¥" => "JPY",
        "₹" => "INR",
        "円" => "JPY",
        "A$" => "AUD",
        "C$" or "CA$" => "CAD",
        _ => symbol.ToString(),
    };

    private static string CurrencyOfWord(ReadOnlySpan<char> word) =>
        word.StartsWith("euro", StringComparison.OrdinalIgnoreCase) ? "EUR"
        : word.StartsWith("pound", StringComparison.OrdinalIgnoreCase) ? "GBP"
        : word.StartsWith("yen", StringComparison.OrdinalIgnoreCase) ? "JPY"
        : "USD";

    [GeneratedRegex(@"<(?:ref|uuid|timestamp|masked|host)>", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b(?:https?://|www\.)[^\s<>""')\]]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Url();

    private const string MonthPattern = @"(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    private const string Weekday = @"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?";

    [GeneratedRegex(@"\b" + Weekday + @"(?:the\s+)?" + MonthPattern + @"\.?\s+(?:the\s+)?(?<d>\d{1,2})(?:st|nd|rd|th)?(?!\d|:|\.\d|,\d)(?:,?\s+(?<y>\d{4})\b)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MonthFirstDate();

    [GeneratedRegex(@"\b" + Weekday + @"(?:the\s+)?(?<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?\s+" + MonthPattern + @"\b\.?(?:,?\s+(?<y>\d{4})\b)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DayFirstDate();

    [GeneratedRegex(@"\b(?<y>\d{4})-(?<m>\d{1,2})-(?<d>\d{1,2})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b(?<a>\d{1,2})(?:/(?<b>\d{1,2})(?:/(?<y>\d{4}|\d{2}))?|\.(?<b>\d{1,2})\.(?<y>\d{4}))\b(?!/)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumericDate();

    [GeneratedRegex(@"\b(?<h>\d{1,2})(?::(?<m>\d{2})(?::\d{2}(?:\.\d+)?)?(?:\s?(?<ap>[ap])\.?m\b\.?)?|\.(?<m>\d{2})\s?(?<ap>[ap])\.?m\b\.?|\s?(?<ap>[ap])\.?m\b\.?)(?:\s?(?:utc|gmt|z\b|[ecmp][sd]?t\b|cet|cest|bst|ist))?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    internal static partial Regex TimeOfDay();

    [GeneratedRegex(@"(?<![\w+])\+?\(?\d{1,4}\)?(?:[ .-]\(?\d{1,5}\)?){1,5}(?![\w])|(?<![\w+])\+\d{7,15}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?<![\w-])[A-Z]{2,5}-[A-Z]{4,}(?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex UpperReference();

    [GeneratedRegex(@"^\d+(?:st|nd|rd|th|am|pm|k|kg|g|gb|mb|tb|km|m|cm|mm|h|hr|hrs|min|mins|s|x|d|px|ml|l)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OrdinalOrUnit();

    private const string QuantityNoun = @"(?:[ -](?!(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)\b)(?<noun>[A-Za-z]{2,}))?";

    [GeneratedRegex(@"\b(?<word>two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)\b" + QuantityNoun, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WordQuantity();

    [GeneratedRegex(@"\b\p{Lu}\p{Ll}+(?:'\p{Ll}+)?\b", RegexOptions.CultureInvariant)]
    internal static partial Regex CapitalisedWord();

    // Span lookups of the word sets, made once: GetAlternateLookup checks the comparer's interfaces on every call.
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> CommonCapitalisedBySpan = CommonCapitalised.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> CurrencyCodesBySpan = CurrencyCodes.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> CurrencyWordsBySpan = CurrencyWords.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> RecordLabelsBySpan = RecordLabels.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IdLabelsBySpan = IdLabels.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> ListLabelsBySpan = ListLabels.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NotQuantityNounsBySpan = NotQuantityNouns.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> WordNumbersBySpan = WordNumbers.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>How a chosen span's canonical value is made: read values are only written out for the spans that win.</summary>
    private enum SpanValue : byte
    {
        /// <summary>Made while reading: <see cref="Span.Payload"/> indexes the scan's payload strings (-1: none, a generated value).</summary>
        Text,

        /// <summary>The number at NumberStart/NumberLength, two decimals, the payload string its currency code.</summary>
        Amount,

        /// <summary>The number at NumberStart/NumberLength; payload 1 when a '%' follows it.</summary>
        Number,

        /// <summary>The span's own text, upper-cased.</summary>
        Id,
    }

    /// <summary>
    /// A claimed region of the text: a fact (Kind set) or a generated value to mask (Kind null). No references, so the
    /// sort in <see cref="Resolve"/> moves plain memory (no write barriers).
    /// </summary>
    private readonly record struct Span(int Start, int Length, FactKind? Kind, int Priority, SpanValue Value = SpanValue.Text, int Payload = -1, int NumberStart = 0, int NumberLength = 0);
}
