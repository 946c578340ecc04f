using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

public sealed record ItemQuery(string Layer, string Workspace, string[] Levels, double[]? Bbox, int Limit, int Offset, Guid? Id, DateTimeOffset Now);

/// <summary>Reads for OGC API Features: GeoJSON comes out of PostGIS one feature per row and is streamed.</summary>
public sealed class FeatureQueries(NpgsqlDataSource db)
{
    public async IAsyncEnumerable<string> ItemsAsync(ItemQuery q, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("ogc_items"), conn);
        Bind(c, q);
        c.Parameters.AddWithValue("limit", q.Limit);
        c.Parameters.AddWithValue("offset", q.Offset);
        c.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = (object?)q.Id ?? DBNull.Value });
        c.Parameters.AddWithValue("now", q.Now.UtcDateTime);
        await using var r = await c.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await r.ReadAsync(ct)) yield return r.GetString(0);
    }

    public async Task<long> CountAsync(ItemQuery q, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("ogc_count"), conn);
        Bind(c, q);
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    public async Task<(double[]? Bbox, long Count)> ExtentAsync(string layer, string workspace, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("layer_extent"), conn);
        c.Parameters.AddWithValue("layer", layer);
        c.Parameters.AddWithValue("workspace", workspace);
        await using var r = await c.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var n = r.GetInt64(4);
        return (r.IsDBNull(0) ? null : [r.GetDouble(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3)], n);
    }

    private static void Bind(NpgsqlCommand c, ItemQuery q)
    {
        c.Parameters.AddWithValue("layer", q.Layer);
        c.Parameters.AddWithValue("workspace", q.Workspace);
        c.Parameters.AddWithValue("levels", q.Levels);
        c.Parameters.AddWithValue("has_bbox", q.Bbox is not null);
        var b = q.Bbox ?? [0, 0, 0, 0];
        c.Parameters.AddWithValue("minx", b[0]);
        c.Parameters.AddWithValue("miny", b[1]);
        c.Parameters.AddWithValue("maxx", b[2]);
        c.Parameters.AddWithValue("maxy", b[3]);
    }
}
