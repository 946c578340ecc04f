namespace DisasterHub.Api.Push;

/// <summary>
/// Semaphores by key (an organization, a key + Idempotency-Key pair), created on first use and removed when the last
/// holder or waiter leaves, so the table holds only keys in use: memory does not grow with every distinct key seen.
/// </summary>
/// <remarks>A plain lock around a dictionary: entries are touched twice per request, never contended for long.</remarks>
public sealed class KeyedSemaphores(int capacity)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    private sealed class Entry(int capacity)
    {
        public SemaphoreSlim Semaphore { get; } = new(capacity, capacity);
        public int Users { get; set; }
    }

    /// <summary>Keys currently held or waited for.</summary>
    public int Count
    {
        get
        {
            lock (_sync) return _entries.Count;
        }
    }

    /// <summary>Takes one unit of the key's semaphore; null when <paramref name="timeout"/> passes first.</summary>
    public async Task<IDisposable?> WaitAsync(string key, TimeSpan timeout, CancellationToken ct)
    {
        Entry entry;
        lock (_sync)
        {
            if (!_entries.TryGetValue(key, out entry!)) _entries[key] = entry = new Entry(capacity);
            entry.Users++;
        }
        var entered = false;
        try
        {
            entered = await entry.Semaphore.WaitAsync(timeout, ct);
        }
        finally
        {
            if (!entered) Leave(key, entry);
        }
        return entered ? new Holder(this, key, entry) : null;
    }

    private void Leave(string key, Entry entry)
    {
        lock (_sync)
        {
            if (--entry.Users > 0) return;
            _entries.Remove(key);
            entry.Semaphore.Dispose();
        }
    }

    private sealed class Holder(KeyedSemaphores owner, string key, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            entry.Semaphore.Release();
            owner.Leave(key, entry);
        }
    }
}
