using System.Text.RegularExpressions;
using Npgsql;

namespace DualStack.Core.Postgres;

/// <summary>
/// Recognises, converts and redacts PostgreSQL connection strings given to <c>--store</c>: the URL form
/// (<c>postgres://user:pass@host:5432/db?sslmode=require</c> or <c>postgresql://…</c>) or Npgsql's key/value form
/// (<c>Host=…;Username=…;Password=…;Database=…</c>). Anything else is a SQLite file path.
/// </summary>
public static partial class PostgresConnection
{
    /// <summary>True when <paramref name="value"/> names a PostgreSQL database rather than a SQLite file.</summary>
    public static bool IsPostgres(string? value) =>
        value is not null
        && (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || KeyValueHost().IsMatch(value));

    /// <summary>The value with any password replaced by <c>***</c>; safe for messages and logs.</summary>
    public static string Redact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var redacted = UrlPassword().Replace(value, "$1***@");
        return KeyValuePassword().Replace(redacted, "$1***");
    }

    /// <summary>
    /// Npgsql's connection string for <paramref name="value"/>. Throws <see cref="ArgumentException"/> whose message
    /// names <paramref name="option"/> and the redacted value when it cannot be parsed.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Parse(string value, string option)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            var builder = value.Contains("://", StringComparison.Ordinal) ? FromUrl(value) : new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("no host");
            }

            // Instances and workers name themselves in pg_stat_activity.
            builder.ApplicationName ??= "dualstack";
            return builder;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"{option}: '{Redact(value)}' is not a valid PostgreSQL connection string: {Redact(ex.Message)}", ex);
        }
    }

    /// <summary>
    /// A data source for <paramref name="value"/>, checked by opening one connection; throws
    /// <see cref="InvalidDataException"/> naming the option and the redacted value when the database cannot be reached.
    /// </summary>
    public static async Task<NpgsqlDataSource> OpenAsync(string value, string option, CancellationToken cancellationToken)
    {
        var builder = Parse(value, option);
        var dataSource = NpgsqlDataSource.Create(builder);
        try
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            return dataSource;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{option}: cannot connect to PostgreSQL at '{Redact(value)}': {Redact(ex.Message)}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string value)
    {
        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var text = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            builder[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", "connect_timeout" => "Timeout", _ => key }] = text;
        }

        return builder;
    }

    [GeneratedRegex(@"^\s*(?:[^=;]*;\s*)*(host|server)\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueHost();

    [GeneratedRegex(@"(://[^:/@]*:)[^@/]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"((?:password|pwd)\s*=\s*)(?:'[^']*'|""[^""]*""|[^;]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValuePassword();
}
