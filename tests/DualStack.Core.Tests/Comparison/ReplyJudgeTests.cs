using System.Text.Json;
using DualStack.Core.Comparison;
using DualStack.Core.Judgement;
using DualStack.Core.Model;
using DualStack.Core.Verdicts;
using static DualStack.Core.Tests.Support.Observations;

namespace DualStack.Core.Tests.Comparison;

/// <summary>The reply judge on the cases that made it cry wolf or miss (issue 13): typed facts, grounding, polarity.</summary>
public sealed class ReplyJudgeTests
{
    private static readonly ReplyComparer Reply = new(new ReplyComparisonConfig());

    private static DimensionResult Judge(string old, string? oldRepeat, string @new, string message = "hello", SkillCall[]? skills = null, MemoryObservation? memory = null, ReplyComparer? comparer = null) =>
        (comparer ?? Reply).Compare(Replayed(Ok("old", old, skills, memory), oldRepeat is null ? null : Ok("old", oldRepeat, skills, memory), Ok("new", @new, skills, memory), message: message));

    private static SkillCall SkillWithResult(string name, string args, string result) => new()
    {
        Name = name,
        Arguments = JsonDocument.Parse(args).RootElement.Clone(),
        Result = JsonDocument.Parse(result).RootElement.Clone(),
        Status = "ok",
    };

