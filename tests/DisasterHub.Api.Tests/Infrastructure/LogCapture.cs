using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>Every log line of a hub under test ("category message exception"), for tests that assert what is logged.</summary>
public sealed class LogCapture(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(sink, categoryName);

    public void Dispose() { }

    private sealed class Logger(ConcurrentQueue<string> sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue($"{category} {formatter(state, exception)} {exception}");
    }
}
