using System.Globalization;
using System.Text.RegularExpressions;

namespace DualStack.SampleAgent;

internal enum IntentKind
{
    OrderStatus,
    Refund,
    AddressChange,
    ProductQuestion,
    Remember,
    Recall,
    Greeting,
    Thanks,
    Goodbye,
    Fallback,
}

/// <summary>What the user wants and the facts extracted from the message; fields not used by the kind are null.</summary>
internal sealed record Intent(IntentKind Kind)
{
    public string? OrderId { get; init; }

    public decimal? Amount { get; init; }

    public string? Currency { get; init; }

    public string? Reason { get; init; }

    public string? Address { get; init; }

    public string? Query { get; init; }

    public string? Fact { get; init; }

    /// <summary>True for "what do you remember" questions that name nothing specific.</summary>
    public bool RecallAll { get; init; }
}

/// <summary>Deterministic keyword and regex rules, case-insensitive, first match wins.</summary>
internal static partial class IntentRecognizer
{
    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    public static Intent Recognize(string message)
    {
        var text = message.Trim();

        var remember = RememberRegex().Match(text);
        if (remember.Success && NormalizeFact(remember.Groups["fact"].Value) is { Length: > 0 } fact)
        {
            return new Intent(IntentKind.Remember) { Fact = fact };
        }

        var amount = AmountRegex().Match(text);
        var withoutAmounts = AmountRegex().Replace(text, " ");
        var orderId = FindOrderId(withoutAmounts);

        if (RefundRegex().IsMatch(text))
        {
            var reason = ReasonRegex().Match(text);
            return new Intent(IntentKind.Refund)
            {
                OrderId = orderId,
                Amount = amount.Success ? ParseAmount(amount) : null,
                Currency = amount.Success ? ParseCurrency(amount) : null,
                Reason = reason.Success ? TrimClause(reason.Groups["reason"].Value) : "customer request",
            };
        }

        var address = AddressRegex().Match(text);
        if (address.Success)
        {
            var value = TrimClause(address.Groups["address"].Value);
            return new Intent(IntentKind.AddressChange) { Address = value.Length > 0 ? value : null };
        }

        if (AddressWithoutValueRegex().IsMatch(text))
        {
            return new Intent(IntentKind.AddressChange);
        }

        if ((orderId is not null && OrderWordsRegex().IsMatch(text)) || (orderId is null && OrderQuestionRegex().IsMatch(text)))
        {
            return new Intent(IntentKind.OrderStatus) { OrderId = orderId };
        }

        if (RecallRegex().IsMatch(text))
        {
            return new Intent(IntentKind.Recall) { RecallAll = Keywords.Of(text).Count == 0 };
        }

        if (ProductRegex().IsMatch(text))
        {
            return new Intent(IntentKind.ProductQuestion) { Query = ProductQuery(text) };
        }

        if (ThanksRegex().IsMatch(text))
        {
            return new Intent(IntentKind.Thanks);
        }

        if (GoodbyeRegex().IsMatch(text))
        {
            return new Intent(IntentKind.Goodbye);
        }

        if (GreetingRegex().IsMatch(text))
        {
            return new Intent(IntentKind.Greeting);
        }

        return new Intent(IntentKind.Fallback);
    }

    private static string? FindOrderId(string text)
    {
        var explicitId = OrderIdAfterWordRegex().Match(text);
        if (explicitId.Success)
        {
            return explicitId.Groups["id"].Value;
        }

        var any = OrderIdRegex().Match(text);
        return any.Success ? any.Groups["id"].Value : null;
    }