    [Test]
    public void Compare_GeneratedReferenceCodeAndTimeOfDayOnlyInNoisyNew_IsMatch()
    {
        const string old = "Your order 4411 has shipped.";

        var result = Judge(old, old, "Your order 4411 has shipped (ref 8107f48f) [as of 11:44:00 UTC].", message: "Where is order 4411?");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Match), result.Reason);
        Assert.That(result.Reply!.NewFacts, Is.EqualTo(new[] { "id 4411" }));
    }

    [TestCase("December 11")]
    [TestCase("Dec 11")]
    [TestCase("11 December")]
    [TestCase("December 11th")]
    [TestCase("2026-12-11")]
    [TestCase("Thursday, Dec 11")]
    [TestCase("the 11th of December")]
    [TestCase("12/11")]
    public void Compare_DateWrittenInAnotherStyle_IsMatch(string style)
    {
        var result = Judge("Your parcel arrives on December 11.", null, $"Expect the parcel on {style}.");

        Assert.That(result.Findings.Select(f => f.Key), Has.None.StartsWith("reply.facts"), result.Reason);
    }

    [Test]
    public void Compare_NumericDateWithDayFirstLocale_ReadsDayFirst()
    {
        var british = new ReplyComparer(new ReplyComparisonConfig { DateLocale = "en-GB" });

        Assert.That(Judge("It arrives on 11 December.", null, "It arrives on 11/12.", comparer: british).Findings.Select(f => f.Key), Has.None.EqualTo("reply.facts.date"));
        Assert.That(Judge("It arrives on 11 December.", null, "It arrives on 11/12.").Findings.Select(f => f.Key), Does.Contain("reply.facts.date"), "en-US reads 11/12 as November 12");
    }

    [Test]
    public void Compare_DeliveryDateThreeDaysOffAmongNoisyReferenceCodes_IsMajorDateRegression()
    {
        var result = Judge(
            "Order 4411 will be delivered on December 11 (ref 1a2b3c4d).",
            "Order 4411 will be delivered on December 11 (ref 9f8e7d6c).",
            "Order 4411 will be delivered on December 14 (ref 5e5e5e5e).",
            message: "When does order 4411 arrive?");

        Assert.That(result.Verdict, Is.EqualTo(Verdict.Regression), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "reply.facts.date" }));
        Assert.That(result.NoiseFindings, Is.Empty, "reference codes are masked, so old-vs-old is clean");
    }

    [Test]
    public void Compare_TypoInGroundedOrderId_IsIdRegression()
    {
        var result = Judge("Order BK-22817 is confirmed.", "Order BK-22817 is confirmed.", "Order BK-22871 is confirmed.", message: "Status of BK-22817?");

        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "reply.facts.id" }), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
        Assert.That(result.Reason, Does.Contain("BK-22817").And.Contain("BK-22871"));
    }

    [Test]
    public void Compare_IdTheUserGaveLeftOutOfNewReply_IsNotAFinding()
    {
        var result = Judge("Order BK-22817 is confirmed.", null, "Your booking is confirmed.", message: "Status of BK-22817?");

        Assert.That(result.Findings.Select(f => f.Key), Has.None.EqualTo("reply.facts.id"), result.Reason);
    }

    [TestCase("$15", true)]
    [TestCase("15 USD", true)]
    [TestCase("USD 15.00", true)]
    [TestCase("15 dollars", true)]
    [TestCase("€15.00", false)]
    [TestCase("15 EUR", false)]
    public void Compare_AmountWithItsCurrency_EqualOnlyInTheSameCurrency(string amount, bool same)
    {
        var result = Judge("We refunded $15.00 to your card.", null, $"We refunded {amount} to your card.");

        Assert.That(result.Findings.Any(f => f.Key == "reply.facts.amount"), Is.EqualTo(!same), result.Reason);
    }

    [TestCase("Your refund has been issued and is on its way.", "I'm sorry, I can't process refunds for this order.")]
    [TestCase("I've updated your delivery address.", "I couldn't update your delivery address.")]
    [TestCase("Good news: the blue kettle is in stock.", "The blue kettle is out of stock at the moment.")]
    public void Compare_OutcomeConfirmedVersusDenied_IsMajorPolarityRegression(string old, string @new)
    {
        var result = Judge(old, old, @new);

        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.polarity"), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
    }

    [TestCase("Your refund has been issued.", "Done! The refund went through, and don't hesitate to ask if anything else comes up.")]
    [TestCase("Your refund has been issued.", "The refund is processed. If it doesn't show up within 5 days, let me know.")]
    public void Compare_PoliteOrConditionalNegation_IsNoPolarityFinding(string old, string @new)
    {
        var result = Judge(old, old, @new);

        Assert.That(result.Findings.Select(f => f.Key), Has.None.EqualTo("reply.polarity"), result.Reason);
    }

    [Test]
    public void Compare_DenialOfWhatAnOkSkillCallDid_NamesTheSkill()
    {
        SkillCall[] skills = [SkillWithResult("issue_refund", """{"orderId":"4411"}""", """{"refundId":"R-1"}""")];

        var result = Judge("Refund for order 4411: sent to your card.", null, "Unfortunately I was not able to process the refund for order 4411.", message: "refund order 4411", skills: skills);

        Assert.That(result.Findings.Single(f => f.Key == "reply.polarity").Description, Does.Contain("issue_refund call returned ok"));
    }

    [Test]
    public void Compare_SmallTalkParaphraseBelowThreshold_IsAtMostMinor()
    {
        var result = Judge("You're welcome! Anything else I can help with?", null, "Glad to help - just ask if there's more.");

        Assert.That(result.Reply!.SmallTalk, Is.True);
        Assert.That(result.Severity, Is.LessThanOrEqualTo(Severity.Minor));
    }

    [Test]
    public void Compare_MarkdownAndEmojiAroundTheSameFacts_IsMatch()
    {
        var result = Judge(
            "Order 4411 shipped on Dec 2 and costs $25.00.",
            null,
            "## Update ✅\n- **Order 4411** shipped on *Dec 2*\n- Total: `$25.00` 🎉",
            message: "order 4411?");

        Assert.That(result.Findings.Select(f => f.Key), Has.None.StartsWith("reply.facts"), result.Reason);
    }

    [Test]
    public void Compare_WrongNameRecalledFromMemory_IsNameRegression()
    {
        var memory = MemoryOf(["The user's name is Priya"], []);

        var result = Judge("Welcome back, Priya! How can I help?", "Hi again Priya, what can I do for you?", "Welcome back, Maria! How can I help?", memory: memory);

        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "reply.facts.name" }), result.Reason);
        Assert.That(result.Severity, Is.EqualTo(Severity.Major));
    }

    [Test]
    public void Compare_AppointmentTimeFromSkillResult_StaysAFact()
    {
        SkillCall[] skills = [SkillWithResult("book_slot", """{"day":"2026-12-11"}""", """{"slot":"2026-12-11T15:05:00"}""")];

        var result = Judge("You're booked for 3:05 pm on December 11.", null, "You're booked for 4:05 pm on December 11.", skills: skills);

        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.facts.time"), result.Reason);
    }

    [Test]
    public void Compare_AnotherUsersEmailInNewReply_IsEmailRegression()
    {
        var result = Judge("I've sent the receipt to your e-mail on file.", null, "I've sent the receipt to tom.becker@example.org.");

        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.facts.email"), result.Reason);
    }

    [Test]
    public void Compare_NewRepeatVariesWhereOldIsDeterministic_IsNoiseButConsistentDifferenceStaysRegression()
    {
        const string old = "There are 3 seats left.";
        var noisy = new TurnReplay(0, new Turn { Message = "seats?" }, Ok("old", old), Ok("old", old), Ok("new", "There are 4 seats left."))
        {
            NewRepeat = Ok("new", "There are 3 seats left."),
        };
        var consistent = noisy with { NewRepeat = Ok("new", "Only 4 seats left.") };

        Assert.That(Reply.Compare(noisy).Verdict, Is.EqualTo(Verdict.Noise));
        Assert.That(Reply.Compare(consistent).Verdict, Is.EqualTo(Verdict.Regression));
    }

    [TestCase("Updated as of 10.46am.", "Updated as of 11:02 am.")]
    [TestCase("(as at 8.37 a.m.)", "(checked 9.15pm)")]
    public void Compare_DottedOrSpacedTimesOfDayInNoise_AreMasked(string oldNoise, string newNoise)
    {
        var result = Judge($"Your claim is approved. {oldNoise}", null, $"Your claim is approved. {newNoise}");

        Assert.That(result.Findings.Select(f => f.Key), Has.None.StartsWith("reply.facts"), result.Reason);
    }

    [TestCase("₹100.00", "Rs. 100")]
    [TestCase("30,750 JPY", "30,750円")]
    [TestCase("INR 1,25,000", "Rs 125000")]
    public void Compare_SameAmountInAnotherCurrencyStyle_IsNoFinding(string old, string @new)
    {
        var result = Judge($"You were refunded {old}.", null, $"You were refunded {@new}.");

        Assert.That(result.Findings.Select(f => f.Key), Has.None.StartsWith("reply.facts"), result.Reason);
    }

    [Test]
    public void Compare_AnotherCustomersRecordNamedInNewReply_IsIdRegression()
    {
        const string old = "Reservation VC-11298-IF now runs until February 21st.";

        var result = Judge(old, old, old + " I can also see reservation VC-12636-LM for Priyanka Rao.", message: "extend VC-11298-IF please");

        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "reply.facts.id" }), result.Reason);
    }

    [Test]
    public void Compare_ReferenceWithoutDigitsFromSkillResultLeftOut_IsIdRegression()
    {
        SkillCall[] skills = [SkillWithResult("issue_refund", """{"orderId":"7450666"}""", """{"refundRef":"RF-ZYLZLB"}""")];
        const string old = "I've refunded the missing item. Refund reference: RF-ZYLZLB.";

        var result = Judge(old, old, "I've refunded the missing item.", message: "my fries were missing from order 7450666", skills: skills);

        Assert.That(result.Findings.Select(f => f.Key), Is.EqualTo(new[] { "reply.facts.id" }), result.Reason);
    }

    [Test]
    public void Compare_NegationAfterAnIdEndingInIf_IsStillADenial()
    {
        const string old = "Reservation VC-11298-IF now runs until February 21st.";

        var result = Judge(old, old, "The extension for VC-11298-IF was not approved; the return date stays as it was.", message: "extend VC-11298-IF");

        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.polarity"), result.Reason);
    }

    [Test]
    public void Compare_FailedAsANounModifier_IsNoDenial()
    {
        const string old = "Your account has been unlocked. The lock came from 5 failed sign-ins.";

        var result = Judge(old, old, "Your account could not be unlocked. The lock came from 5 failed sign-ins.", message: "account locked");

        Assert.That(result.Findings.Select(f => f.Key), Does.Contain("reply.polarity"), result.Reason);
    }
}
