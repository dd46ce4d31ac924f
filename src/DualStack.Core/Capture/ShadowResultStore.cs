using DualStack.Core.Privacy;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Model;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Capture;

/// <summary>One shadow comparison as stored: the primary (old) answer and the shadow (new) answer of a captured turn.</summary>
/// <param name="ConversationKey">Conversation key of the live traffic.</param>
/// <param name="TurnIndex">Zero-based turn index within the conversation, in capture order.</param>
/// <param name="Timestamp">When the live turn happened.</param>
/// <param name="Message">What the user said.</param>
/// <param name="UserId">The user.</param>
/// <param name="Primary">The old stack's answer, as the client received it.</param>
/// <param name="Shadow">The new stack's answer, never returned to anyone.</param>
public sealed record ShadowTurn(string ConversationKey, int TurnIndex, DateTimeOffset Timestamp, string Message, string UserId, StackObservation Primary, StackObservation Shadow)
{
    /// <summary>
    /// This turn as it is stored: the key, message, user and both observations redacted by <paramref name="redactor"/>
    /// (the capture writer's, so a value gets the same token here as in the captures table), each observation written
    /// as JSON once, here, and stored as that text, which stays JSON whatever the patterns (<see cref="Redactor.RedactJsonText"/>).
    /// </summary>
    public StoredShadowTurn Redact(Redactor redactor)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        return new StoredShadowTurn(
            redactor.Redact(ConversationKey),
            TurnIndex,
            Timestamp,
            redactor.Redact(Message),
            redactor.Redact(UserId),
            RedactedJson(Primary, redactor),
            RedactedJson(Shadow, redactor));
    }

    private static string RedactedJson(StackObservation observation, Redactor redactor) =>
        redactor.RedactJsonText(JsonSerializer.Serialize(observation, DualStackJson.Options));
}

/// <summary>
/// A shadow pair as the stores write it: redacted (<see cref="ShadowTurn.Redact"/>), each observation as the JSON text
/// kept in its column. Read back as a <see cref="ShadowTurn"/>.
/// </summary>
/// <param name="ConversationKey">Conversation key of the live traffic, redacted.</param>
/// <param name="TurnIndex">Zero-based turn index within the conversation, in capture order.</param>
/// <param name="Timestamp">When the live turn happened.</param>
/// <param name="Message">What the user said, redacted.</param>
/// <param name="UserId">The user, redacted.</param>
/// <param name="PrimaryJson">The old stack's answer, a <see cref="StackObservation"/> as JSON.</param>
/// <param name="ShadowJson">The new stack's answer, a <see cref="StackObservation"/> as JSON.</param>
public sealed record StoredShadowTurn(string ConversationKey, int TurnIndex, DateTimeOffset Timestamp, string Message, string UserId, string PrimaryJson, string ShadowJson)
{
    /// <summary>The pair as the judge reads it, both observations parsed.</summary>
    public ShadowTurn Read() => new(
        ConversationKey,
        TurnIndex,
        Timestamp,
        Message,
        UserId,
        JsonSerializer.Deserialize<StackObservation>(PrimaryJson, DualStackJson.Options)!,
        JsonSerializer.Deserialize<StackObservation>(ShadowJson, DualStackJson.Options)!);
}

/// <summary>Where shadow comparisons are kept (beside the captures), read back by <c>dualstack report --source</c>.</summary>
public interface IShadowResultStore : IAsyncDisposable
{
    /// <summary>
    /// Appends a batch of comparisons in one transaction, in list order (row ids follow it, so the turns of a
    /// conversation keep their order); all or nothing: throws when the batch was not stored.
    /// </summary>
    Task AppendAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken);

    /// <summary>Streams every stored comparison ordered by conversation, then turn.</summary>
    IAsyncEnumerable<ShadowTurn> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Opens the shadow result store a <c>--store</c>/<c>--source</c> value names.</summary>