    private static decimal ParseAmount(Match match)
    {
        var number = match.Groups["n1"].Success ? match.Groups["n1"].Value
            : match.Groups["n2"].Success ? match.Groups["n2"].Value
            : match.Groups["n3"].Value;
        var value = decimal.Parse(number.Replace(",", string.Empty, StringComparison.Ordinal), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        return Money.Normalize(value);
    }

    private static string ParseCurrency(Match match)
    {
        var token = (match.Groups["c1"].Success ? match.Groups["c1"].Value
            : match.Groups["c2"].Success ? match.Groups["c2"].Value
            : match.Groups["c3"].Value).ToLowerInvariant();
        return token switch
        {
            "$" or "usd" or "dollar" or "dollars" => "USD",
            "€" or "eur" or "euro" or "euros" => "EUR",
            "£" or "gbp" or "pound" or "pounds" => "GBP",
            _ => token.ToUpperInvariant(),
        };
    }

    private static string NormalizeFact(string fact)
    {
        var value = TrimClause(fact);
        var i = IPrefixRegex().Match(value);
        return i.Success ? value[i.Length..] : value;
    }

    private static string TrimClause(string value) => value.Trim().TrimEnd('.', '!', '?', ' ').Trim();

    private static string ProductQuery(string text)
    {
        var after = ProductQueryRegex().Match(text);
        var query = after.Success ? after.Groups["q"].Value : text;
        var inStock = InStockQueryRegex().Match(text);
        if (!after.Success && inStock.Success)
        {
            query = inStock.Groups["q"].Value;
        }

        query = ProductTailRegex().Replace(TrimClause(query), string.Empty);
        query = ArticleRegex().Replace(query, string.Empty);
        return TrimClause(query).ToLowerInvariant();
    }

    // Amounts need a currency: "$25", "€12.50", "25.00 USD", "USD 25", "30 euros".
    [GeneratedRegex(@"(?<c1>[$€£])\s?(?<n1>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)|(?<n2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s?(?<c2>USD|EUR|GBP|dollars?|euros?|pounds?)\b|\b(?<c3>USD|EUR|GBP)\s?(?<n3>\d+(?:\.\d{1,2})?)", Options)]
    private static partial Regex AmountRegex();

    [GeneratedRegex(@"\border\s*(?:number|no\.?|id)?\s*#?\s*(?<id>\d{4,})\b(?![.,]\d)", Options)]
    private static partial Regex OrderIdAfterWordRegex();

    [GeneratedRegex(@"(?<![\d.,\-])#?(?<id>\d{4,})\b(?![.,\-]\d)", Options)]
    private static partial Regex OrderIdRegex();

    [GeneratedRegex(@"\b(?:remember|note|keep\s+in\s+mind|don'?t\s+forget)\s+that\s+(?<fact>.+)$", Options)]
    private static partial Regex RememberRegex();

    [GeneratedRegex(@"^i\s+", Options)]
    private static partial Regex IPrefixRegex();

    [GeneratedRegex(@"\b(?:refunds?|refunded|money\s+back|reimburse\w*|return\s+(?:my\s+|the\s+|an?\s+|this\s+)?order)\b", Options)]
    private static partial Regex RefundRegex();

    [GeneratedRegex(@"\bbecause\s+(?<reason>.+)$", Options)]
    private static partial Regex ReasonRegex();

    [GeneratedRegex(@"(?:\b(?:change|update|set)\s+(?:my\s+)?(?:shipping\s+|delivery\s+|home\s+|postal\s+)?address\s+(?:to|is)|\bi(?:'ve|\s+have)?\s+moved\s+to|\bmy\s+new\s+address\s+is|\bnew\s+address\s*:)\s*(?<address>.+)$", Options)]
    private static partial Regex AddressRegex();

    [GeneratedRegex(@"\b(?:change|update)\s+(?:my\s+)?(?:shipping\s+|delivery\s+|home\s+|postal\s+)?address\b|\bi(?:'ve|\s+have)?\s+moved\b", Options)]
    private static partial Regex AddressWithoutValueRegex();

    [GeneratedRegex(@"\b(?:order|where|status|track\w*|ship\w*|deliver\w*|arriv\w*|package|parcel)\b", Options)]
    private static partial Regex OrderWordsRegex();

    [GeneratedRegex(@"\b(?:where(?:'s|\s+is)|status|track\w*|when\s+will)\b.*\b(?:order|package|parcel|delivery)\b|\btrack\s+(?:my\s+)?(?:order|package|parcel)", Options)]
    private static partial Regex OrderQuestionRegex();

    [GeneratedRegex(@"\bwhat\s+do\s+you\s+(?:remember|know)\b|\bwhat(?:'s|\s+is|\s+are)\s+my\b|\bdo\s+you\s+(?:know|remember)\s+(?:my|what|where|who|anything|me)\b|\bwhat\s+have\s+i\s+told\s+you\b", Options)]
    private static partial Regex RecallRegex();

    [GeneratedRegex(@"\b(?:do\s+you\s+(?:have|sell|carry|stock)|price\s+of|how\s+much|in\s+stock|looking\s+for|want\s+to\s+buy|available)\b", Options)]
    private static partial Regex ProductRegex();

    [GeneratedRegex(@"\b(?:do\s+you\s+(?:have|sell|carry|stock)|price\s+of|how\s+much\s+(?:is|are|does|do|for)|looking\s+for|want\s+to\s+buy)\s+(?<q>.+)$", Options)]
    private static partial Regex ProductQueryRegex();

    [GeneratedRegex(@"\b(?:is|are)\s+(?<q>.+?)\s+(?:in\s+stock|available)\b", Options)]
    private static partial Regex InStockQueryRegex();

    [GeneratedRegex(@"\s+(?:in\s+stock|available|cost|costs|for\s+sale)$", Options)]
    private static partial Regex ProductTailRegex();

    [GeneratedRegex(@"^(?:(?:a|an|the|any|some)\s+)+", Options)]
    private static partial Regex ArticleRegex();

    [GeneratedRegex(@"^(?:hi|hello|hey|good\s+(?:morning|afternoon|evening))\b", Options)]
    private static partial Regex GreetingRegex();

    [GeneratedRegex(@"\b(?:thanks|thank\s+you|thx|cheers)\b", Options)]
    private static partial Regex ThanksRegex();

    [GeneratedRegex(@"\b(?:bye|goodbye|see\s+you)\b", Options)]
    private static partial Regex GoodbyeRegex();
}

/// <summary>Money and address helpers shared by the engine and the fault knobs.</summary>
internal static partial class Money
{
    /// <summary>Two decimal places, so 25 and 25.00 serialize alike as 25.00.</summary>
    public static decimal Normalize(decimal value) =>
        // Adding 0.00m lifts the scale to 2 (25 -> 25.00); rounding first caps it at 2.
        decimal.Round(value, 2, MidpointRounding.AwayFromZero) + 0.00m;

    public static string Format(decimal value) => Normalize(value).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The wrong-skill-args amount: 10% more, rounded to 2 decimals.</summary>
    public static decimal Inflate(decimal value) => Normalize(value * 1.1m);

    /// <summary>The wrong-skill-args address: the postcode removed (or, without one, the last part).</summary>
    public static string DropPostcode(string address)
    {
        var match = PostcodeRegex().Match(address);
        string result;
        if (match.Success)
        {
            result = address.Remove(match.Index, match.Length);
        }
        else
        {
            var cut = Math.Max(address.LastIndexOf(','), address.LastIndexOf(' '));
            result = cut > 0 ? address[..cut] : string.Empty;
        }

        var parts = result.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => SpacesRegex().Replace(part, " "));
        return string.Join(", ", parts);
    }

    // UK postcodes (N1 9GU, SW1A 1AA) and US ZIP codes (94103, 94103-1234).
    [GeneratedRegex(@"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PostcodeRegex();

    [GeneratedRegex(@"\s{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex SpacesRegex();
}
