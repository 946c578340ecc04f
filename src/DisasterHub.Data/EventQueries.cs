using Npgsql;

namespace DisasterHub.Data;

public sealed record EventFilter(string Workspace, string[] Layers, Core.Clearance Clearance, double[]? Bbox);

/// <summary>Reads behind GET /api/v1/events.</summary>
/// <remarks>An event is <c>change</c> or <c>expired</c> (the row's valid_until passed, see ExpiryService).</remarks>
public sealed class EventQueries(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<long> CurrentSeqAsync(CancellationToken ct)
    {
        await using var c = db.CreateCommand("SELECT coalesce(max(change_seq), 0) FROM merged_feature");
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    public Task<List<(long Seq, string Kind, string Json)>> ChangesAfterAsync(EventFilter f, long cursor, CancellationToken ct) =>
        ReadAsync("events", f, c => c.Parameters.AddWithValue("cursor", cursor), ct);

    public Task<List<(long Seq, string Kind, string Json)>> HistoryAfterAsync(EventFilter f, DateTimeOffset at, CancellationToken ct) =>
        ReadAsync("events_history", f, c => c.Parameters.AddWithValue("at", at.UtcDateTime), ct);

    private async Task<List<(long, string, string)>> ReadAsync(string sql, EventFilter f, Action<NpgsqlCommand> bind, CancellationToken ct)
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
        var list = new List<(long, string, string)>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetInt64(0), r.GetString(1), r.GetString(2)));
        return list;
    }
}