public static class ShadowResultStores
{
    /// <summary>PostgreSQL for a connection string (see <see cref="CaptureStores.OpenAsync"/>), else the SQLite file.</summary>
    public static async Task<IShadowResultStore> OpenAsync(string value, CancellationToken cancellationToken, string option = "--store") =>
        Postgres.PostgresConnection.IsPostgres(value)
            ? await PostgresShadowResultStore.OpenAsync(value, option, cancellationToken).ConfigureAwait(false)
            : await ShadowResultStore.OpenAsync(value, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The shadow result store beside an open capture store on the same <paramref name="value"/>, as the proxy keeps
    /// them. A SQLite file gets one writer for both (<see cref="ShadowResultStore.Beside"/>); the result does not own
    /// <paramref name="captures"/>, which its owner disposes after it. PostgreSQL opens its own, as <see cref="OpenAsync"/>.
    /// </summary>
    public static async Task<IShadowResultStore> OpenBesideAsync(ICaptureStore captures, string value, CancellationToken cancellationToken, string option = "--store")
    {
        ArgumentNullException.ThrowIfNull(captures);
        return captures is SqliteCaptureStore file
            ? await ShadowResultStore.Beside(file, ownsFile: false, cancellationToken).ConfigureAwait(false)
            : await OpenAsync(value, cancellationToken, option).ConfigureAwait(false);
    }
}

/// <summary>
/// Shadow comparisons in the SQLite capture database (table <c>shadow_turns</c>), read back by <c>dualstack report
/// --source</c> and <c>shadow judge</c>. Pairs are written through the capture store's one write connection, gate and
/// deleted-file check (<see cref="SqliteCaptureStore.AppendShadowAsync"/>): two connections writing one file emptied
/// each other's page cache at every commit. Commits use <c>synchronous=NORMAL</c>, like every capture: with FULL each
/// comparison fsynced the shared WAL, which cost the primary path about 40 % of its p99.
/// </summary>
internal sealed class ShadowResultStore : IShadowResultStore
{
    private readonly SqliteCaptureStore _file;
    private readonly bool _ownsFile;

    private ShadowResultStore(SqliteCaptureStore file, bool ownsFile)
    {
        _file = file;
        _ownsFile = ownsFile;
    }

    /// <summary>Opens (creating when missing) the capture database at <paramref name="path"/> and its shadow table.</summary>
    public static async Task<ShadowResultStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var file = await SqliteCaptureStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
        return await Beside(file, ownsFile: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The shadow pairs of an open capture store, created when the file lacks the table; disposes <paramref name="file"/> on failure when it owns it.</summary>
    public static async Task<ShadowResultStore> Beside(SqliteCaptureStore file, bool ownsFile, CancellationToken cancellationToken)
    {
        try
        {
            await file.EnsureShadowTableAsync(cancellationToken).ConfigureAwait(false);
            return new ShadowResultStore(file, ownsFile);
        }
        catch (SqliteException ex)
        {
            await DisposeOwnedAsync(file, ownsFile).ConfigureAwait(false);
            throw new InvalidDataException($"{file.Path}: cannot open as a capture database: {ex.Message}", ex);
        }
        catch
        {
            await DisposeOwnedAsync(file, ownsFile).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task AppendAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken) =>
        _file.AppendShadowAsync(batch, cancellationToken);

    /// <summary>Streams every stored comparison ordered by conversation, then turn.</summary>
    public async IAsyncEnumerable<ShadowTurn> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = await _file.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT conversation_key, turn_index, ts, message, user_id, primary_json, shadow_json FROM shadow_turns ORDER BY conversation_key, turn_index, id";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new StoredShadowTurn(
                    reader.GetString(0),
                    reader.GetInt32(1),
                    DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetString(5),
                    reader.GetString(6)).Read();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DisposeOwnedAsync(_file, _ownsFile);

    private static ValueTask DisposeOwnedAsync(SqliteCaptureStore file, bool owned) => owned ? file.DisposeAsync() : ValueTask.CompletedTask;
}
