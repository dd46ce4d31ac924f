using DualStack.Core.Comparison;
using DualStack.Core.Judgement;

namespace DualStack.Core.Tests.Comparison;

public sealed class TextNormalizerTests
{
    private static readonly TextNormalizer Normalizer = new(new ReplyComparisonConfig());

    [TestCase("Ticket created 2026-11-30T04:11:03Z for you.", "<timestamp>", "04:11")]
    [TestCase("Ticket created 2026-11-30 04:11:03.123+01:00 for you.", "<timestamp>", "04:11")]
    [TestCase("Your reference is REF-8K2Q9.", "<ref>", "8k2q9")]
    [TestCase("Your refund RFD-00A1B2C3 is approved.", "<ref>", "00a1b2c3")]
    [TestCase("Session 3fa85f64-5717-4562-b3fc-2c963f66afa6 started.", "<uuid>", "3fa85f64")]
    public void Normalize_VaryingIds_AreMasked(string text, string mask, string gone)
    {
        var normalized = Normalizer.Normalize(text);

        Assert.That(normalized, Does.Contain(mask));
        Assert.That(normalized, Does.Not.Contain(gone));
    }

    [Test]
    public void Normalize_SameReplyWithDifferentIds_IsEqual()
    {
        var a = Normalizer.Normalize("Refund approved (ref REF-1A2B3C, 2026-11-30T04:11:03Z).");
        var b = Normalizer.Normalize("Refund  approved (ref REF-9Z8Y7X, 2026-12-01T18:00:00Z).");

        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void Normalize_AmountFormats_AllBecomeTheSameText()
    {
        var dollar = Normalizer.Normalize("We refunded $25 to your card.");
        var code = Normalizer.Normalize("We refunded 25.00 USD to your card.");
        var codeFirst = Normalizer.Normalize("We refunded USD 25 to your card.");

        Assert.That(dollar, Is.EqualTo("we refunded 25.00 usd to your card."));
        Assert.That(code, Is.EqualTo(dollar));
        Assert.That(codeFirst, Is.EqualTo(dollar));
    }

    [Test]
    public void Normalize_DifferentAmounts_StayDifferent()
    {
        Assert.That(Normalizer.Normalize("We refunded $27.50."), Is.Not.EqualTo(Normalizer.Normalize("We refunded $25.00.")));
    }

    [Test]
    public void Normalize_CustomRule_IsApplied()
    {
        var normalizer = new TextNormalizer(new ReplyComparisonConfig { Normalize = [new NormalizationRule { Pattern = @"agent \w+", Replacement = "agent <name>" }] });

        Assert.That(normalizer.Normalize("Agent Alice will call."), Is.EqualTo(normalizer.Normalize("agent Bob will call.")));
    }

    [Test]
    public void MaskLaneIds_IdsOfDifferentLanes_BecomeEqual()
    {
        var oldRepeat = TextNormalizer.MaskLaneIds("user u-1~a2~3fa2c1 asked");
        var @new = TextNormalizer.MaskLaneIds("user u-1~b~3fa2c1 asked");

        Assert.That(@new, Is.EqualTo(oldRepeat));
        Assert.That(@new, Does.Not.Contain("~b~"));
        Assert.That(TextNormalizer.MaskLaneIds("u-2~b~3fa2c1"), Is.Not.EqualTo(@new), "the id itself is kept");
    }

    [Test]
    public void LexicalSimilarity_EqualTexts_IsOne()
    {
        Assert.That(LexicalSimilarity.Instance.Similarity("order 4411 has shipped", "order 4411 has shipped"), Is.EqualTo(1));
    }

    [Test]
    public void LexicalSimilarity_DisjointTexts_IsZero()
    {
        Assert.That(LexicalSimilarity.Instance.Similarity("order shipped today", "refund denied sorry"), Is.Zero);
    }

    [Test]
    public void LexicalSimilarity_PartialOverlap_IsBetweenZeroAndOne()
    {
        var similarity = LexicalSimilarity.Instance.Similarity("your order has shipped", "your order is delayed");

        Assert.That(similarity, Is.EqualTo(0.5).Within(1e-9));
    }

    [Test]
    public void LexicalSimilarity_RepeatedWordsAndPunctuation_CountsWordsAsAMultiset()
    {
        // a: order, 4411, order, 4411 — b: order, 4411 — each word of b matches one occurrence in a: 2·2 / (4 + 2).
        var similarity = LexicalSimilarity.Instance.Similarity("order 4411, order 4411.", "...order -4411'");

        Assert.That(similarity, Is.EqualTo(2.0 * 2 / 6).Within(1e-9));
    }

    [Test]
    public void LexicalSimilarity_OneLetterWords_CountsEveryWord()
    {
        // As many words as a text of this length can hold: one letter each, one space between.
        var a = string.Join(' ', Enumerable.Range(0, 41).Select(i => (char)('a' + (i % 26))));

        Assert.That(LexicalSimilarity.Instance.Similarity(a, a + " z"), Is.EqualTo(2.0 * 41 / 83).Within(1e-9));
    }

    [Test]
    public void Normalize_AmountsInEveryForm_BecomeOneCanonicalForm()
    {
        var normalizer = new TextNormalizer(new ReplyComparisonConfig());

        Assert.That(
            new[] { "Refund: $25", "Refund: 25.00 USD", "Refund: USD 25.0", "Refund: 25 usd", "refund:   $25.00 " }.Select(normalizer.Normalize),
            Is.All.EqualTo("refund: 25.00 usd"));
        Assert.That(normalizer.Normalize("Total 1,250.5 EUR\tand £07.10"), Is.EqualTo("total 1250.50 eur and 7.10 gbp"));
    }

    [Test]
    public void Words_ChangedAmount_IsDeletedAndInsertedWithSurroundingWordsEqual()
    {
        var diff = TextDiff.Words("Refund of 25.00 USD approved for order 4411.", "Refund of 27.50 USD approved for order 4411.");

        Assert.That(diff.Where(s => s.Kind == DiffKind.Deleted).Select(s => s.Text.Trim()), Is.EqualTo(new[] { "25.00" }));
        Assert.That(diff.Where(s => s.Kind == DiffKind.Inserted).Select(s => s.Text.Trim()), Is.EqualTo(new[] { "27.50" }));
        Assert.That(diff[0], Is.EqualTo(new DiffSegment(DiffKind.Equal, "Refund of ")));
        Assert.That(diff[^1].Kind, Is.EqualTo(DiffKind.Equal));
        Assert.That(diff[^1].Text, Does.Contain("USD approved for order 4411."));
        Assert.That(string.Concat(diff.Where(s => s.Kind != DiffKind.Inserted).Select(s => s.Text)), Is.EqualTo("Refund of 25.00 USD approved for order 4411."));
        Assert.That(string.Concat(diff.Where(s => s.Kind != DiffKind.Deleted).Select(s => s.Text)), Is.EqualTo("Refund of 27.50 USD approved for order 4411."));
    }

    [Test]
    public void Words_SameText_IsOneEqualSegment()
    {
        Assert.That(TextDiff.Words("same words here", "same words here"), Is.EqualTo(new[] { new DiffSegment(DiffKind.Equal, "same words here") }));
    }
}
