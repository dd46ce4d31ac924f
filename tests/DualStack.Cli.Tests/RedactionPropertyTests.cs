using System.Globalization;
using System.Text;
using Bogus;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;

namespace DualStack.Cli.Tests;

/// <summary>
/// Issue 18, item 2: personal data in any encoding, anywhere in a request, sent through a real `dualstack capture
/// --shadow` process on loopback, survives nowhere: not in the raw database files (WAL included; pairs and the
/// `shadow judge` judgements), the exports, the shadow reports or the process's logs.
/// </summary>
public sealed class RedactionPropertyTests
{
    private const string TokenPattern = "tok_[A-Za-z0-9]{24}";

    [TestCase(20261203)]
    [TestCase(4411)]
    public async Task Capture_GeneratedPersonalDataInEveryEncodingAndPlace_NoneSurvivesInStoreExportsReportsOrLogs(int seed)
    {
        var faker = new Faker { Random = new Randomizer(seed) };
        var values = Generate(faker);
        var dir = Directory.CreateTempSubdirectory("redaction-property-").FullName;
        var store = Path.Combine(dir, "captures.db");
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        var proxy = await CaptureProcess.StartAsync(
            dir, "--old", oldAgent.BaseAddress.AbsoluteUri, "--store", store, "--shadow", newAgent.BaseAddress.AbsoluteUri, "--lexical", "--verbose", "--redact", TokenPattern);
        try
        {
            var http = proxy.Http;
            var sent = 0;
            var turns = 0;
            for (var i = 0; i < values.Count; i++)
            {
                var value = values[i];
                var other = values[(i + 1) % values.Count];
                // Each value once in every encoding: in the path (the conversation key), the query, two headers
                // (one allow-listed) and the body.
                foreach (var encoded in Encodings(value))
                {
                    var key = Uri.EscapeDataString(encoded);
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/conversations/{key}/turns?ref={Uri.EscapeDataString(encoded)}&plus={FormEncode(other)}")
                    {
                        Content = new StringContent(
                            $$"""{"userId":"{{JsonEscapeAll(other)}}","message":"remember that my contact is {{JsonString(encoded)}}, also {{JsonEscapeAll(value)}} and {{Uri.EscapeDataString(value)}}"}""",
                            Encoding.UTF8,
                            "application/json"),
                    };
                    request.Headers.TryAddWithoutValidation("User-Agent", "agent " + encoded);
                    request.Headers.TryAddWithoutValidation("X-Request-Id", Uri.EscapeDataString(value));
                    request.Headers.TryAddWithoutValidation("X-Customer", value);
                    using var response = await http.SendAsync(request);
                    sent++;
                    turns++;
                }

                using var form = await http.PostAsync($"v1/forms/{Uri.EscapeDataString(value)}", new StringContent($"contact={FormEncode(value)}&note={Uri.EscapeDataString(other)}", Encoding.UTF8, "application/x-www-form-urlencoded"));
                sent++;
            }

            await proxy.WaitForMetricsAsync(m => CaptureProcess.Metric(m, "dualstack_captures_written_total") >= sent && CaptureProcess.Metric(m, "dualstack_shadow_stored_total") >= turns, "captures and shadow pairs stored");

            // Raw files while the proxy runs: the WAL still holds the latest writes.
            var raw = ReadFiles(dir);
            Assert.That(File.Exists(store + "-wal"), Is.True, "the WAL is searched too");

            var exchanges = await CliRunner.RunAsync(dir, "captures", "export", "--store", store, "--out", Path.Combine(dir, "exchanges.jsonl"));
            var conversations = await CliRunner.RunAsync(dir, "captures", "export", "--store", store, "--as", "conversations", "--out", Path.Combine(dir, "conversations.jsonl"));
            var list = await CliRunner.RunAsync(dir, "captures", "list", "--store", store, "--limit", "1000");
            var report = await CliRunner.RunAsync(dir, "report", "--source", store, "--lexical", "--reports", Path.Combine(dir, "reports"));
            var judge = await CliRunner.RunAsync(dir, "shadow", "judge", "--source", store, "--lexical", "--reports", Path.Combine(dir, "judged"));
            Assert.That(judge.ExitCode, Is.Not.EqualTo(2), judge.ToString());
            Assert.That(Directory.GetFiles(Path.Combine(dir, "judged"), "*", SearchOption.AllDirectories), Has.Some.EndsWith("results.json"));
            // The judgements table (written by the judge) is in the database files searched below.
            raw += ReadFiles(dir);
            Assert.That(exchanges.ExitCode, Is.Zero, exchanges.ToString());
            Assert.That(conversations.ExitCode, Is.Zero, conversations.ToString());
            Assert.That(report.ExitCode, Is.Not.EqualTo(2), report.ToString());
            Assert.That(Directory.GetFiles(Path.Combine(dir, "reports"), "*", SearchOption.AllDirectories), Has.Some.EndsWith("results.json"));

            await proxy.Process.KillAsync();
            var logText = proxy.Process.Output;

            Assert.That(logText, Does.Contain("shadow "), "the verbose log names conversations (keys from the path)");
            var everything = new Dictionary<string, string>
            {
                ["database files"] = raw,
                ["exports and reports"] = ReadFiles(dir),
                ["command output"] = string.Join('\n', new[] { exchanges, conversations, list, report, judge }.Select(r => r.Stdout + r.Stderr)),
                ["proxy logs"] = logText,
            };
            var survivors = new List<string>();
            foreach (var value in values)
            {
                foreach (var form in Forms(value))
                {
                    survivors.AddRange(everything.Where(e => e.Value.Contains(form, StringComparison.OrdinalIgnoreCase)).Select(e => $"{e.Key}: '{form}' (from '{value}')"));
                }
            }

            Assert.That(survivors, Is.Empty, $"seed {seed}: personal data survived");
        }
        finally
        {
            await proxy.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> Generate(Faker faker)
    {
        var values = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            values.Add(faker.Internet.Email(faker.Name.FirstName(), faker.Name.LastName(), "corp.example", faker.Random.Number(1, 99).ToString(CultureInfo.InvariantCulture)).ToLowerInvariant());
            values.Add(Card(faker, faker.Random.Bool() ? " " : string.Empty));
            values.Add(faker.Random.ArrayElement(new[]
            {
                $"+44 20 {faker.Random.Number(7000, 7999)} {faker.Random.Number(1000, 9999)}",
                $"0044 20 {faker.Random.Number(7000, 7999)} {faker.Random.Number(1000, 9999)}",
                $"{faker.Random.Number(2, 9)}{faker.Random.Number(10, 99)}{faker.Random.Number(2, 9)}{faker.Random.Number(100000, 999999)}",
                $"({faker.Random.Number(200, 999)}) {faker.Random.Number(200, 999)}-{faker.Random.Number(1000, 9999)}",
                $"07700 {faker.Random.Number(900000, 900999)}",
            }));
            values.Add("tok_" + faker.Random.String2(24, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"));
        }

        return values;
    }

    // A Luhn-valid 16-digit Visa number, contiguous or in groups of four.
    private static string Card(Faker faker, string separator)
    {
        var digits = new int[16];
        digits[0] = 4;
        for (var i = 1; i < 15; i++)
        {
            digits[i] = faker.Random.Number(0, 9);
        }

        var sum = 0;
        for (var i = 14; i >= 0; i--)
        {
            var d = digits[i];
            if ((14 - i) % 2 == 0)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
        }

        digits[15] = (10 - (sum % 10)) % 10;
        var text = string.Concat(digits);
        return separator.Length == 0 ? text : string.Join(separator, text.Chunk(4).Select(c => new string(c)));
    }

    // The encodings a value is sent in: plain, JSON \u escapes of its punctuation, URL-encoded, JSON escapes of every character.
    private static IEnumerable<string> Encodings(string value) =>
        [value, JsonEscapePunctuation(value), Uri.EscapeDataString(value), JsonEscapeAll(value)];

    // What must not appear anywhere: the value, its encodings and its canonical forms (digits only, lower case).
    private static IEnumerable<string> Forms(string value)
    {
        var forms = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { value, JsonEscapePunctuation(value), Uri.EscapeDataString(value), JsonEscapeAll(value), FormEncode(value) };
        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length >= 7 && !value.StartsWith("tok_", StringComparison.Ordinal))
        {
            forms.Add(digits);
        }

        if (value.Contains('@'))
        {
            forms.Add(value[..value.IndexOf('@')] + "@");
        }

        return forms;
    }

    private static string JsonEscapePunctuation(string value) =>
        string.Concat(value.Select(c => char.IsAsciiLetterOrDigit(c) ? c.ToString() : $"\\u{(int)c:x4}"));

    private static string JsonEscapeAll(string value) => string.Concat(value.Select(c => $"\\u{(int)c:x4}"));

    // Inside a JSON string: a value that is already \u-escaped stays as it is, anything else is escaped as needed.
    private static string JsonString(string encoded) => encoded.Contains("\\u", StringComparison.Ordinal) ? encoded : System.Text.Json.JsonEncodedText.Encode(encoded).ToString();

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static string ReadFiles(string dir)
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            text.Append(Encoding.UTF8.GetString(memory.ToArray())).Append('\n');
        }

        return text.ToString();
    }
}
