using System.Text.RegularExpressions;

namespace DualStack.SampleAgent.Tests;

/// <summary>
/// The reply-only knobs on the profile the detection matrix uses (v2, nondeterministic): with the same seed and clock,
/// the faulty run must differ from the unfaulted one only in the fact the knob names, and only in the reply.
/// </summary>
[TestFixture]
public sealed partial class ReplyFaultTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 4, 12, 55, TimeSpan.Zero);

    private static async Task<(IReadOnlyList<TurnResult> Baseline, IReadOnlyList<TurnResult> Faulty)> RunBothAsync(string fault)
    {
        var clock = new FixedTimeProvider(Now);
        var options = new SampleAgentOptions { Profile = "v2", Nondeterministic = true, Seed = 11 };
        await using var baselineServer = await SampleAgentServer.StartAsync(options, clock, CancellationToken.None);
        await using var faultyServer = await SampleAgentServer.StartAsync(options with { Faults = [fault] }, clock, CancellationToken.None);
        using var baselineClient = new AgentClient(baselineServer.BaseAddress);
        using var faultyClient = new AgentClient(faultyServer.BaseAddress);
        return (await baselineClient.RunAsync(Script.Messages), await faultyClient.RunAsync(Script.Messages));
    }

    /// <summary>Skill calls (name, arguments, status, result, error) and memory (retrieved with scores, written) are identical.</summary>
    private static void AssertOnlyRepliesDiffer(IReadOnlyList<TurnResult> baseline, IReadOnlyList<TurnResult> faulty)
    {
        Assert.That(faulty, Has.Count.EqualTo(baseline.Count));
        for (var i = 0; i < baseline.Count; i++)
        {
            Assert.That(faulty[i].SkillCalls.Select(Describe), Is.EqualTo(baseline[i].SkillCalls.Select(Describe)), $"skill calls of turn {i}");
            Assert.That(faulty[i].Memory.Retrieved.Select(m => $"{m.Text}@{m.Score}"), Is.EqualTo(baseline[i].Memory.Retrieved.Select(m => $"{m.Text}@{m.Score}")), $"retrieved memory of turn {i}");
            Assert.That(faulty[i].Written, Is.EqualTo(baseline[i].Written), $"written memory of turn {i}");
        }

        static string Describe(SkillCallResult call) =>
            $"{call.Signature} {call.Status} {call.Result?.ToJsonString()} {call.HttpStatus} {call.Error}";
    }

    private static void AssertRepliesEqualExcept(IReadOnlyList<TurnResult> baseline, IReadOnlyList<TurnResult> faulty, params int[] changed)
    {
        for (var i = 0; i < baseline.Count; i++)
        {
            if (changed.Contains(i))
            {
                Assert.That(faulty[i].Reply, Is.Not.EqualTo(baseline[i].Reply), $"reply of turn {i} must change");
            }
            else
            {
                Assert.That(faulty[i].Reply, Is.EqualTo(baseline[i].Reply), $"reply of turn {i}");
            }
        }
    }

    [Test]
    public async Task Turns_WrongDate_EtaToldThreeDaysLaterOnlyInReply()
    {
        var (baseline, faulty) = await RunBothAsync("wrong-date");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(baseline[Script.OrderStatus].Reply, Does.Contain("2026-12-03"));
            Assert.That(faulty[Script.OrderStatus].Reply, Is.EqualTo(baseline[Script.OrderStatus].Reply.Replace("2026-12-03", "2026-12-06", StringComparison.Ordinal)));
            Assert.That(faulty[Script.OrderStatus].SkillCalls[0].Result?["eta"]?.GetValue<string>(), Is.EqualTo("2026-12-03"));
            AssertRepliesEqualExcept(baseline, faulty, Script.OrderStatus);
            AssertOnlyRepliesDiffer(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_WrongCurrency_AmountsToldInAnotherCurrencySameNumber()
    {
        var (baseline, faulty) = await RunBothAsync("wrong-currency");

        using (Assert.EnterMultipleScope())
        {
            // $25 stated by the user; order 7788's total is in EUR; the catalog prices carry no currency (USD).
            Assert.That(faulty[Script.RefundStated].Reply, Is.EqualTo(baseline[Script.RefundStated].Reply.Replace("25.00 USD", "25.00 EUR", StringComparison.Ordinal)));
            Assert.That(faulty[Script.RefundTotal].Reply, Is.EqualTo(baseline[Script.RefundTotal].Reply.Replace("120.00 EUR", "120.00 USD", StringComparison.Ordinal)));
            Assert.That(faulty[Script.Product].Reply, Is.EqualTo(baseline[Script.Product].Reply.Replace("59.90 USD", "59.90 EUR", StringComparison.Ordinal)));
            Assert.That(faulty[Script.RefundStated].SkillCalls[1].Arguments["currency"]!.GetValue<string>(), Is.EqualTo("USD"));
            AssertRepliesEqualExcept(baseline, faulty, Script.RefundStated, Script.RefundTotal, Script.Product);
            AssertOnlyRepliesDiffer(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_NegatedOutcome_SuccessfulRefundAndAddressToldAsRefusedSameFacts()
    {
        var (baseline, faulty) = await RunBothAsync("negated-outcome");

        using (Assert.EnterMultipleScope())
        {
            foreach (var turn in new[] { Script.RefundStated, Script.RefundTotal, Script.Address })
            {
                Assert.That(faulty[turn].SkillCalls.Select(s => s.Status), Has.All.EqualTo("ok"), $"skills of turn {turn} still succeed");
                Assert.That(faulty[turn].Reply, Does.Match(DenialRegex()), $"reply of turn {turn} denies the outcome");
                Assert.That(baseline[turn].Reply, Does.Not.Match(DenialRegex()), $"baseline reply of turn {turn} confirms it");
                Assert.That(Facts(faulty[turn].Reply), Is.EqualTo(Facts(baseline[turn].Reply)), $"facts of turn {turn}");
            }

            Assert.That(faulty[Script.RefundStated].Reply, Does.Contain("25.00 USD").And.Contain("4411"));
            Assert.That(faulty[Script.Address].Reply, Does.Contain("12 High Street, London N1 9GU"));
            AssertRepliesEqualExcept(baseline, faulty, Script.RefundStated, Script.RefundTotal, Script.Address);
            AssertOnlyRepliesDiffer(baseline, faulty);
        }
    }

    [Test]
    public async Task Turns_IdTypo_OrderIdToldWithOneCharacterChanged()
    {
        var (baseline, faulty) = await RunBothAsync("id-typo");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(faulty[Script.OrderStatus].Reply, Is.EqualTo(baseline[Script.OrderStatus].Reply.Replace("4411", "4412", StringComparison.Ordinal)));
            Assert.That(faulty[Script.RefundStated].Reply, Is.EqualTo(baseline[Script.RefundStated].Reply.Replace("4411", "4412", StringComparison.Ordinal)));
            Assert.That(faulty[Script.RefundTotal].Reply, Is.EqualTo(baseline[Script.RefundTotal].Reply.Replace("7788", "7789", StringComparison.Ordinal)));
            Assert.That(faulty[Script.RefundStated].SkillCalls.Select(s => s.Arguments["orderId"]?.GetValue<string>()), Has.All.EqualTo("4411"));
            AssertRepliesEqualExcept(baseline, faulty, Script.OrderStatus, Script.RefundStated, Script.RefundTotal);
            AssertOnlyRepliesDiffer(baseline, faulty);
        }
    }

    [TestCase("wrong-date", "2026-12-03", "2026-12-06")]
    [TestCase("wrong-date", "2026-12-30", "2027-01-02")]
    [TestCase("wrong-date", "an unknown date", "an unknown date")]
    [TestCase("wrong-currency", "USD", "EUR")]
    [TestCase("wrong-currency", "EUR", "USD")]
    [TestCase("wrong-currency", "GBP", "USD")]
    [TestCase("id-typo", "4411", "4412")]
    [TestCase("id-typo", "1009", "1000")]
    [TestCase("id-typo", "AB-7z", "AB-7a")]
    [TestCase("id-typo", "--", "--")]
    public void ReplyFaults_Value_ChangedAsDocumented(string fault, string value, string expected)
    {
        var faults = FaultSet.Parse([fault], []);

        var told = fault switch
        {
            "wrong-date" => ReplyFaults.Date(faults, value),
            "wrong-currency" => ReplyFaults.Currency(faults, value),
            _ => ReplyFaults.Id(faults, value),
        };

        Assert.That(told, Is.EqualTo(expected));
    }

    [Test]
    public void ReplyFaults_NoKnob_ValuesUnchanged()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ReplyFaults.Date(FaultSet.None, "2026-12-03"), Is.EqualTo("2026-12-03"));
            Assert.That(ReplyFaults.Currency(FaultSet.None, "USD"), Is.EqualTo("USD"));
            Assert.That(ReplyFaults.Id(FaultSet.None, "4411"), Is.EqualTo("4411"));
            Assert.That(ReplyFaults.Outcome(FaultSet.None, "refund.done"), Is.EqualTo("refund.done"));
            Assert.That(ReplyFaults.Outcome(FaultSet.Parse(["negated-outcome"], []), "refund.done"), Is.EqualTo("refund.denied"));
        }
    }

    [TestCase("v1")]
    [TestCase("v2")]
    public void Phrasebook_DeniedKeys_MirrorDoneKeysPlaceholdersAndVariantCount(string profile)
    {
        var phrases = Phrasebook.For(profile);

        using (Assert.EnterMultipleScope())
        {
            foreach (var done in new[] { "refund.done", "address.done" })
            {
                var denied = phrases[ReplyFaults.Outcome(FaultSet.Parse(["negated-outcome"], []), done)];
                // Same count, so a seeded run picks the same variant index and draws the same random numbers.
                Assert.That(denied, Has.Length.EqualTo(phrases[done].Length), done);
                for (var i = 0; i < denied.Length; i++)
                {
                    Assert.That(Placeholders(denied[i]), Is.EqualTo(Placeholders(phrases[done][i])), $"{done} variant {i}");
                    Assert.That(denied[i], Does.Match(DenialRegex()), $"{done} variant {i}");
                }
            }
        }
    }

    [TestCase("wrong-date")]
    [TestCase("wrong-currency")]
    [TestCase("negated-outcome")]
    [TestCase("id-typo")]
    public void Parse_ReplyKnob_KnownAndTakesNoValue(string fault)
    {
        var errors = new List<string>();
        var parsed = FaultSet.Parse([fault, fault + ":1"], errors);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsed.Names, Is.EqualTo(new[] { fault }));
            Assert.That(errors, Is.EqualTo(new[] { $"malformed fault '{fault}:1': '{fault}' takes no value" }));
            Assert.That(FaultSet.KnownList.Split(", "), Does.Contain(fault));
            Assert.That(SampleAgentOptionsParser.Usage.Split('\n').Select(line => line.Trim()), Has.Some.StartsWith(fault + " "), "--help lists it");
        }
    }

    private static string[] Placeholders(string template) => PlaceholderRegex().Matches(template).Select(m => m.Value).Order(StringComparer.Ordinal).ToArray();

    // Numbers, amounts and ids as a judge would read them; the footer's reference and timestamp are the same seed's.
    private static string[] Facts(string reply) => FactRegex().Matches(reply).Select(m => m.Value).ToArray();

    [GeneratedRegex(@"\{[a-zA-Z]+\}")]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"\d+(?:\.\d+)?(?:\s(?:USD|EUR|GBP))?|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}")]
    private static partial Regex FactRegex();

    [GeneratedRegex(@"\b(?:not|cannot|couldn't|can't|unable|refused|declined|haven't)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DenialRegex();

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
