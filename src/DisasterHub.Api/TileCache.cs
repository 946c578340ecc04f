using System.Collections.Concurrent;
using System.Security.Cryptography;
using DisasterHub.Ingestion;

namespace DisasterHub.Api;

/// <summary>
/// In-memory tile cache. Entries are dropped when a layer they draw from changes (<see cref="ChangeSignal"/>, fed by
/// this node's commits and by LISTEN/NOTIFY from every node). A tile rendered while a change was committing is not
/// stored (generation check), so the cache never keeps a pre-change tile.
/// </summary>
public sealed class TileCache
{
    public sealed record Entry(byte[] Body, string ETag, string Workspace, IReadOnlyList<string> Layers);

    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    public TileCache(ChangeSignal signal) => signal.Changed += Invalidate;

    public long Generation => Interlocked.Read(ref _generation);

    public int Count => _entries.Count;

    public bool TryGet(string key, out Entry entry) => _entries.TryGetValue(key, out entry!);

    public Entry Store(string key, byte[] body, string workspace, IReadOnlyList<string> layers, long generationAtRender)
    {
        var entry = new Entry(body, ETagOf(body), workspace, layers);
        if (Interlocked.Read(ref _generation) != generationAtRender) return entry; // a change landed meanwhile
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[key] = entry;
        return entry;
    }

    public void Invalidate(string workspace, IReadOnlyList<string> layers)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, e) in _entries)
            if (workspace == "*" || (e.Workspace == workspace && (layers.Count == 0 || e.Layers.Any(layers.Contains))))
                _entries.TryRemove(key, out _);
    }

    /// <summary>Content hash: the same tile has the same ETag on every node and across restarts.</summary>
    public static string ETagOf(byte[] body) => $"\"{Convert.ToBase64String(SHA256.HashData(body), 0, 12).Replace('+', '-').Replace('/', '_')}\"";
}
