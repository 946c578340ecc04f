using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>Which rows a read draws from: per-source features or merged, now or as of an instant.</summary>
public enum RowSet { Features, Merged }

/// <summary>
/// What every read path (OGC items, roll-up, tiles, events) shares: the layers, the workspace, the caller's
/// classification levels, and the instant (null = now).
/// </summary>
public sealed record ReadScope(RowSet Set, string[] Layers, string Workspace, Core.Clearance Clearance, DateTimeOffset Now, DateTimeOffset? At = null)
{
    public string RowsSql() => SqlFiles.Get((Set, At is null) switch
    {
        (RowSet.Features, true) => "rows_features",
        (RowSet.Features, false) => "rows_features_asof",
        (RowSet.Merged, true) => "rows_merged",
        _ => "rows_merged_asof",
    });

    public void Bind(NpgsqlCommand c) => Bind(c.Parameters);

    public void Bind(NpgsqlParameterCollection p)
    {
        p.AddWithValue("layers", Layers);
        p.AddWithValue("workspace", Workspace);
        p.AddWithValue("levels", Clearance.Levels);
        p.AddWithValue("now", Now.UtcDateTime);
        p.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = (object?)At?.UtcDateTime ?? Now.UtcDateTime });
        // attributes above the caller's level (and personal data) are removed inside every rows_* query
        p.Add(new NpgsqlParameter("hidden", NpgsqlDbType.Jsonb) { Value = Clearance.HiddenJson });
    }
}

/// <summary>
/// One items read: the scope, bbox, page, an optional single id; the request's filter and sort (<see cref="SqlFilter"/>,
/// parameters only), the properties to keep (null = all), and the URLs each feature's self/collection links start with.
/// </summary>
public sealed record ItemQuery(ReadScope Scope, double[]? Bbox, int Limit, int Offset, Guid? Id = null)
{
    public SqlFilter Filter { get; init; } = SqlFilter.None;
    public string[]? Properties { get; init; }

    /// <summary>The roll-up's per-layer rules (<see cref="Core.LayerCatalogue.RollupJson"/>); the roll-up only.</summary>
    public string RollupJson { get; init; } = "{}";
    public string ItemsUrl { get; init; } = "";
    public string CollectionUrl { get; init; } = "";
}

/// <summary>Reads for OGC API Features: GeoJSON comes out of PostGIS one feature per row and is streamed.</summary>
public sealed class FeatureQueries(NpgsqlDataSource db)
{
    /// <summary>
    /// The statement of a template for this query: its rows, and its bbox, id, filter and sort only where the request
    /// has them (the read pool prepares statements it sees often, <see cref="DataServices.BuildRead"/>; a condition
    /// written "@x IS NULL OR …" would leave a prepared statement's generic plan unable to use the spatial index).
    /// </summary>
    private static string Compose(string template, ItemQuery q) => SqlFiles.Get(template)
        .Replace("{rows}", q.Scope.RowsSql(), StringComparison.Ordinal)
        .Replace("{bbox}", q.Bbox is null ? "" : "AND r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)", StringComparison.Ordinal)
        .Replace("{id}", q.Id is null ? "" : "AND r.id = @id", StringComparison.Ordinal)
        .Replace("{filter}", q.Filter.Where, StringComparison.Ordinal)
        .Replace("{order}", q.Filter.OrderBy, StringComparison.Ordinal);

    public IAsyncEnumerable<string> ItemsAsync(ItemQuery q, CancellationToken ct) => StreamAsync("ogc_items", q, ct);

    /// <summary>
    /// A page of items and its numberMatched on one connection, in one round trip: the features stream first, and
    /// <paramref name="matched"/> holds the count once they have all been read.
    /// </summary>
    public async IAsyncEnumerable<string> PageAsync(ItemQuery q, System.Runtime.CompilerServices.StrongBox<long> matched,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        var items = new NpgsqlBatchCommand(Compose("ogc_items", q));
        BindItems(items.Parameters, q);
        var count = new NpgsqlBatchCommand(Compose("ogc_count", q));
        Bind(count.Parameters, q);
        batch.BatchCommands.Add(items);
        batch.BatchCommands.Add(count);
        await using var r = await batch.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return r.GetString(0);
        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        matched.Value = r.GetInt64(0);
    }

    public IAsyncEnumerable<string> RollupAsync(ItemQuery q, CancellationToken ct) => StreamAsync("rollup", q, ct);

