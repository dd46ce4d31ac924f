using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DualStack.Core.Capture;

/// <summary>
/// An INSERT prepared once as a raw SQLite statement on an open connection and bound by position, for the stores'
/// batch writers (captures and shadow pairs). Text goes in as UTF-8 from one reused buffer, and SQLite copies it at bind
/// time (SQLITE_TRANSIENT), so a row allocates nothing. Microsoft.Data.Sqlite binds by name and copies every string to
/// a new UTF-8 array: 5.4 KB allocated per captured exchange then, 2.3 KB now (<c>bench/DualStack.Benchmarks --
/// capture-cpu</c>). UTF-16 binding was measured and dropped: SQLite's own translation is slower than <see
/// cref="Encoding.UTF8"/>. Used inside the caller's transaction; not thread-safe (one writer per connection).
/// </summary>
internal sealed class SqliteInsert : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private byte[] _utf8 = new byte[4096];

    public SqliteInsert(SqliteConnection connection, string sql)
    {
        _connection = connection;
        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out _statement));
    }

    /// <summary>Binds text (NULL for null). An empty string is stored as '' (an empty span would bind NULL).</summary>
    public void Text(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return;
        }

        Text(index, value.AsSpan());
    }

    /// <summary>Binds text (never NULL: an empty span is stored as '').</summary>
    public void Text(int index, ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            Check(raw.sqlite3_bind_text(_statement, index, string.Empty));
            return;
        }

        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < most)
        {
            _utf8 = new byte[Math.Max(most, _utf8.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_statement, index, _utf8.AsSpan(0, length)));
    }

    /// <summary>Binds text that is already UTF-8.</summary>
    public void Utf8(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_text(_statement, index, value));

    public void Int(int index, int value) => Check(raw.sqlite3_bind_int(_statement, index, value));

    public void Double(int index, double value) => Check(raw.sqlite3_bind_double(_statement, index, value));

    /// <summary>Inserts the bound row, then resets the statement and clears its bindings, whether it worked or not.</summary>
    public void Execute()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Ready for the next row with nothing bound; call it when a bind failed before <see cref="Execute"/>.</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }
}
