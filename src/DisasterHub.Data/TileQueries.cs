using Npgsql;

namespace DisasterHub.Data;

/// <summary>
/// Vector tiles via ST_AsMVT: the same rows, levels and as-of rules as every other read. Below the cluster zoom the
/// live layers are drawn from the precomputed cells (tile_cells.sql): the merged ones from tile_cell (migration 0016),
/// the per-source ones from feature_tile_cell (0063); every other tile (as of an instant, at and above the cluster
/// zoom) from the rows (tile.sql).
/// </summary>
public sealed class TileQueries(NpgsqlDataSource db)
{
    public const int FeatureCap = 2000;
    public const int ClusterBelowZoom = 9;

    /// <summary>The grid of tile_cell: 2^12 cells a side, the 16 × 16 cluster grid of a z8 tile.</summary>
    public const int CellZoom = ClusterBelowZoom - 1;

    /// <summary>Cells a side of that grid (hub_tile_cell_x/_y, migration 0016): 16 × 2^<see cref="CellZoom"/> = 4096.</summary>
    public const int CellGrid = 16 << CellZoom;

    /// <summary>The fields of every MVT layer the tile SQL writes, as TileJSON's vector_layers and MBTiles metadata describe them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>
    {
        ["id"] = "String", ["name"] = "String", ["status"] = "String", ["severity"] = "Number", ["municipality_code"] = "String",
        ["entity_key"] = "String", ["sources"] = "String", ["observed_at"] = "String", ["stale"] = "Boolean",
        ["conflicts"] = "Number", ["evacuees"] = "Number", ["customers_out"] = "Number", ["point_count"] = "Number",
    };

    /// <summary>Whether a tile of this scope and zoom is drawn from the precomputed cells.</summary>
    public static bool FromCells(ReadScope scope, int z) => scope.At is null && z < ClusterBelowZoom;

    /// <summary>The exact SQL the hub runs for a tile (also what the benchmark gives pgbench).</summary>
    /// <remarks>At and above the cluster zoom a live tile ranks on keys and reads the kept rows by id
    /// (tile_ranked.sql); a tile as of an instant ranks its rows whole (tile_ranked_asof.sql).</remarks>
    public static string Sql(ReadScope scope, bool fromCells) =>
        SqlFiles.Get(fromCells ? "tile_cells" : "tile")
            .Replace("{cells}", scope.Set == RowSet.Merged ? "tile_cell" : "feature_tile_cell", StringComparison.Ordinal)
            .Replace("{ranked}", SqlFiles.Get(scope.At is null ? "tile_ranked" : "tile_ranked_asof"), StringComparison.Ordinal)
            .Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal);

    public Task<byte[]> TileAsync(ReadScope scope, int z, int x, int y, CancellationToken ct) =>
        TileAsync(scope, z, x, y, FromCells(scope, z), ct);

    /// <summary>
    /// A tile from the cells or from the rows, as asked: below the cluster zoom the rows give the request-time
    /// clustering the cells stand for (same grid, same representative point), which tests and the benchmark compare
    /// the cells with.
    /// </summary>
    public async Task<byte[]> TileAsync(ReadScope scope, int z, int x, int y, bool fromCells, CancellationToken ct)
    {
        if (fromCells && !FromCells(scope, z)) throw new ArgumentException("only live tiles below the cluster zoom have cells", nameof(fromCells));
        await using var conn = await db.OpenConnectionAsync(ct);
        // A live tile at and above the cluster zoom runs on the statement's generic plan. PostgreSQL's default keeps
        // planning it afresh for every tile (its generic plan is costed with every branch of tile_ranked.sql), and the
        // planning of this statement takes ~10 ms: over the tiles of the 1,000,000-feature scale point, z9 p50/p95
        // 62/81 ms with a plan per tile against 40/66 ms on the generic plan (z10 36/69 against 24/43 ms).
        await using var tx = GenericPlan(scope, z, fromCells) ? await conn.BeginTransactionAsync(ct) : null;
        if (tx is not null)
        {
            await using var set = new NpgsqlCommand("SET LOCAL plan_cache_mode = force_generic_plan", conn, tx);
            await set.ExecuteNonQueryAsync(ct);
        }
        await using var c = new NpgsqlCommand(Sql(scope, fromCells), conn, tx);
        scope.Bind(c);
        var tileMeters = 40075016.68557849 / (1 << z);
        c.Parameters.AddWithValue("z", z);
        c.Parameters.AddWithValue("x", x);
        c.Parameters.AddWithValue("y", y);
        c.Parameters.AddWithValue("cap", FeatureCap);
        // the tile's clusters: cells of the grid (cell >> shift) inside the tile, cells cx0..cx1 × cy0..cy1
        var shift = Math.Max(0, CellZoom - z);
        var (x0, x1, y0, y1) = z <= CellZoom ? (16 * x << shift, ((16 * x + 16) << shift) - 1, 16 * y << shift, ((16 * y + 16) << shift) - 1) : (0, -1, 0, -1);
        c.Parameters.AddWithValue("shift", shift);
        c.Parameters.AddWithValue("cx0", x0);
        c.Parameters.AddWithValue("cx1", x1);
        c.Parameters.AddWithValue("cy0", y0);
        c.Parameters.AddWithValue("cy1", y1);
        if (!fromCells)
        {
            c.Parameters.AddWithValue("tolerance", tileMeters / 4096 * 2);   // ~2 tile pixels
            c.Parameters.AddWithValue("cluster_zoom", ClusterBelowZoom);
        }
        // prepared: the statement stays prepared on the pooled connection. PostgreSQL may then run it on a generic plan
        // instead of planning every tile (planning the tile SQL took ~2 ms, more than executing a z14 tile); at and
        // above the cluster zoom it only does when told to (above)
        await c.PrepareAsync(ct);
        var tile = (byte[])(await c.ExecuteScalarAsync(ct))!;
        if (tx is not null) await tx.CommitAsync(ct);
        return tile;
    }

    /// <summary>Whether a tile runs on its statement's generic plan: live rows ranked at or above the cluster zoom.</summary>
    public static bool GenericPlan(ReadScope scope, int z, bool fromCells) => !fromCells && scope.At is null && z >= ClusterBelowZoom;
}
