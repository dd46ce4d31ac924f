using DualStack.Core.Postgres;
using Npgsql;

namespace DualStack.Core.Routing;

/// <summary>
/// The shared split state's tables (<c>split_state</c>, one row; <c>split_audit</c>; <c>split_pins</c>) and the seeding
/// of the state row.
/// </summary>
internal static class SharedSplitSchema
{
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS split_state (
            id              integer          PRIMARY KEY CHECK (id = 1),
            percent         double precision NOT NULL,
            rolled_back     boolean          NOT NULL,
            rollback_reason text,
            ramp_step       integer          NOT NULL,
            changed_at      timestamptz      NOT NULL,
            version         bigint           NOT NULL,
            change_id       uuid             NOT NULL DEFAULT gen_random_uuid()
        );
        CREATE TABLE IF NOT EXISTS split_audit (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at           timestamptz      NOT NULL,
            who          text             NOT NULL,
            action       text             NOT NULL,
            from_percent double precision NOT NULL,
            to_percent   double precision NOT NULL,
            reason       text             NOT NULL,
            instance     text             NOT NULL,
            version      bigint           NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_split_audit_at ON split_audit (at);
        CREATE INDEX IF NOT EXISTS ix_split_audit_version ON split_audit (version);
        CREATE TABLE IF NOT EXISTS split_pins (
            conversation_key text        PRIMARY KEY,
            stack            smallint    NOT NULL,
            last_seen        timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_split_pins_last_seen ON split_pins (last_seen);
        """,
    ];

    /// <summary>
    /// Creates or migrates the tables and seeds the state row from <paramref name="seed"/> when it is missing. Runs at
    /// start and again whenever a statement finds a table missing (a database restored from an older backup or
    /// recreated), so the instances repopulate it instead of retrying against nothing forever.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, SplitSnapshot seed, CancellationToken cancellationToken)
    {
        await PostgresSchema.MigrateAsync(dataSource, "split", Migrations, cancellationToken).ConfigureAwait(false);
        await using var insert = dataSource.CreateCommand(
            "INSERT INTO split_state (id, percent, rolled_back, rollback_reason, ramp_step, changed_at, version) VALUES (1, @p, @rb, @reason, @step, now(), 0) ON CONFLICT (id) DO NOTHING");
        insert.Parameters.AddWithValue("p", seed.Percent);
        insert.Parameters.AddWithValue("rb", seed.RolledBack);
        insert.Parameters.AddWithValue("reason", (object?)seed.RollbackReason ?? DBNull.Value);
        insert.Parameters.AddWithValue("step", seed.RampStep);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="failure"/> says a table is missing (the schema must be re-created).</summary>
    public static bool IsMissingTable(Exception failure) => failure is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable };
}
