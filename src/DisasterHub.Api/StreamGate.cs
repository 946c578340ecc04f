using System.Collections.Concurrent;

namespace DisasterHub.Api;

/// <summary>
/// Caps open event streams: per client (<c>Hub:Events:MaxStreamsPerClient</c>, default 10 — the key when valid, else
/// the client address) and in total (<c>Hub:Events:MaxStreams</c>, default 500). Beyond the first the caller gets 429,
/// beyond the second 503, both with Retry-After. History replays (<c>at=</c>) take turns:
/// <c>Hub:Events:ConcurrentReplays</c> (default 4) at once, so 150 streams opened together do not write 150 histories
/// at the same moment while a push waits for the CPU.
/// </summary>
public sealed class StreamGate(IConfiguration config) : IDisposable
{
    private readonly SemaphoreSlim _replays = new(Math.Max(1, config.GetValue("Hub:Events:ConcurrentReplays", 4)));

    private readonly int _perClient = config.GetValue("Hub:Events:MaxStreamsPerClient", 10);
    private readonly int _total = config.GetValue("Hub:Events:MaxStreams", 500);
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);
    private int _all;

    public int Open => Volatile.Read(ref _all);

    /// <summary>Waits for a replay turn; dispose to hand it on.</summary>
    public async Task<IDisposable> ReplayTurnAsync(CancellationToken ct)
    {
        await _replays.WaitAsync(ct);
        return new Turn(_replays);
    }

    public void Dispose() => _replays.Dispose();

    private sealed class Turn(SemaphoreSlim s) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) s.Release();
        }
    }

    /// <summary>A slot for one stream (dispose to give it back), or the status to answer: 429 or 503.</summary>
    public (IDisposable? Slot, int Status) TryEnter(string client)
    {
        if (Interlocked.Increment(ref _all) > _total)
        {
            Interlocked.Decrement(ref _all);
            return (null, StatusCodes.Status503ServiceUnavailable);
        }
        var mine = _open.AddOrUpdate(client, 1, (_, n) => n + 1);
        if (mine > _perClient)
        {
            Leave(client);
            return (null, StatusCodes.Status429TooManyRequests);
        }
        return (new Slot(this, client), 0);
    }

    private void Leave(string client)
    {
        // remove the entry when it reaches 0, so the table holds only clients with open streams
        while (true)
        {
            if (!_open.TryGetValue(client, out var n)) break;
            if (n <= 1 ? _open.TryRemove(new KeyValuePair<string, int>(client, n)) : _open.TryUpdate(client, n - 1, n)) break;
        }
        Interlocked.Decrement(ref _all);
    }

    private sealed class Slot(StreamGate gate, string client) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Leave(client);
        }
    }
}
