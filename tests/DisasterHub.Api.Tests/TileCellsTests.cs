using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using DisasterHub.Api.Tests.Infrastructure;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Low-zoom tiles of the live layers come from precomputed cells (tile_cells.sql): the merged layers' from tile_cell
/// (migration 0016), maintained in every transaction that writes merged_feature, the per-source layers' from
/// feature_tile_cell (0063), maintained in every transaction that writes feature. These tests push through the real
/// endpoint and compare both with a recomputation from scratch (hub_tile_cells_of), and read the tiles with GDAL.
/// </summary>
public sealed partial class tile_cells_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;

    public async Task InitializeAsync()
    {
        var settings = TestSettings.AddPrefecturePusher(new Dictionary<string, string?> { ["Hub:ExpirySeconds"] = "1" });
        TestSettings.AddPushSources(settings, 10, "tile cells", ("cap-push", "cap", "evacuation_orders"));
        _hub = await HubServer.StartAsync(settings, _clock);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    /// <summary>Shelters in 七尾市 (a grid west of the city centre, all inside the city).</summary>
    private static byte[] Shelters(IEnumerable<(string Id, double Lon, double Lat, long Evacuees)> shelters, string observedAt = "2026-11-22T11:00:00+09:00") =>
        Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[{{string.Join(",", shelters.Select(s =>
                $$"""{"id":"{{s.Id}}","name":"避難所{{s.Id}}","status":"開設","evacuees":{{s.Evacuees}},"lat":{{s.Lat.ToString("0.0000", CultureInfo.InvariantCulture)}},"lon":{{s.Lon.ToString("0.0000", CultureInfo.InvariantCulture)}}}"""))}}]}
            """);

    private Task Push(string source, string key, byte[] body, string contentType = "application/json") => _hub.PushOkAsync(source, key, body, contentType);

    /// <summary>
    /// The maintained cells differ from a recomputation from scratch in this many cells, merged and per-source ones
    /// as "merged/feature": a cell missing on either side, or with another count, severity, time, name or sum
    /// (coordinate sums to a millimetre: the order of a floating-point sum differs).
    /// </summary>
    private async Task<string> CellsOffBy() => $"{await CellsOffBy("tile_cell", "merged")}/{await CellsOffBy("feature_tile_cell", "feature")}";

    private Task<long> CellsOffBy(string cells, string kind) => _hub.Db.ScalarAsync($"""
        SELECT count(*)
        FROM {cells} t FULL JOIN hub_tile_cells_of(NULL, NULL, '{kind}') f
          ON (t.workspace, t.layer, t.classification, t.sources, t.cx, t.cy) = (f.workspace, f.layer, f.classification, f.sources, f.cx, f.cy)
        WHERE t.n IS NULL OR f.n IS NULL
           OR (t.n, t.max_severity, t.max_observed_at, t.name, t.evacuees, t.customers_out)
              IS DISTINCT FROM (f.n, f.max_severity, f.max_observed_at, f.name, f.evacuees, f.customers_out)
           OR abs(t.sx - f.sx) > 0.001 OR abs(t.sy - f.sy) > 0.001
        """);

    private const string NoneOff = "0/0";

    private Task<long> CellCount(string layer) => _hub.Db.ScalarAsync("SELECT coalesce(sum(n), 0)::bigint FROM tile_cell WHERE layer = @l", ("l", layer));

    /// <summary>Per MVT layer of a z5 tile over 七尾市 (merged, or one layer per source; read by GDAL): total point_count and total evacuees.</summary>
    private async Task<Dictionary<string, (long Points, long Evacuees)>> LowZoomTile(string query = "", string tiles = "merged", int z = 5)
    {
        var (x, y) = TestSettings.TileOf(136.93, 37.03, z);
        var r = await _hub.Http.GetAsync($"/tiles/{tiles}/{z}/{x}/{y}.mvt{query}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var info = await tiles_and_events_should.OgrInfoTile(await r.Content.ReadAsByteArrayAsync(), z, x, y);
        var totals = new Dictionary<string, (long Points, long Evacuees)>();
        foreach (var layerText in info.Split("Layer name: ").Skip(1))
        {
            var name = layerText[..layerText.IndexOf('\n', StringComparison.Ordinal)].Trim();
            long points = PointCount().Matches(layerText).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            long evacuees = EvacueesField().Matches(layerText).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            totals[name] = (points, evacuees);
        }
        return totals;
    }

    [GeneratedRegex(@"point_count \(Integer\) = (\d+)")]
    private static partial Regex PointCount();

    [GeneratedRegex(@"evacuees \(Integer(?:64)?\) = (\d+)")]
    private static partial Regex EvacueesField();

    /// <summary>
    /// hub_tile_point (tile_pt, and the request-time clustering) projects to web mercator with the spherical formula
    /// itself (migration 0056), not through PROJ: on a grid of points over the world and of polygons over Japan it
    /// gives what ST_Transform gives, to a micrometre, so cells, clusters and the tiles drawn from rows agree.
    /// </summary>
    [Fact]
    public async Task project_tile_points_as_postgis_transforms_them()
    {
        const string grid = """
            WITH g AS (
                SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
                FROM generate_series(-180, 180, 1.3) lon, generate_series(-85, 85, 1.1) lat
                UNION ALL
                SELECT ST_Buffer(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 0.05, 2)
                FROM generate_series(122.5, 154, 0.9) lon, generate_series(20.5, 46, 0.9) lat
            ), p AS (
                SELECT hub_tile_point(g) AS a,
                       ST_Transform(CASE WHEN GeometryType(g) = 'POINT' THEN g ELSE ST_PointOnSurface(g) END, 3857) AS b
                FROM g
            )
            """;
        Assert.Equal(42_935 + 1_044, await _hub.Db.ScalarAsync(grid + "SELECT count(*) FROM p"));
        Assert.Equal(0, await _hub.Db.ScalarAsync(grid + """
            SELECT count(*) FROM p
            WHERE ST_SRID(a) <> 3857 OR abs(ST_X(a) - ST_X(b)) > 1e-6 OR abs(ST_Y(a) - ST_Y(b)) > 1e-6
            """));
    }

    [Fact]
    public async Task keep_the_cells_equal_to_a_recomputation_through_pushes_moves_merges_and_expiry()
    {
        // 40 shelters over a few cells of the grid
        var grid = Enumerable.Range(0, 40).Select(i => ($"G{i}", 136.90 + (i % 8) * 0.01, 37.00 + (i / 8) * 0.01, (long)(10 + i))).ToList();
        await Push("nanao-status", _cityKey, Shelters(grid));
        Assert.Equal(40, await CellCount("shelters"));
        Assert.Equal(NoneOff, await CellsOffBy());
        var tile = await LowZoomTile();
        Assert.Equal((40L, grid.Sum(g => g.Item4)), tile["shelters"]);

        // one shelter moves into another cell and its count changes; another only changes its count
        var moved = grid.Select(g => g.Item1 == "G0" ? ("G0", 136.99, 37.06, 1000L) : g.Item1 == "G5" ? ("G5", g.Item2, g.Item3, 500L) : g).ToList();
        Assert.NotEqual(await Cell(136.90, 37.00), await Cell(136.99, 37.06));
        await Push("nanao-status", _cityKey, Shelters(moved, "2026-11-22T11:30:00+09:00"));
        Assert.Equal(NoneOff, await CellsOffBy());
        Assert.Equal((40L, moved.Sum(g => g.Item4)), (await LowZoomTile())["shelters"]);

        // the prefecture reports the same shelters (same ids in the same city: the same entities) and 5 new ones:
        // merged entities change their source sets, so their cells are recomputed under new keys
        var fromPref = grid.Take(10).Concat(Enumerable.Range(40, 5).Select(i => ($"G{i}", 136.905, 37.045 + i * 0.0001, 1L))).ToList();
        await Push("pref-status", _prefKey, Shelters(fromPref, "2026-11-22T11:45:00+09:00"));
        Assert.Equal(NoneOff, await CellsOffBy());
        var merged = await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE layer = 'shelters' AND workspace = 'live'");
        Assert.Equal(merged, await CellCount("shelters"));
        Assert.Equal(merged, (await LowZoomTile())["shelters"].Points);
        // the per-source layer counts every source's report: the ten shelters both sent twice
        Assert.Equal(merged + 10, (await LowZoomTile(tiles: "shelters"))["shelters"].Points);
        Assert.Equal(merged + 10, await _hub.Db.ScalarAsync("SELECT coalesce(sum(n), 0)::bigint FROM feature_tile_cell WHERE layer = 'shelters'"));

        // an alert with an end of validity is not in the cells; the tile adds it while it is valid, and drops it after
        await Push("cap-push", _cityKey, TestDocuments.Cap("CELL-EXP", "期限付きの避難指示", expires: "2026-11-22T13:00:00+09:00"), "application/xml");
        Assert.Equal(0, await CellCount("evacuation_orders"));
        Assert.Equal(1, (await LowZoomTile())["evacuation_orders"].Points);
        _clock.Advance(TimeSpan.FromHours(2)); // 05:00Z: past 04:00Z
        for (var i = 0; i < 50 && (await LowZoomTile("?t=" + i)).ContainsKey("evacuation_orders"); i++) await Task.Delay(100);
        Assert.False((await LowZoomTile("?after=expiry")).ContainsKey("evacuation_orders"));
        Assert.Equal(NoneOff, await CellsOffBy());
    }

    /// <summary>
    /// Rows a transaction only adds to a cell, changed rows the cell can absorb and groups removed whole are applied to
    /// the cell (migration 0058); a cell whose rows the same transaction also changed otherwise is recomputed, with the
    /// added rows counted once.
    /// </summary>
    [Fact]
    public async Task count_rows_added_beside_changed_ones_in_the_same_cell_once()
    {
        var grid = Enumerable.Range(0, 20).Select(i => ($"A{i}", 136.90 + (i % 5) * 0.002, 37.00 + (i / 5) * 0.002, (long)(10 + i))).ToList();
        await Push("nanao-status", _cityKey, Shelters(grid));
        // cells first holding only added rows, then one document: every shelter's count changes, 10 new ones in between
        var added = Enumerable.Range(0, 10).Select(i => ($"B{i}", 136.901 + (i % 5) * 0.002, 37.001 + (i / 5) * 0.002, 7L)).ToList();
        Assert.Equal(await Cell(136.90, 37.00), await Cell(136.901, 37.001));
        var changed = grid.Select(g => (g.Item1, g.Item2, g.Item3, g.Item4 + 100)).Concat(added).ToList();
        await Push("nanao-status", _cityKey, Shelters(changed, "2026-11-22T11:30:00+09:00"));
        Assert.Equal(30, await CellCount("shelters"));
        Assert.Equal(NoneOff, await CellsOffBy());
        Assert.Equal((30L, changed.Sum(g => g.Item4)), (await LowZoomTile())["shelters"]);
        // a later document that only adds: its rows go onto the cells as they are
        await Push("pref-status", _prefKey, Shelters([("C1", 136.9005, 37.0005, 3L), ("C2", 136.9015, 37.0015, 4L)]));
        Assert.Equal(32, await CellCount("shelters"));
        Assert.Equal(NoneOff, await CellsOffBy());

        // changed rows whose new values only add to their cell (counts up, later observation) are added as they are;
        // a row whose cell cannot absorb it is recomputed: the cell's least name renamed away, a count no longer reported
        await Push("nanao-status", _cityKey, Shelters(changed.Select(g => (g.Item1, g.Item2, g.Item3, g.Item4 + 1)), "2026-11-22T12:00:00+09:00"));
        Assert.Equal(NoneOff, await CellsOffBy());
        Assert.Equal("避難所A0", (await _hub.Db.RowsAsync("SELECT name FROM tile_cell WHERE cx * 4096 + cy = @c AND sources = '{nanao-status}'",
            ("c", await Cell(136.90, 37.00)))).Single()[0]);
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("nanao-status", _cityKey, Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T12:30:00+09:00","shelters":[
              {"id":"A0","name":"避難所Z","status":"開設","evacuees":111,"lat":37.0000,"lon":136.9000}]}
            """));
        Assert.Equal(NoneOff, await CellsOffBy());
        await Push("nanao-status", _cityKey, Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T12:45:00+09:00","shelters":[
              {"id":"A1","name":"避難所A1","status":"開設","lat":37.0000,"lon":136.9020}]}
            """));
        Assert.Equal(NoneOff, await CellsOffBy());
        Assert.Equal(30 + 2, await CellCount("shelters"));

        // the same, by whatever statement writes the merged layer (here a shelter's name is its key, so renames,
        // lowered severities and earlier observations are written directly): each cell's least name renamed away,
        // its highest severity lowered, its newest observation (the renamed 避難所A1's) made older
        string[] statements =
        [
            "UPDATE merged_feature SET name = '避難所ZZ' WHERE name = (SELECT min(name) FROM merged_feature WHERE sources = '{nanao-status}')",
            "UPDATE merged_feature SET severity = 3 WHERE name = '避難所A3'",
            "UPDATE merged_feature SET severity = 1 WHERE name = '避難所A3'",
            "UPDATE merged_feature SET severity = NULL WHERE name = '避難所A3'",
            "UPDATE merged_feature SET observed_at = observed_at - interval '2 hours' WHERE name = '避難所ZZ'",
            // removed: some of a cell's rows of a source (recomputed), then all of a source's rows in the cell (dropped)
            "DELETE FROM merged_feature WHERE name = '避難所A5'",
            "DELETE FROM merged_feature WHERE sources = '{pref-status}'",
            // and by whatever statement writes a source's features (the per-source cells, migration 0063)
            "UPDATE feature SET name = '避難所ZZ' WHERE name = (SELECT min(name) FROM feature WHERE source_id = 'nanao-status')",
            "UPDATE feature SET severity = 3 WHERE name = '避難所A3'",
            "UPDATE feature SET severity = 1 WHERE name = '避難所A3'",
            "UPDATE feature SET observed_at = observed_at - interval '2 hours' WHERE name = '避難所ZZ'",
            "UPDATE feature SET geom = ST_SetSRID(ST_MakePoint(136.95, 37.05), 4326) WHERE name = '避難所A7'",
            "DELETE FROM feature WHERE name = '避難所A5'",
            "DELETE FROM feature WHERE source_id = 'pref-status'",
        ];
        foreach (var sql in statements)
        {
            await _hub.Db.ScalarAsync(sql);
            Assert.Equal(NoneOff, await CellsOffBy());
        }
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM tile_cell WHERE sources = '{pref-status}'"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_tile_cell WHERE sources = '{pref-status}'"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT (SELECT count(*) FROM tile_cell_added) + (SELECT count(*) FROM tile_cell_removed) + (SELECT count(*) FROM tile_cell_dirty)"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT (SELECT count(*) FROM feature_tile_cell_added) + (SELECT count(*) FROM feature_tile_cell_removed) + (SELECT count(*) FROM feature_tile_cell_dirty)"));
    }

    /// <summary>
    /// A layer's per-source tiles below the cluster zoom read its cells, not its rows (migration 0063): at 1,000,000
    /// features clustering the rows took 4–10 s a tile. The cells are changed behind the hub's back here, and the tile
    /// must show it.
    /// </summary>
    [Fact]
    public async Task draw_a_layers_per_source_tiles_below_the_cluster_zoom_from_its_cells()
    {
        var grid = Enumerable.Range(0, 12).Select(i => ($"D{i}", 136.90 + (i % 4) * 0.01, 37.00 + (i / 4) * 0.01, 5L)).ToList();
        await Push("nanao-status", _cityKey, Shelters(grid));
        Assert.Equal((12L, 60L), (await LowZoomTile(tiles: "shelters"))["shelters"]);
        await _hub.Db.ScalarAsync("UPDATE feature_tile_cell SET n = n * 10, evacuees = evacuees * 10, sx = sx * 10, sy = sy * 10");
        // a tile not drawn (so not cached) before
        Assert.Equal((120L, 600L), (await LowZoomTile(tiles: "shelters", z: 4))["shelters"]);
        Assert.Equal((12L, 60L), (await LowZoomTile(z: 4))["shelters"]);   // the merged tile has its own cells
    }

    /// <summary>
    /// A per-source cell recomputed at commit finds its rows through feature's index on the cell of
    /// hub_tile_point(geom) (migration 0063), in every partition: feature stores no tile point, and a scan of a
    /// national source's partition per commit would cost a second or more. The refresh's own plan, from auto_explain.
    /// </summary>
    [Fact]
    public async Task recompute_a_per_source_cell_through_the_index_on_its_rows_cell()
    {
        var grid = Enumerable.Range(0, 12).Select(i => ($"E{i}", 136.90 + (i % 4) * 0.01, 37.00 + (i / 4) * 0.01, 5L)).ToList();
        await Push("nanao-status", _cityKey, Shelters(grid));
        await using var conn = new NpgsqlConnection(_hub.Db.ConnectionString);
        await conn.OpenAsync();
        var plans = new List<string>();
        conn.Notice += (_, e) => { lock (plans) plans.Add(e.Notice.MessageText); };
        foreach (var sql in (string[])[
            "LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_level = notice", "SET client_min_messages = notice", "SET enable_seqscan = on",
            // a move: the cells it leaves and enters are recomputed from their rows at commit
            "UPDATE feature SET geom = ST_SetSRID(ST_MakePoint(136.97, 37.06), 4326) WHERE name = '避難所E0'"])
        {
            await using var c = new NpgsqlCommand(sql, conn);
            await c.ExecuteNonQueryAsync();
        }
        var recompute = plans.Single(p => Regex.IsMatch(p, @"Query Text:\s+INSERT INTO feature_tile_cell\s+SELECT m\.workspace"));
        Assert.Contains("Index Scan using feature_", recompute);
        Assert.DoesNotContain("Seq Scan on feature_", recompute);
        Assert.Equal(NoneOff, await CellsOffBy());
    }

    [Fact]
    public async Task stay_equal_to_a_recomputation_when_two_organizations_push_into_the_same_cells_at_once()
    {
        var pushes = Enumerable.Range(0, 12).Select(round => (Func<Task>)(async () =>
        {
            var city = Enumerable.Range(0, 15).Select(i => ($"C{round}-{i}", 136.90 + (i % 5) * 0.004, 37.00 + (i / 5) * 0.004, (long)i)).ToList();
            var pref = Enumerable.Range(0, 15).Select(i => ($"P{round}-{i}", 136.902 + (i % 5) * 0.004, 37.002 + (i / 5) * 0.004, (long)i)).ToList();
            await Task.WhenAll(Push("nanao-status", _cityKey, Shelters(city)), Push("pref-status", _prefKey, Shelters(pref)));
        })).ToList();
        foreach (var pair in pushes.Chunk(3)) await Task.WhenAll(pair.Select(p => p()));
        Assert.Equal(360, await CellCount("shelters"));
        Assert.Equal(NoneOff, await CellsOffBy());
        Assert.Equal(360, (await LowZoomTile())["shelters"].Points);
        Assert.Equal(360, (await LowZoomTile(tiles: "shelters"))["shelters"].Points);
    }

    private Task<long> Cell(double lon, double lat) => _hub.Db.ScalarAsync(
        "SELECT hub_tile_cell_x(p) * 4096 + hub_tile_cell_y(p) FROM hub_tile_point(ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)) p",
        ("lon", lon), ("lat", lat));

}
