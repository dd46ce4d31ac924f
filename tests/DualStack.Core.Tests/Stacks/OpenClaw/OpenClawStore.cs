using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Tests.Stacks.OpenClaw;

/// <summary>
/// Builds an OpenClaw agent store for tests from the real schema (Fixtures/openclaw-agent.schema.sql, copied from
/// openclaw 2026.9.6) and real trajectory rows captured from a gateway run (Fixtures/trajectory-events.jsonl).
/// </summary>
internal static class OpenClawStore
{
    /// <summary>Run whose model called <c>tool_call {"id":"memory_search","args":{"query":"order 4411"}}</c>.</summary>
    public const string MemorySearchRun = "chatcmpl_14b50194-ccb6-4d56-9b00-94d33d013d03";

    /// <summary>Run whose model called <c>write</c> on <c>memory/notes-x.md</c>.</summary>
    public const string WriteRun = "chatcmpl_79ae4585-64fb-46ae-86e1-12267012666d";

    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Stacks", "OpenClaw", "Fixtures", name);

    public static IReadOnlyList<JsonObject> Events() =>
        File.ReadLines(Fixture("trajectory-events.jsonl")).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();

    /// <summary>Creates <c>&lt;stateDir&gt;/agents/&lt;agentId&gt;/agent/openclaw-agent.sqlite</c> in WAL mode with the rows <paramref name="include"/> keeps.</summary>
    public static string Create(string stateDir, string agentId = "main", Func<JsonObject, bool>? include = null)
    {
        var path = Path.Combine(stateDir, "agents", agentId, "agent", "openclaw-agent.sqlite");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = Open(path);
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, File.ReadAllText(Fixture("openclaw-agent.schema.sql")));
        foreach (var row in Events().Where(include ?? (_ => true)))
        {
            Insert(connection, row);
        }

        return path;
    }

    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public static void Insert(SqliteConnection connection, JsonObject row)
    {
        // The store enforces foreign keys: a trajectory row needs its session window and session node, as the gateway writes them.
        var sessionId = row["session_id"]!.GetValue<string>();
        var sessionKey = JsonNode.Parse(row["event_json"]!.GetValue<string>())!["sessionKey"]!.GetValue<string>();
        using (var session = connection.CreateCommand())
        {
            session.CommandText = """
                INSERT OR IGNORE INTO session_nodes (session_key, current_session_id, entry_json, updated_at) VALUES ($k, $s, '{}', $c);
                INSERT OR IGNORE INTO session_windows (session_id, session_key, created_at, updated_at) VALUES ($s, $k, $c, $c);
                """;
            session.Parameters.AddWithValue("$k", sessionKey);
            session.Parameters.AddWithValue("$s", sessionId);
            session.Parameters.AddWithValue("$c", row["created_at"]!.GetValue<long>());
            session.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO trajectory_runtime_events (session_id, seq, run_id, event_json, created_at) VALUES ($s, $q, $r, $e, $c)";
        command.Parameters.AddWithValue("$s", row["session_id"]!.GetValue<string>());
        command.Parameters.AddWithValue("$q", row["seq"]!.GetValue<long>());
        command.Parameters.AddWithValue("$r", row["run_id"]!.GetValue<string>());
        command.Parameters.AddWithValue("$e", row["event_json"]!.GetValue<string>());
        command.Parameters.AddWithValue("$c", row["created_at"]!.GetValue<long>());
        command.ExecuteNonQuery();
    }

    public static bool IsEnd(JsonObject row) => row["event_json"]!.GetValue<string>().Contains("\"type\":\"session.ended\"", StringComparison.Ordinal);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
