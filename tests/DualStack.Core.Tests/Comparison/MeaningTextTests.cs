using DualStack.Core.Comparison;

namespace DualStack.Core.Tests.Comparison;

/// <summary>
/// The meaning text has two readers: a vectorised one for the common reply (printable ASCII, plain spaces) and one that
/// reads character by character. Both must give the same text, or the same reply would be judged two ways.
/// </summary>
public sealed class MeaningTextTests
{
    [TestCase("Your refund of 25.00 USD  has been issued. (item 3) ", "your refund of 25.00 usd has been issued. (item 3)")]
    [TestCase("   Hello   World  ", "hello world")]
    [TestCase("Ticket ( , ) is OPEN", "ticket is open")]
    [TestCase("Ticket (ref 5) is OPEN", "ticket (ref 5) is open")]
    [TestCase("Done [ ] now", "done now")]
    [TestCase("Line one\n\tLine TWO", "line one line two")]
    [TestCase("Grüße  aus KÖLN", "grüße aus köln")]
    public void Collapse_LowerCasesCollapsesSpacesAndDropsEmptyBrackets(string text, string expected)
    {
        Assert.That(FactScanner.Collapse(text), Is.EqualTo(expected));
        Assert.That(FactScanner.CollapseAny(text), Is.EqualTo(expected));
    }

    [Test]
    public void Collapse_FastReaderAgreesWithTheFullReader_OnTenThousandRandomTexts()
    {
        // Fixed seed: the same texts every run. The alphabet mixes what the fast reader handles with what sends a text
        // to the full reader (tabs, line breaks, non-ASCII, a non-breaking space, brackets left empty).
        const string alphabet = "aZq9 .,;:()[]  \t\né\u00A0Kx-'";
        var random = new Random(20261203);
        var differences = new List<string>();
        for (var n = 0; n < 10_000; n++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            var fast = FactScanner.Collapse(text);
            var full = FactScanner.CollapseAny(text);
            if (fast != full)
            {
                differences.Add($"'{text}' → fast '{fast}', full '{full}'");
            }
        }

        Assert.That(differences, Is.Empty, string.Join("\n", differences.Take(5)));
    }
}
