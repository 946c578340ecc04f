using System.Net;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 §5, the bulk path (migrations 0050, 0060): a source's large first load goes into a fresh table whose
/// indexes are built after the rows are in, attached as the source's own partition of feature in the ingest's
/// transaction. Later ingests of the source upsert into that partition.
/// </summary>
public sealed class first_load_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;

    public async Task InitializeAsync()
    {
        // every first load takes the bulk path here (by default only one of Hub:OwnPartitionFromRows rows or more)
        _hub = await HubServer.StartAsync(TestSettings.AddPrefecturePusher(new() { ["Hub:OwnPartitionFromRows"] = "1" }));
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Doc(string prefix, int count, int evacuees = 5) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', Enumerable.Range(0, count).Select(i =>
            $$$"""{"id":"{{{prefix}}}{{{i}}}","name":"初回試験{{{prefix}}}{{{i}}}","status":"開設","evacuees":{{{evacuees}}},"lat":{{{37.0 + i * 0.001:0.000}}},"lon":136.95}"""))}}]}""");

    private Task Push(string source, string key, byte[] doc) => _hub.PushOkAsync(source, key, doc);

    private Task<long> Scalar(string sql, string source) => _hub.Db.ScalarAsync(sql, ("s", source));

    [Fact]
    public async Task load_a_source_into_its_own_indexed_partition_and_upsert_into_it_afterwards()
    {
        const string partition = "to_regclass(hub_feature_partition(@s))";
        Assert.Equal(0L, await Scalar($"SELECT count(*) FROM (SELECT {partition} AS p) x WHERE p IS NOT NULL", "nanao-status"));

        await Push("nanao-status", _cityKey, Doc("F", 30));
        // the source's partition, attached, holding its rows, with every index feature has, and nothing left behind
        Assert.Equal(1L, await Scalar($"SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature'::regclass AND inhrelid = {partition}", "nanao-status"));
        Assert.Equal(30L, await Scalar($"SELECT count(*) FROM feature WHERE source_id = @s AND tableoid = {partition}", "nanao-status"));
        Assert.Equal(
            await Scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'feature'::regclass", "nanao-status"),
            await Scalar($"SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid WHERE i.indrelid = {partition}", "nanao-status"));
        Assert.Equal(0L, await Scalar($"SELECT count(*) FROM pg_constraint WHERE conrelid = {partition} AND conname = 'feature_load_source'", "nanao-status"));
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM pg_class WHERE relname = 'feature_load' AND @s <> ''", "nanao-status"));
        Assert.Equal(30L, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '初回試験F%' AND @s <> ''", "nanao-status"));
        // the merged rows too (migration 0061): the source's own partition of merged_feature, every index built, the
        // cells as a recomputation from the rows gives them
        const string merged = "to_regclass(hub_merged_partition(@s))";
        Assert.Equal(1L, await Scalar($"SELECT count(*) FROM pg_inherits WHERE inhparent = 'merged_feature'::regclass AND inhrelid = {merged}", "nanao-status"));
        Assert.Equal(30L, await Scalar($"SELECT count(*) FROM merged_feature WHERE tableoid = {merged} AND part = @s", "nanao-status"));
        Assert.Equal(
            await Scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'merged_feature'::regclass", "nanao-status"),
            await Scalar($"SELECT count(*) FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indexrelid WHERE i.indrelid = {merged}", "nanao-status"));
        Assert.Equal(0L, await Scalar($"SELECT count(*) FROM pg_constraint WHERE conrelid = {merged} AND conname = 'merged_load_source'", "nanao-status"));
        Assert.Equal(0L, await Scalar($"SELECT count(*) FROM pg_trigger WHERE tgrelid = {merged} AND NOT tgisinternal", "nanao-status"));
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM pg_class WHERE relname = 'merged_load' AND @s <> ''", "nanao-status"));
        Assert.Equal(30L, await Scalar("SELECT coalesce(sum(n), 0) FROM tile_cell WHERE sources = ARRAY[@s]", "nanao-status"));
        Assert.Equal(0L, await Scalar(CellsDiffer, "nanao-status"));
        // and the per-source cells of its features, noted from feature_load before the attach (migration 0063)
        Assert.Equal(30L, await Scalar("SELECT coalesce(sum(n), 0) FROM feature_tile_cell WHERE sources = ARRAY[@s]", "nanao-status"));
        Assert.Equal(0L, await Scalar(FeatureCellsDiffer, "nanao-status"));

        // the next document of the source: upserted into the same partition (one state changed, one added)
        await Push("nanao-status", _cityKey, Doc("F", 31, evacuees: 6));
        Assert.Equal(31L, await Scalar($"SELECT count(*) FROM feature WHERE source_id = @s AND tableoid = {partition}", "nanao-status"));
        Assert.Equal(30L, await Scalar("SELECT count(*) FROM feature_past WHERE source_id = @s", "nanao-status"));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature'::regclass AND inhrelid <> 'feature_shared'::regclass AND @s <> ''", "nanao-status"));
        // its merged rows changed where they are (a second version each); the new entity went to the shared partition
        Assert.Equal(30L, await Scalar("SELECT count(*) FROM merged_feature WHERE part = @s AND version = 2 AND attrs ->> 'evacuees' = '6'", "nanao-status"));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM merged_feature WHERE part = '' AND name = '初回試験F30' AND @s <> ''", "nanao-status"));
        Assert.Equal(30L, await Scalar("SELECT count(*) FROM merged_feature_past WHERE name LIKE '初回試験F%' AND @s <> ''", "nanao-status"));
        Assert.Equal(0L, await Scalar(CellsDiffer, "nanao-status"));
        Assert.Equal(0L, await Scalar(FeatureCellsDiffer, "nanao-status"));
    }

    /// <summary>The cells of the shelter layer that differ from a recomputation from merged_feature's rows.</summary>
    private const string CellsDiffer = """
        SELECT count(*) FROM (
            (SELECT workspace, layer, classification, sources, cx, cy, n, max_severity, evacuees FROM tile_cell WHERE layer = 'shelters'
             EXCEPT SELECT workspace, layer, classification, sources, cx, cy, n, max_severity, evacuees FROM hub_tile_cells_of('live', 'shelters'))
            UNION ALL
            (SELECT workspace, layer, classification, sources, cx, cy, n, max_severity, evacuees FROM hub_tile_cells_of('live', 'shelters')
             EXCEPT SELECT workspace, layer, classification, sources, cx, cy, n, max_severity, evacuees FROM tile_cell WHERE layer = 'shelters')) d
        WHERE @s <> ''
        """;

    /// <summary>The same for the per-source cells (feature_tile_cell) against a recomputation from feature's rows.</summary>
    private static readonly string FeatureCellsDiffer = CellsDiffer.Replace("FROM tile_cell", "FROM feature_tile_cell", StringComparison.Ordinal)
        .Replace("hub_tile_cells_of('live', 'shelters')", "hub_tile_cells_of('live', 'shelters', 'feature')", StringComparison.Ordinal);

    /// <summary>
    /// An entity that a first load put in its source's partition of merged_feature stays there when another source
    /// reports it too: one merged row, merged from both, its earlier state in the history.
    /// </summary>
    [Fact]
    public async Task merge_another_sources_report_of_an_entity_into_the_row_its_first_load_made()
    {
        await Push("nanao-status", _cityKey, Doc("M", 40));
        await Push("pref-status", _prefKey, Doc("M", 1, evacuees: 9)); // the same first shelter, by name
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM merged_feature WHERE name = '初回試験M0' AND @s <> ''", "-"));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM merged_feature WHERE name = '初回試験M0' AND part = @s AND cardinality(sources) = 2 AND version = 2", "nanao-status"));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM merged_feature_past WHERE name = '初回試験M0' AND sources = ARRAY[@s]", "nanao-status"));
        Assert.Equal(0L, await Scalar(CellsDiffer, "-"));
    }

    /// <summary>
    /// A first load that creates its source's partition of merged_feature waits for every merge of the same layer in
    /// progress (hub_merged_lock, migration 0061): a merge that has not committed may have created an entity the load
    /// also has, which the load must then find, not create again in its own partition. Merges of other sources do not
    /// wait for each other.
    /// </summary>
    [Fact]
    public async Task wait_with_a_first_load_of_the_merged_layer_for_the_merges_in_progress()
    {
        await using var conn = new Npgsql.NpgsqlConnection(_hub.Db.ConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        await using (var c = new Npgsql.NpgsqlCommand("SELECT hub_merged_lock('live', ARRAY['shelters'], false)", conn, tx))
            await c.ExecuteNonQueryAsync(); // as a merge in progress holds it

        var load = Push("nanao-status", _cityKey, Doc("W", 20));
        await Task.Delay(1500);
        Assert.False(load.IsCompleted, "the first load did not wait for the merge in progress");
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '初回試験W%' AND @s <> ''", "-"));
        await tx.CommitAsync();
        await load.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(20L, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '初回試験W%' AND part = @s", "nanao-status"));

        // a merge that is not a first load shares the lock: it goes on beside another holder
        tx = await conn.BeginTransactionAsync();
        await using (var c = new Npgsql.NpgsqlCommand("SELECT hub_merged_lock('live', ARRAY['shelters'], false)", conn, tx))
            await c.ExecuteNonQueryAsync();
        await Push("nanao-status", _cityKey, Doc("W", 21)).WaitAsync(TimeSpan.FromSeconds(30));
        await tx.RollbackAsync();
    }

    /// <summary>
    /// A source's partition leaves half of each page free (migration 0057), so a re-publication with every record
    /// changed writes each new state beside the old one on its page (a heap-only update: no index entry written).
    /// With full pages every changed row moves to another page.
    /// </summary>
    [Fact]
    public async Task keep_each_changed_state_on_its_rows_page()
    {
        await Push("nanao-status", _cityKey, Doc("H", 150));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM pg_class WHERE oid = to_regclass(hub_feature_partition(@s)) AND 'fillfactor=50' = ANY (reloptions)", "nanao-status"));
        const string pages = "SELECT source_key, (ctid::text::point)[0] FROM feature WHERE source_id = @s";
        var before = (await _hub.Db.RowsAsync(pages, ("s", "nanao-status"))).ToDictionary(r => (string)r[0]!, r => (double)r[1]!);

        await Push("nanao-status", _cityKey, Doc("H", 150, evacuees: 7)); // every record changed
        Assert.Equal(150L, await Scalar("SELECT count(*) FROM feature_past WHERE source_id = @s", "nanao-status"));
        var after = await _hub.Db.RowsAsync(pages, ("s", "nanao-status"));
        Assert.Equal(150, after.Count);
        var moved = after.Count(r => before[(string)r[0]!] != (double)r[1]!);
        Assert.True(moved <= 7, $"{moved} of 150 changed rows moved to another page");
    }

    /// <summary>
    /// A first load writes its rows in spatial order (IngestStore.SpatialKey), not the document's: a tile's rows then
    /// lie on a run of pages. At 1,000,000 features the densest z9 tile read its 68,000 rows from 46,000 pages before.
    /// Here a document alternates between the north and the south of 七尾市 (0.12° apart: other tiles from z7 on),
    /// and each partition, read in its physical order, changes between them once.
    /// </summary>
    [Fact]
    public async Task write_a_first_loads_rows_in_spatial_order_in_both_partitions()
    {
        var doc = Encoding.UTF8.GetBytes(
            $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', Enumerable.Range(0, 60).Select(i =>
                $$$"""{"id":"S{{{i}}}","name":"順序{{{i}}}","status":"開設","lat":{{{(i % 2 == 0 ? 37.00 : 37.12) + i * 0.0001:0.0000}}},"lon":136.95}"""))}}]}""");
        await Push("nanao-status", _cityKey, doc);
        foreach (var table in new[] { "feature", "merged_feature" })
        {
            Assert.Equal(60L, await Scalar($"SELECT count(*) FROM {table} WHERE part = @s", "nanao-status"));
            Assert.Equal(1L, await Scalar($"""
                SELECT count(*) FROM (SELECT north, lag(north) OVER (ORDER BY ctid) AS before
                                      FROM (SELECT ctid, ST_Y(geom) > 37.06 AS north FROM {table} WHERE part = @s) r) t
                WHERE north <> before
                """, "nanao-status"));
        }
    }

    /// <summary>The key's cell is the cell the tile cells put the row in (hub_tile_cell_x/_y of hub_tile_point).</summary>
    [Theory]
    [InlineData("POINT(136.95 37.05)")]
    [InlineData("POINT(139.7671 35.6812)")]
    [InlineData("POINT(-179.99 -84.9)")]
    [InlineData("POINT(127.6809 26.2124)")]
    [InlineData("POLYGON((136.90 37.00, 137.00 37.00, 137.00 37.10, 136.90 37.10, 136.90 37.00))")]
    public async Task order_a_first_load_on_the_tile_cells_grid(string wkt)
    {
        var key = DisasterHub.Data.IngestStore.SpatialKey(new NetTopologySuite.IO.WKTReader().Read(wkt));
        static long Compact(int k, int shift)
        {
            var v = 0L;
            for (var b = 0; b < 12; b++) v |= (long)((k >> (2 * b + shift)) & 1) << b;
            return v;
        }
        // the key interleaves the cell's x (even bits) and y (odd bits)
        const string centre = "ST_SetSRID(ST_Centroid(ST_Envelope(ST_GeomFromText(@s))), 4326)";
        Assert.Equal(await Scalar($"SELECT hub_tile_cell_x(hub_tile_point({centre}))", wkt), Compact(key, 0));
        Assert.Equal(await Scalar($"SELECT hub_tile_cell_y(hub_tile_point({centre}))", wkt), Compact(key, 1));
    }

    /// <summary>Shelters of 七尾市 on a 40 × 40 grid, named by <paramref name="name"/> (a shared name is a shared entity).</summary>
    private static byte[] Grid(IEnumerable<int> ids, Func<int, string> name) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', ids.Select(i =>
            $$$"""{"id":"G{{{i}}}","name":"{{{name(i)}}}","status":"開設","evacuees":{{{i % 7}}},"lat":{{{37.0 + i / 40 * 0.001:0.000}}},"lon":{{{136.93 + i % 40 * 0.001:0.000}}}}"""))}}]}""");

    /// <summary>
    /// From <see cref="DisasterHub.Data.IngestTransaction.MergeKeysTableFrom"/> records on, the merge reads the touched
    /// entities from an analyzed temporary table (below, a subquery): a national first load and the withdrawal of a
    /// source that shares entities with another keep single and shared entities apart the same way.
    /// </summary>
    [Fact]
    public async Task merge_and_withdraw_a_source_of_many_records_beside_a_source_it_shares_entities_with()
    {
        var n = DisasterHub.Data.IngestTransaction.MergeKeysTableFrom + 200;
        await Push("nanao-status", _cityKey, Grid(Enumerable.Range(0, n), i => $"格子{i}"));
        // the prefecture reports 100 of the same shelters (same names: the same entities) and 1,100 of its own
        await Push("pref-status", _prefKey, Grid(Enumerable.Range(n - 100, n), i => $"格子{i}"));
        Assert.Equal(2L * n - 100, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '格子%' AND @s <> ''", "-"));
        Assert.Equal(100L, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '格子%' AND cardinality(sources) = 2 AND @s <> ''", "-"));

        using var admin = _hub.ClientFor(await _hub.CreateKeyAsync("ops", "admin"));
        var r = await admin.PostAsync("/api/v1/sources/nanao-status/withdraw", null);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        // the city's own entities left the merged layer; the shared ones stay, from the prefecture alone
        Assert.Equal((long)n, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '格子%' AND @s <> ''", "-"));
        Assert.Equal((long)n, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '格子%' AND sources = ARRAY[@s]", "pref-status"));
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM pg_class WHERE relname = 'merge_keys' AND @s <> ''", "-"));
    }

    [Fact]
    public async Task let_concurrent_first_loads_wait_for_each_other_and_lose_nothing()
    {
        // two first loads of one source and one of another at once: one creates the source's partition, the other
        // finds it under the first-load lock and upserts; nothing is refused and every row is there
        await Task.WhenAll(
            Push("nanao-status", _cityKey, Doc("A", 20)),
            Push("nanao-status", _cityKey, Doc("B", 20)),
            Push("pref-status", _prefKey, Doc("P", 20)));
        Assert.Equal(40L, await Scalar("SELECT count(*) FROM feature WHERE source_id = @s", "nanao-status"));
        Assert.Equal(20L, await Scalar("SELECT count(*) FROM feature WHERE source_id = @s", "pref-status"));
        Assert.Equal(2L, await Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature'::regclass AND inhrelid <> 'feature_shared'::regclass AND @s <> ''", "nanao-status"));
    }
}
