using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DualStack.Proxy.Tests;

/// <summary>One log entry as the proxy wrote it.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>Collects log entries in memory (thread-safe) for assertions.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly string _category;
    private readonly ListLogger? _root;

    public ListLogger()
    {
        _category = string.Empty;
    }

    private ListLogger(ListLogger root, string category)
    {
        _root = root;
        _category = category;
    }

    public IReadOnlyList<LogEntry> Entries => [.. (_root ?? this)._entries];

    /// <summary>Warning-or-worse entries of the proxy's own category.</summary>
    public IReadOnlyList<LogEntry> ProxyWarnings => [.. Entries.Where(e => e.Category == "DualStack.Proxy" && e.Level >= LogLevel.Warning)];

    public ILogger CreateLogger(string categoryName) => new ListLogger(_root ?? this, categoryName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        (_root ?? this)._entries.Enqueue(new LogEntry(_category, logLevel, formatter(state, exception), exception));

    public void Dispose()
    {
    }
}
