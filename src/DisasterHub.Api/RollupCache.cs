using System.Collections.Concurrent;
using DisasterHub.Ingestion;

namespace DisasterHub.Api;

/// <summary>
/// The municipality roll-up's rows, shared between callers who ask the same (workspace, clearance, bbox, page). Every
/// open map asks for it after each batch of changes, and at national scale it is ~1 s of a core (1,918 municipalities
/// over 148,340 rows): callers arriving while it is computed wait for that computation (single flight), and its rows
/// serve until a change to the workspace (<see cref="ChangeSignal"/>) or <see cref="MaxAge"/>, since staleness and
/// overdue estimates move with the clock alone. A computation a change overtook serves the callers already waiting on
/// it and is then dropped, as a tile rendered across a change is (<see cref="TileCache"/>).
/// </summary>
public sealed class RollupCache
{
    /// <summary>How long rows serve without a change: the map's own poll is 30 s.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private const int MaxEntries = 256;
    private sealed record Entry(long Generation, string Workspace, DateTimeOffset At, Task<List<string>> Rows);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private long _generation;

    public RollupCache(ChangeSignal signal, TimeProvider clock)
    {
        _clock = clock;
        signal.Changed += (workspace, _) =>
        {
            Interlocked.Increment(ref _generation);
            foreach (var (key, e) in _entries)
                if (workspace == "*" || e.Workspace == workspace) _entries.TryRemove(new KeyValuePair<string, Entry>(key, e));
        };
    }

    /// <summary>
    /// The rows for <paramref name="key"/>: shared when fresh, else computed once by <paramref name="compute"/> (which
    /// must not stop when this caller goes away: others may wait on it); hit says whether they were shared.
    /// </summary>
    public async Task<(List<string> Rows, bool Hit)> GetAsync(string key, string workspace, Func<Task<List<string>>> compute, CancellationToken ct)
    {
        var generation = Interlocked.Read(ref _generation);
        var now = _clock.GetUtcNow();
        bool Fresh(Entry e) => e.Generation == generation && now - e.At < MaxAge && !e.Rows.IsFaulted && !e.Rows.IsCanceled;
        if (_entries.TryGetValue(key, out var cached) && Fresh(cached)) return (await cached.Rows.WaitAsync(ct), true);
        if (_entries.Count >= MaxEntries) _entries.Clear();
        var rows = new TaskCompletionSource<List<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var mine = new Entry(generation, workspace, now, rows.Task);
        var shared = _entries.AddOrUpdate(key, mine, (_, old) => Fresh(old) ? old : mine);
        if (shared == mine)
        {
            try
            {
                rows.SetResult(await compute());
            }
            catch (Exception ex)
            {
                rows.SetException(ex);
            }
            // a change landed while this computed (or it failed): its rows are not kept for later callers
            if (Interlocked.Read(ref _generation) != generation || rows.Task.IsFaulted)
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, mine));
        }
        return (await shared.Rows.WaitAsync(ct), shared != mine);
    }
}
