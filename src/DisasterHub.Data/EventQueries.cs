using Npgsql;

namespace DisasterHub.Data;

public sealed record EventFilter(string Workspace, string[] Layers, Core.Clearance Clearance, double[]? Bbox);

/// <summary>
/// Many changes waiting after <paramref name="From"/>, sent as one <c>burst</c> event: <paramref name="To"/> is the last
/// of them (the stream's new cursor), <paramref name="Changes"/> how many, with their layers and extent.
/// </summary>
public sealed record EventBurst(long From, long To, long Changes, string[] Layers, double[] Bbox);

/// <summary>One replayed history event and its place in the replay (the cursor of the next page).</summary>
public readonly record struct HistoryEvent(long Id, DateTime ReceivedAt, string Json);

/// <summary>
/// Reads behind GET /api/v1/events, on the read pool. Each read borrows a connection for one bounded page and gives
/// it back: a stream holds no connection while it waits for changes.
/// </summary>
/// <remarks>
/// One push wakes every stream, and 150 identical queries at once would take the database's CPU from the push that
/// caused them. So streams asking the same page at the same time (same filter, same cursor — every map on the default
/// view) share one read, and at most <c>Hub:Events:ConcurrentReads</c> (default 4) distinct reads run at once.
/// </remarks>
/// <para>An event is <c>change</c>, <c>expired</c> (the row's valid_until passed, see ExpiryService) or <c>deleted</c>
/// (the row left the merged layer: its features withdrawn by a full replacement or moved to another entity).</para>
public sealed class EventQueries(NpgsqlDataSource db, TimeProvider clock, int pageSize = EventQueries.DefaultPageSize, int concurrentReads = EventQueries.DefaultConcurrentReads) : IDisposable
{
    public const int DefaultPageSize = 500;
    public const int DefaultConcurrentReads = 4;

    private readonly SemaphoreSlim _reads = new(Math.Max(1, concurrentReads));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task<object>> _inFlight = new(StringComparer.Ordinal);

    public void Dispose() => _reads.Dispose();

    /// <summary>Rows per read: live changes after the cursor, and history pages (<c>Hub:Events:PageSize</c>).</summary>
    public int PageSize { get; } = Math.Max(1, pageSize);

    public async Task<long> CurrentSeqAsync(CancellationToken ct)
    {
        // the newest change or deletion (a deletion marker takes its change_seq from the same sequence: migration 0053)
        await using var c = db.CreateCommand("SELECT hub_last_change_seq()");
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    public Task<List<(long Seq, string Kind, string Json)>> ChangesAfterAsync(EventFilter f, long cursor, CancellationToken ct) =>
        ReadAsync("events", f, $"{cursor}", c =>
        {
            c.Parameters.AddWithValue("cursor", cursor);
            c.Parameters.AddWithValue("page", PageSize);
        }, r => (r.GetInt64(0), r.GetString(1), r.GetString(2)), ct);

    /// <summary>Every change waiting after the cursor within the filter, summed up (null when none is).</summary>
    public async Task<EventBurst?> BurstAfterAsync(EventFilter f, long cursor, CancellationToken ct)
    {
        var rows = await ReadAsync("events_burst", f, $"{cursor}", c => c.Parameters.AddWithValue("cursor", cursor),
            r => new EventBurst(cursor, r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<string[]>(2),
                [r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetDouble(6)]), ct);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>
    /// History after <paramref name="at"/>, one page at a time after a (received_at, id) cursor, streamed: the caller
    /// writes each page before the next is read, so memory and connection time stay bounded however long the history.
    /// </summary>
    public async IAsyncEnumerable<HistoryEvent> HistoryAfterAsync(EventFilter f, DateTimeOffset at, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var afterAt = at.UtcDateTime;
        var afterId = 0L;
        while (true)
        {
            var page = await ReadAsync("events_history", f, $"{at.UtcTicks}|{afterAt.Ticks}|{afterId}", c =>
            {
                c.Parameters.AddWithValue("at", at.UtcDateTime);
                c.Parameters.AddWithValue("after_at", afterAt);
                c.Parameters.AddWithValue("after_id", afterId);
                c.Parameters.AddWithValue("page", PageSize);
            }, r => new HistoryEvent(r.GetInt64(0), r.GetDateTime(1), r.GetString(2)), ct);
            foreach (var e in page) yield return e;
            if (page.Count < PageSize) yield break;
            (afterAt, afterId) = (page[^1].ReceivedAt, page[^1].Id);
        }
    }

    private async Task<List<T>> ReadAsync<T>(string sql, EventFilter f, string args, Action<NpgsqlCommand> bind, Func<NpgsqlDataReader, T> row, CancellationToken ct)
    {
        var key = string.Join('\n', sql, f.Workspace, string.Join(',', f.Layers), f.Clearance.CacheKey, f.Clearance.HiddenJson,
            f.Bbox is null ? "" : string.Join(',', f.Bbox), args);
        var mine = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd(key, mine.Task);
        if (shared != mine.Task) return (List<T>)await shared.WaitAsync(ct);
        try
        {
            // the shared read is not cancelled by the stream that happens to run it: others wait on it
            await _reads.WaitAsync(CancellationToken.None);
            try
            {
                mine.SetResult(await ReadNowAsync(sql, f, bind, row, CancellationToken.None));
            }
            finally
            {
                _reads.Release();
            }
        }
        catch (Exception e)
        {
            mine.TrySetException(e);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<object>>(key, mine.Task));
        }
        return (List<T>)await mine.Task.WaitAsync(ct);
    }

    private async Task<List<T>> ReadNowAsync<T>(string sql, EventFilter f, Action<NpgsqlCommand> bind, Func<NpgsqlDataReader, T> row, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get(sql), conn);
        c.Parameters.AddWithValue("workspace", f.Workspace);
        c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
        c.Parameters.AddWithValue("layers", f.Layers);
        c.Parameters.AddWithValue("levels", f.Clearance.Levels);
        c.Parameters.Add(new NpgsqlParameter("hidden", NpgsqlTypes.NpgsqlDbType.Jsonb) { Value = f.Clearance.HiddenJson });
        c.Parameters.AddWithValue("has_bbox", f.Bbox is not null);
        var b = f.Bbox ?? [0, 0, 0, 0];
        c.Parameters.AddWithValue("minx", b[0]);
        c.Parameters.AddWithValue("miny", b[1]);
        c.Parameters.AddWithValue("maxx", b[2]);
        c.Parameters.AddWithValue("maxy", b[3]);
        bind(c);
        var list = new List<T>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(row(r));
        return list;
    }
}
