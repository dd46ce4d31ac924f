using DualStack.Core.Privacy;
using DualStack.Core.Capture;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy;

/// <summary>
/// Puts every log line of the proxy host through the capture redactor before it reaches a sink: the formatted
/// message, the structured values and the exception text. Paths, queries and conversation keys carry e-mails and
/// phone numbers (<c>/v1/conversations/jane.doe@example.com/turns</c>), and so do the messages of YARP's and the
/// shadow stack's exceptions. Redaction runs only for lines that are written, on the logging thread of the caller.
/// </summary>
internal sealed class RedactingLoggerProvider(ILoggerProvider inner, Redactor redactor) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void Dispose() => inner.Dispose();
}

internal sealed class RedactingLogger(ILogger inner, Redactor redactor) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = redactor.Redact(formatter(state, exception));
        var values = new List<KeyValuePair<string, object?>>();
        if (state is IReadOnlyList<KeyValuePair<string, object?>> structured)
        {
            foreach (var (key, value) in structured)
            {
                // The template itself is code, not data; every value is redacted as text.
                values.Add(new(key, key == "{OriginalFormat}" || value is null ? value : redactor.Redact(value.ToString() ?? string.Empty)));
            }
        }

        inner.Log(logLevel, eventId, new RedactedLogState(message, values), exception is null ? null : new RedactedException(exception, redactor), static (s, _) => s.Message);
    }
}

/// <summary>The redacted message and values of one log line.</summary>
internal sealed class RedactedLogState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string Message { get; } = message;

    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}

/// <summary>An exception as a log sink prints it (type, message, stack, inner exceptions), redacted.</summary>
#pragma warning disable CA1064 // never thrown, only logged
internal sealed class RedactedException(Exception original, Redactor redactor) : Exception(redactor.Redact(original.Message))
#pragma warning restore CA1064
{
    private readonly string _text = redactor.Redact(original.ToString());

    public override string? StackTrace => null;

    public override string ToString() => _text;
}