    /// <summary>The media type of a stored file the scope's caller may see (a record of the media layer with that hash), else null.</summary>
    public async Task<string?> VisibleMediaTypeAsync(ReadScope scope, string sha256, CancellationToken ct)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("media_visible").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal));
        scope.Bind(c);
        c.Parameters.AddWithValue("sha", sha256);
        return await c.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>The roll-up's statement for this query, with its parameters (what <see cref="RollupAsync"/> runs; tests explain it).</summary>
    public static NpgsqlCommand RollupCommand(ItemQuery q) => Command("rollup", q);

    private static NpgsqlCommand Command(string template, ItemQuery q)
    {
        var c = new NpgsqlCommand(Compose(template, q));
        if (template == "ogc_items") BindItems(c.Parameters, q);
        else
        {
            Bind(c.Parameters, q);
            c.Parameters.Add(new NpgsqlParameter("rollup", NpgsqlDbType.Jsonb) { Value = q.RollupJson });
            c.Parameters.AddWithValue("limit", q.Limit);
            c.Parameters.AddWithValue("offset", q.Offset);
        }
        return c;
    }

    private async IAsyncEnumerable<string> StreamAsync(string template, ItemQuery q, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = Command(template, q);
        c.Connection = conn;
        await using var r = await c.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        while (await r.ReadAsync(ct)) yield return r.GetString(0);
    }

    public async Task<long> CountAsync(ItemQuery q, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(Compose("ogc_count", q), conn);
        Bind(c.Parameters, q);
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Bounding box, row count and time span (observed_at) of what the caller may read of a collection.</summary>
    public async Task<(double[]? Bbox, long Count, DateTimeOffset? First, DateTimeOffset? Last)> ExtentAsync(ReadScope scope, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("collection_extent").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal), conn);
        scope.Bind(c);
        await using var r = await c.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var n = r.GetInt64(4);
        return (r.IsDBNull(0) ? null : [r.GetDouble(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3)], n,
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6));
    }

    /// <summary>The parameters of the rows, the bbox (the roll-up tests @has_bbox itself) and the filter.</summary>
    private static void Bind(NpgsqlParameterCollection p, ItemQuery q)
    {
        q.Scope.Bind(p);
        p.AddWithValue("has_bbox", q.Bbox is not null);
        var b = q.Bbox ?? [0, 0, 0, 0];
        p.AddWithValue("minx", b[0]);
        p.AddWithValue("miny", b[1]);
        p.AddWithValue("maxx", b[2]);
        p.AddWithValue("maxy", b[3]);
        foreach (var v in q.Filter.Values) p.Add(new NpgsqlParameter(v.Name, v.Type) { Value = v.Value });
    }

    /// <summary>As <see cref="Bind"/>, and what ogc_items.sql adds: the properties kept, the links' URLs, the page, one id.</summary>
    private static void BindItems(NpgsqlParameterCollection p, ItemQuery q)
    {
        Bind(p, q);
        p.Add(new NpgsqlParameter("props", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)q.Properties ?? DBNull.Value });
        p.AddWithValue("items_url", q.ItemsUrl);
        p.AddWithValue("collection_url", q.CollectionUrl);
        p.AddWithValue("limit", q.Limit);
        p.AddWithValue("offset", q.Offset);
        p.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = (object?)q.Id ?? DBNull.Value });
    }

    /// <summary>
    /// Loads the municipality directory (geodata) into municipality_point once: every code with its kind, the city a
    /// ward belongs to, and its representative point where one is known — the roll-up draws the points, the
    /// reporting-status view lists every municipality (those without a point too).
    /// </summary>
    public static async Task SeedMunicipalityPointsAsync(NpgsqlDataSource db, Core.MunicipalityDirectory directory, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE municipality_point IN EXCLUSIVE MODE", conn, tx))
            await lockTable.ExecuteNonQueryAsync(ct);
        // a table seeded before kinds were kept (migration 0014) is seeded again
        await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM municipality_point WHERE kind IS NOT NULL)", conn, tx))
            if ((bool)(await check.ExecuteScalarAsync(ct))!) return;
        await using (var clear = new NpgsqlCommand("DELETE FROM municipality_point", conn, tx))
            await clear.ExecuteNonQueryAsync(ct);
        await using (var w = await conn.BeginBinaryImportAsync("COPY municipality_point (code, prefecture, name, point, kind, parent) FROM STDIN (FORMAT BINARY)", ct))
        {
            var wkb = new NetTopologySuite.IO.WKBWriter(NetTopologySuite.IO.ByteOrder.LittleEndian, true);
            var factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);
            foreach (var e in directory.Entries)
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(e.Code, NpgsqlDbType.Text, ct);
                await w.WriteAsync(e.Prefecture, NpgsqlDbType.Text, ct);
                await w.WriteAsync(e.Name, NpgsqlDbType.Text, ct);
                if (directory.TryGetPoint(e.Code, out var lon, out var lat))
                    await w.WriteAsync(wkb.Write(factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(lon, lat))), NpgsqlDbType.Bytea, ct);
                else await w.WriteNullAsync(ct);
                await w.WriteAsync(e.Type, NpgsqlDbType.Text, ct);
                if (directory.CityOf(e) is { } city) await w.WriteAsync(city.Code, NpgsqlDbType.Text, ct);
                else await w.WriteNullAsync(ct);
            }
            await w.CompleteAsync(ct);
        }
        await tx.CommitAsync(ct);
    }
}
