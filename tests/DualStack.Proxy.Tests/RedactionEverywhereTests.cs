using System.Text;
using DualStack.Core.Capture;
using DualStack.Core.Verdicts;
using DualStack.SampleAgent;
using DualStack.TestUtils;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy.Tests;

/// <summary>Everything the proxy writes beside the captures goes through the same redactor (issue 18, item 0).</summary>
public sealed class RedactionEverywhereTests : TempDirectoryTest
{
    [Test]
    public async Task Shadow_PersonalDataInTurns_NoTableColumnOrFileHoldsItInClear()
    {
        await using var oldAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v1" });
        await using var newAgent = await SampleAgentServer.StartAsync(new SampleAgentOptions { Profile = "v2" });
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = oldAgent.BaseAddress, StorePath = StorePath, Shadow = newAgent.BaseAddress });
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        foreach (var body in new[]
        {
            """{"userId":"jane.doe1@example.com","message":"remember that my email is jane.doe1@example.com"}""",
            """{"userId":"jane.doe1@example.com","message":"my card is 4111 1111 1111 1111 and my phone 4155550132"}""",
            """{"userId":"jane.doe1@example.com","message":"and my work mail is bob\u0040corp.example, call 0044 20 7946 0958"}""",
        })
        {
            using var response = await http.PostAsync("v1/conversations/jane.doe1@example.com/turns", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.That(response.IsSuccessStatusCode, Is.True);
        }

        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));
        await proxy.FlushAsync(CancellationToken.None);
        Assert.That(proxy.Metrics.ShadowStored, Is.EqualTo(3));
        // The out-of-process judge over the same file: its judgements table is searched below like every other.
        await using (var queue = await ShadowJudgeQueues.OpenAsync(StorePath, "--source", null, CancellationToken.None))
        {
            Assert.That(await new ShadowJudge(queue, new VerdictEngine(new DualStack.Core.Comparison.ComparisonConfig())).RunAsync(follow: false, CancellationToken.None), Is.EqualTo(3));
        }

        // Every column of every row of every table, then the raw files (database, WAL and shared memory).
        var rows = new StringBuilder();
        var tables = new List<string>();
        await using (var connection = new SqliteConnection($"Data Source={StorePath};Pooling=false"))
        {
            await connection.OpenAsync();
            await using (var list = connection.CreateCommand())
            {
                list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            foreach (var table in tables)
            {
                await using var select = connection.CreateCommand();
                select.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        rows.Append(table).Append('.').Append(reader.GetName(i)).Append('=').Append(reader.GetValue(i)).Append('\n');
                    }
                }
            }
        }

        Assert.That(tables, Does.Contain("shadow_turns").And.Contain("exchanges").And.Contain("shadow_judgements"));
        Assert.That(rows.ToString(), Does.Contain("shadow_turns.message=remember that my email is <email:"));
        var files = Directory.GetFiles(Dir);
        Assert.That(files.Select(Path.GetFileName), Does.Contain("captures.db-wal"), "searched while the WAL still holds the writes");
        var raw = Encoding.UTF8.GetString(files.SelectMany(File.ReadAllBytes).ToArray());
        foreach (var (where, text) in new[] { ("tables", rows.ToString()), ("files", raw) })
        {
            foreach (var secret in new[] { "jane.doe1@example.com", "jane.doe1%40example.com", "jane.doe1\\u0040example.com", "bob@corp.example", "bob\\u0040corp.example", "4111 1111 1111 1111", "4155550132", "7946 0958" })
            {
                Assert.That(text, Does.Not.Contain(secret), $"{where} hold '{secret}'");
            }
        }
    }

    [Test]
    public async Task LogSink_ShadowLinesNameAConversationKeyWithAnEmail_SinkGetsThemRedacted()
    {
        await using var agent = await SampleAgentServer.StartAsync(new SampleAgentOptions());
        var log = new ListLogger();
        await using var proxy = await ProxyServer.StartAsync(new ProxyOptions { Old = agent.BaseAddress, Shadow = agent.BaseAddress, ShadowJudge = ShadowJudgeMode.InProcess, LogSink = log }, LogLevel.Information);
        using var http = new HttpClient { BaseAddress = proxy.BaseAddress };

        using var response = await http.PostAsync("v1/conversations/jane.doe2@example.com/turns", new StringContent("""{"userId":"u-1","message":"hi"}""", Encoding.UTF8, "application/json"));
        Assert.That(response.IsSuccessStatusCode, Is.True);
        await proxy.Shadow!.DrainAsync(TimeSpan.FromSeconds(20));

        var lines = log.Entries.Select(e => e.Message).ToArray();
        Assert.That(lines.Where(l => l.StartsWith("shadow ", StringComparison.Ordinal)), Is.Not.Empty, "the shadow comparison is logged at information level");
        Assert.That(lines, Has.None.Contain("jane.doe2@example.com"), "the extra sink is redacted like the console");
        Assert.That(lines, Has.Some.Contain("<email:"));
    }
}
