using Npgsql;

namespace DisasterHub.Data;

/// <summary>Vector tiles via ST_AsMVT (tile.sql): the same rows, levels and as-of rules as every other read.</summary>
public sealed class TileQueries(NpgsqlDataSource db)
{
    public const int FeatureCap = 2000;
    public const int ClusterBelowZoom = 9;

    /// <summary>The exact SQL the hub runs for a tile (also what the benchmark gives pgbench).</summary>
    public static string Sql(ReadScope scope) => SqlFiles.Get("tile").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal);

    public async Task<byte[]> TileAsync(ReadScope scope, int z, int x, int y, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(Sql(scope), conn);
        scope.Bind(c);
        var tileMeters = 40075016.68557849 / (1 << z);
        c.Parameters.AddWithValue("z", z);
        c.Parameters.AddWithValue("x", x);
        c.Parameters.AddWithValue("y", y);
        c.Parameters.AddWithValue("tolerance", tileMeters / 4096 * 2);   // ~2 tile pixels
        c.Parameters.AddWithValue("cell", tileMeters / 16);               // 16×16 cluster grid per tile
        c.Parameters.AddWithValue("cap", FeatureCap);
        c.Parameters.AddWithValue("cluster_zoom", ClusterBelowZoom);
        return (byte[])(await c.ExecuteScalarAsync(ct))!;
    }
}
