using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;
using DisasterHub.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Low-zoom tiles come from the precomputed cells (tile_cells.sql) maintained in the writing transaction: the merged
/// tiles from tile_cell, each layer's per-source tiles from feature_tile_cell (migration 0063). Here every z0–z8 tile
/// over the test city, merged and of each layer, fetched over HTTP by an anonymous and a restricted caller, must carry exactly
/// the clusters the request-time computation (tile.sql over the rows the caller may see) gives at that moment:
/// the same counts, highest severities, newest times, names, sums, staleness, hidden attributes and points, through
/// pushes, updates, a second source merging in, an alert with a validity end, its cancellation, its expiry, and an
/// exercise routed to a drill workspace. The HTTP tiles also go through the tile cache, so a stale cached tile fails
/// the comparison as well.
/// </summary>
public sealed class cluster_cells_should : IAsyncLifetime
{
    private const double Lon = 136.94, Lat = 37.03;
    private const string Drill = "cells-drill";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;
    private string _restrictedKey = null!;

    public async Task InitializeAsync()
    {
        var settings = TestSettings.AddPrefecturePusher(new Dictionary<string, string?>
        {
            ["Hub:ExpirySeconds"] = "1",
            // evacuation orders only for restricted callers; shelters' evacuee counts only from responders up
            [$"Hub:Classification:Layers:{Layers.EvacuationOrders}"] = Classifications.Restricted,
            [$"Hub:Classification:Attributes:{Layers.Shelters}:evacuees"] = Classifications.Responders,
            ["Hub:Sources:10:ExerciseWorkspace"] = Drill,
        });
        TestSettings.AddPushSources(settings, 10, "cluster cells", ("cells-cap", "cap", Layers.EvacuationOrders),
            ("cells-geo", "shelters.geojson", Layers.Shelters), ("cells-kanazawa", "shelters.geojson", Layers.Shelters),
            ("cells-damage", "damage.geojson", Layers.Damage));
        // the prefecture's own: 金沢市 is outside the city's jurisdiction
        settings["Hub:Sources:12:OwnerOrg"] = settings["Hub:Sources:13:OwnerOrg"] = "ishikawa-pref";
        _hub = await HubServer.StartAsync(settings, _clock);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters", "push:damage");
        _restrictedKey = await _hub.CreateKeyAsync("hub-operator", "read:restricted");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Shelters(IEnumerable<(string Id, double Lon, double Lat, long Evacuees, string Status)> shelters, string observedAt) =>
        Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[{{string.Join(",", shelters.Select(s =>
                $$"""{"id":"{{s.Id}}","name":"避難所{{s.Id}}","status":"{{s.Status}}","evacuees":{{s.Evacuees}},"lat":{{s.Lat.ToString("0.0000", CultureInfo.InvariantCulture)}},"lon":{{s.Lon.ToString("0.0000", CultureInfo.InvariantCulture)}}}"""))}}]}
            """);

    private static byte[] CapCancel(string id, string cancels) => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>{id}</identifier><sender>nanao-city</sender><sent>2026-11-22T11:40:00+09:00</sent>
          <status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
          <references>nanao-city,{cancels},2026-11-22T11:00:00+09:00</references>
          <info><category>Geo</category><event>避難指示</event><urgency>Immediate</urgency><severity>Severe</severity>
            <certainty>Observed</certainty><headline>避難指示 解除</headline>
            <area><areaDesc>七尾市</areaDesc>
              <polygon>37.03,136.94 37.03,136.98 37.07,136.98 37.07,136.94 37.03,136.94</polygon>
              <geocode><valueName>JIS X 0402</valueName><value>172022</value></geocode></area></info>
        </alert>
        """);

    private async Task Push(string source, string key, byte[] body, string contentType = "application/json")
    {
        var r = await _hub.PushAsync(source, key, body, contentType);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK && !text.Contains("\"accepted\":0", StringComparison.Ordinal), text);
    }

    private (string Name, string? Token, string Level)[] Callers => [("anonymous", null, Classifications.Public), ("restricted", _restrictedKey, Classifications.Restricted)];

    /// <summary>The merged tile, or one layer's per-source tile, over HTTP (cells below the cluster zoom) as the caller gets it.</summary>
    private async Task<byte[]> Served(string? token, int z, int x, int y, string workspace, string tiles = "merged")
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/tiles/{tiles}/{z}/{x}/{y}.mvt" + (workspace == "live" ? "" : $"?workspace={workspace}"));
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var r = await _hub.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The same tile clustered at request time from the rows the caller may see (tile.sql), the reference.</summary>
    private Task<byte[]> RequestTime(string level, int z, int x, int y, string workspace, string tiles = "merged")
    {
        var services = _hub.App.Services;
        var scope = new ReadScope(tiles == "merged" ? RowSet.Merged : RowSet.Features,
            tiles == "merged" ? [.. services.GetRequiredService<LayerCatalogue>().Ids] : [tiles], workspace,
            services.GetRequiredService<ClassificationPolicy>().ClearanceUpTo(level), _clock.GetUtcNow());
        Assert.True(TileQueries.FromCells(scope, z));
        return services.GetRequiredService<TileQueries>().TileAsync(scope, z, x, y, fromCells: false, CancellationToken.None);
    }

    /// <summary>A feature as comparable text: its properties in key order, then its point.</summary>
    private static (string Props, int X, int Y) Canonical(MvtFeature f) => (
        string.Join(";", f.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + Convert.ToString(p.Value, CultureInfo.InvariantCulture))),
        f.Vertices.Single().X, f.Vertices.Single().Y);

    /// <summary>
    /// Differences between the served and the request-time tiles at z0–z8 over the city, merged and per source (shelters,
    /// evacuation orders), for both callers (empty: none).
    /// Points may differ by one tile unit: the two sum the same coordinates in another order.
    /// </summary>
    private async Task<List<string>> Differences(string workspace = "live")
    {
        var diffs = new List<string>();
        foreach (var (caller, token, level) in Callers)
        foreach (var tiles in (string[])["merged", Layers.Shelters, Layers.EvacuationOrders])
            for (var z = 0; z < TileQueries.ClusterBelowZoom; z++)
            {
                var (x, y) = TestSettings.TileOf(Lon, Lat, z);
                var served = MvtReader.Read(await Served(token, z, x, y, workspace, tiles));
                var reference = MvtReader.Read(await RequestTime(level, z, x, y, workspace, tiles));
                var at = $"{caller} {workspace} {tiles} {z}/{x}/{y}";
                if (!served.Select(l => l.Name).Order().SequenceEqual(reference.Select(l => l.Name).Order()))
                    diffs.Add($"{at}: layers {string.Join(",", served.Select(l => l.Name))} vs {string.Join(",", reference.Select(l => l.Name))}");
                foreach (var layer in reference)
                {
                    var mine = served.FirstOrDefault(l => l.Name == layer.Name);
                    if (mine is null) continue;
                    var a = mine.Items.Select(Canonical).OrderBy(f => f.Props, StringComparer.Ordinal).ThenBy(f => f.X).ThenBy(f => f.Y).ToList();
                    var b = layer.Items.Select(Canonical).OrderBy(f => f.Props, StringComparer.Ordinal).ThenBy(f => f.X).ThenBy(f => f.Y).ToList();
                    if (a.Count != b.Count || a.Zip(b).Any(p => p.First.Props != p.Second.Props || Math.Abs(p.First.X - p.Second.X) > 1 || Math.Abs(p.First.Y - p.Second.Y) > 1))
                        diffs.Add($"{at} {layer.Name}:\n  served   {string.Join("\n           ", a)}\n  expected {string.Join("\n           ", b)}");
                }
            }
        return diffs;
    }

    private async Task AssertSame(string step, string workspace = "live")
    {
        var diffs = await Differences(workspace);
        Assert.True(diffs.Count == 0, $"after {step}:\n{string.Join("\n", diffs)}");
    }

    /// <summary>Per layer of the served z5 tile: total point_count and total evacuees (null when no cluster carries the key).</summary>
    private async Task<Dictionary<string, (long Points, long? Evacuees)>> Totals(string? token, string workspace = "live")
    {
        var (x, y) = TestSettings.TileOf(Lon, Lat, 5);
        return MvtReader.Read(await Served(token, 5, x, y, workspace)).ToDictionary(l => l.Name, l => (
            l.Items.Sum(f => Convert.ToInt64(f.Properties["point_count"], CultureInfo.InvariantCulture)),
            l.Items.Any(f => f.Properties.ContainsKey("evacuees"))
                ? l.Items.Sum(f => f.Properties.TryGetValue("evacuees", out var e) ? Convert.ToInt64(e, CultureInfo.InvariantCulture) : 0)
                : (long?)null));
    }

    private Task<long> Cell(double lon, double lat) => _hub.Db.ScalarAsync(
        "SELECT hub_tile_cell_x(p) * 4096 + hub_tile_cell_y(p) FROM hub_tile_point(ST_SetSRID(ST_MakePoint(@lon, @lat), 4326)) p",
        ("lon", lon), ("lat", lat));

    [Fact]
    public async Task give_the_clusters_of_the_request_time_computation_through_pushes_updates_withdrawals_and_expiry()
    {
        // 48 shelters over a few cells of the z8 grid, two of them closed
        var grid = Enumerable.Range(0, 48).Select(i => ($"K{i}", 136.90 + (i % 8) * 0.0125, 37.00 + (i / 8) * 0.01, (long)(10 + i), i % 17 == 3 ? "閉鎖" : "開設")).ToList();
        await Push("nanao-status", _cityKey, Shelters(grid, "2026-11-22T11:00:00+09:00"));
        await AssertSame("the first push");
        Assert.Equal((48L, (long?)null), (await Totals(null))[Layers.Shelters]);            // evacuees hidden from the public
        Assert.Equal((48L, grid.Sum(g => g.Item4)), (await Totals(_restrictedKey))[Layers.Shelters]);

        // updates: one shelter moves to another cell (nothing else changes in the cell it leaves), one changes its
        // count, one closes, one opens
        var updated = grid.Select(g => g.Item1 switch
        {
            "K0" => ("K0", 136.99, 37.06, 900L, "開設"),
            "K12" => (g.Item1, g.Item2, g.Item3, 500L, g.Item5),
            "K13" => (g.Item1, g.Item2, g.Item3, g.Item4, "閉鎖"),
            "K3" => (g.Item1, g.Item2, g.Item3, g.Item4, "開設"),
            _ => g,
        }).ToList();
        Assert.NotEqual(await Cell(136.90, 37.00), await Cell(136.99, 37.06));
        Assert.DoesNotContain(updated.Where(g => g.Item1 is "K12" or "K13" or "K3"), g => g.Item2 < 136.93);   // the column of cells K0 leaves
        await Push("nanao-status", _cityKey, Shelters(updated, "2026-11-22T11:30:00+09:00"));
        await AssertSame("updates");
        Assert.Equal((48L, updated.Sum(g => g.Item4)), (await Totals(_restrictedKey))[Layers.Shelters]);

        // the prefecture reports ten of the same shelters (their merged rows change source sets) and four new ones
        var fromPref = updated.Take(10).Select(g => (g.Item1, g.Item2, g.Item3, g.Item4 + 1, g.Item5))
            .Concat(Enumerable.Range(48, 4).Select(i => ($"K{i}", 136.905, 37.045 + i * 0.0001, 1L, "開設"))).ToList();
        await Push("pref-status", _prefKey, Shelters(fromPref, "2026-11-22T11:45:00+09:00"));
        await AssertSame("a second source");
        Assert.Equal(52L, (await Totals(_restrictedKey))[Layers.Shelters].Points);

        // restricted alerts: one open-ended (in the cells), one with an end of validity (added at request time)
        await Push("cells-cap", _cityKey, TestDocuments.Cap("CELLS-A", "避難指示 A"), "application/xml");
        await Push("cells-cap", _cityKey, TestDocuments.Cap("CELLS-B", "避難指示 B", expires: "2026-11-22T13:00:00+09:00"), "application/xml");
        await AssertSame("alerts");
        Assert.False((await Totals(null)).ContainsKey(Layers.EvacuationOrders));
        Assert.Equal(2L, (await Totals(_restrictedKey))[Layers.EvacuationOrders].Points);

        // withdrawal: A is cancelled (status cancelled, severity 0)
        await Push("cells-cap", _cityKey, CapCancel("CELLS-A-CANCEL", "CELLS-A"), "application/xml");
        await AssertSame("a cancellation");

        // expiry: past B's end it leaves the tiles (the expiry pass drops the cached ones)
        _clock.Advance(TimeSpan.FromHours(2));
        for (var i = 0; i < 50 && await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE expired_seq IS NOT NULL") == 0; i++) await Task.Delay(100);
        for (var i = 0; i < 20 && (await Differences()).Count > 0; i++) await Task.Delay(100);
        await AssertSame("expiry");
        Assert.Equal(1L, (await Totals(_restrictedKey))[Layers.EvacuationOrders].Points);

        // an exercise goes to the drill workspace: its cells are the drill's, live's are untouched (live's cached tiles
        // stay as they are: they are kept until a live layer changes, so the source's new freshness is not compared)
        await Push("cells-cap", _cityKey, TestDocuments.Cap("CELLS-X", "訓練 避難指示", status: "Exercise"), "application/xml");
        await AssertSame("an exercise", Drill);
        Assert.Equal(1L, (await Totals(_restrictedKey, Drill))[Layers.EvacuationOrders].Points);
        Assert.Equal(1L, (await Totals(_restrictedKey))[Layers.EvacuationOrders].Points);
    }

    [Fact]
    public async Task keep_the_most_severe_rows_when_a_tile_above_the_cluster_zoom_holds_more_than_its_cap()
    {
        // 2,100 shelters in one z9 tile: 100 of severity 3, the rest of severity 1; the tile keeps 2,000, the 100 among them
        var features = Enumerable.Range(0, 2100).Select(i => $$$"""
            {"type":"Feature","id":"CAP-{{{i}}}","geometry":{"type":"Point","coordinates":[{{{(136.90 + i % 50 * 0.0018).ToString("0.0000", CultureInfo.InvariantCulture)}}},{{{(37.00 + i / 50 * 0.0012).ToString("0.0000", CultureInfo.InvariantCulture)}}}]},
             "properties":{"name":"避難所CAP-{{{i}}}","municipality_code":"172022","status":"開設","severity":{{{(i % 21 == 0 ? 3 : 1)}}}}}
            """);
        await Push("cells-geo", _cityKey, Encoding.UTF8.GetBytes($$"""{"type":"FeatureCollection","features":[{{string.Join(",", features)}}]}"""),
            "application/geo+json");
        var (x, y) = TestSettings.TileOf(136.945, 37.025, TileQueries.ClusterBelowZoom);
        Assert.Equal((x, y), TestSettings.TileOf(136.90, 37.00, TileQueries.ClusterBelowZoom));
        Assert.Equal((x, y), TestSettings.TileOf(136.99, 37.05, TileQueries.ClusterBelowZoom));
        var shelters = MvtReader.Read(await Served(null, TileQueries.ClusterBelowZoom, x, y, "live")).Single(l => l.Name == Layers.Shelters);
        Assert.Equal(TileQueries.FeatureCap, shelters.Features);
        Assert.Equal(100, shelters.Items.Count(f => Convert.ToInt64(f.Properties["severity"], CultureInfo.InvariantCulture) == 3));
        // the same cap on the other two ways a tile reads its rows: per source (ranked on keys, read by id, as the
        // merged tile above) and as of an instant (ranked whole: tile_ranked_asof.sql)
        var at = Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        foreach (var path in new[] { $"/tiles/{Layers.Shelters}/{TileQueries.ClusterBelowZoom}/{x}/{y}.mvt", $"/tiles/merged/{TileQueries.ClusterBelowZoom}/{x}/{y}.mvt?at={at}" })
        {
            var r = await _hub.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var layer = MvtReader.Read(await r.Content.ReadAsByteArrayAsync()).Single(l => l.Name == Layers.Shelters);
            Assert.Equal(TileQueries.FeatureCap, layer.Features);
            Assert.Equal(100, layer.Items.Count(f => Convert.ToInt64(f.Properties["severity"], CultureInfo.InvariantCulture) == 3));
        }
    }

    [Fact]
    public async Task draw_tiles_of_zoom_9_and_10_from_their_own_points_their_neighbours_points_in_the_margin_and_shapes()
    {
        // the z9 tile 450/199 and its z10 tile 900/399 run south to 36.5979°; their 64/4096 margins to 36.5891° and
        // 36.5935°. A point of the tiles, one in both margins (of the tiles to the south), one past them; a damage area
        // mostly south of the tiles that reaches into them (its point on the surface is outside: only its shape places it
        // here). All in 金沢市, pushed by the prefecture.
        Assert.Equal((450, 199), TestSettings.TileOf(136.70, 36.62, 9));
        Assert.Equal((450, 200), TestSettings.TileOf(136.70, 36.596, 9));
        Assert.Equal((900, 399), TestSettings.TileOf(136.70, 36.62, 10));
        Assert.Equal((900, 400), TestSettings.TileOf(136.70, 36.596, 10));
        static string Point(string id, double lat) => $$$"""
            {"type":"Feature","id":"{{{id}}}","geometry":{"type":"Point","coordinates":[136.70,{{{lat.ToString("0.0000", CultureInfo.InvariantCulture)}}}]},
             "properties":{"name":"{{{id}}}","municipality_code":"172014","status":"開設","evacuees":12}}
            """;
        await Push("cells-kanazawa", _prefKey, Encoding.UTF8.GetBytes($$"""{"type":"FeatureCollection","features":[{{Point("IN-TILE", 36.62)}},{{Point("IN-MARGIN", 36.596)}},{{Point("PAST-MARGIN", 36.57)}}]}"""),
            "application/geo+json");
        await Push("cells-damage", _prefKey, Encoding.UTF8.GetBytes("""
            {"type":"FeatureCollection","features":[{"type":"Feature","id":"AREA","geometry":{"type":"Polygon",
             "coordinates":[[[136.695,36.575],[136.705,36.575],[136.705,36.600],[136.695,36.600],[136.695,36.575]]]},
             "properties":{"name":"AREA","municipality_code":"172014","severity":2}}]}
            """), "application/geo+json");
        foreach (var (z, x, y) in new[] { (9, 450, 199), (10, 900, 399), (11, 1801, 799) })
        {
            var merged = MvtReader.Read(await Served(null, z, x, y, "live"));
            Assert.Equal(["IN-MARGIN", "IN-TILE"], Names(merged, Layers.Shelters));
            Assert.Equal(["AREA"], Names(merged, Layers.Damage));
            // evacuee counts only for callers cleared for them (responders up, here)
            Assert.All(merged.Single(l => l.Name == Layers.Shelters).Items, f => Assert.False(f.Properties.ContainsKey("evacuees")));
            Assert.All(MvtReader.Read(await Served(_restrictedKey, z, x, y, "live")).Single(l => l.Name == Layers.Shelters).Items,
                f => Assert.Equal(12L, Convert.ToInt64(f.Properties["evacuees"], CultureInfo.InvariantCulture)));
            // the per-source tiles (every row through the geometry) draw the same
            foreach (var layer in new[] { Layers.Shelters, Layers.Damage })
            {
                var r = await _hub.Http.GetAsync($"/tiles/{layer}/{z}/{x}/{y}.mvt");
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal(Names(merged, layer), Names(MvtReader.Read(await r.Content.ReadAsByteArrayAsync()), layer));
            }
        }

        static string[] Names(IEnumerable<MvtLayer> tile, string layer) =>
            [.. tile.Where(l => l.Name == layer).SelectMany(l => l.Items).Select(f => (string)f.Properties["name"]).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task place_each_point_in_the_z10_tile_postgis_puts_it_in()
    {
        // hub_rank_tile (migration 0062) against ST_TileEnvelope: points over Japan, on tile edges, at the edges of
        // the world and past Web Mercator's latitudes; a shape has none
        var wrong = await _hub.Db.ScalarAsync("""
            WITH p AS (
                SELECT ST_SetSRID(ST_MakePoint(122 + random() * 24, 24 + random() * 22), 4326) AS g FROM generate_series(1, 2000)
                UNION ALL SELECT ST_SetSRID(ST_MakePoint(136.40625, 37.1603), 4326)
                UNION ALL SELECT ST_SetSRID(ST_MakePoint(-180, 0), 4326)
                UNION ALL SELECT ST_SetSRID(ST_MakePoint(179.9999, -85.05), 4326)
                UNION ALL SELECT ST_SetSRID(ST_MakePoint(10, 89.9), 4326)
                UNION ALL SELECT ST_SetSRID(ST_MakePoint(10, -90), 4326))
            SELECT count(*) FROM p
            WHERE hub_rank_tile(g) IS NULL
               OR NOT ST_Intersects(ST_TileEnvelope(10, hub_rank_tile(g) % 1024, hub_rank_tile(g) / 1024),
                                    ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(g), least(greatest(ST_Y(g), -85.0511), 85.0511)), 4326), 3857))
            """);
        Assert.Equal(0L, wrong);
        Assert.Equal(1L, await _hub.Db.ScalarAsync("SELECT count(*) WHERE hub_rank_tile(ST_GeomFromText('POLYGON((136 37,137 37,137 38,136 37))', 4326)) IS NULL"));
    }

    [Fact]
    public async Task rank_live_tiles_at_and_above_the_cluster_zoom_on_the_statements_generic_plan()
    {
        // one connection, so the statement TileQueries prepares is the one pg_prepared_statements then shows: eight
        // z9 tiles must all run on its generic plan (PostgreSQL's default plans the first five afresh, and this one
        // afresh for every tile, its generic plan being costed with every branch); a z8 tile from the rows, or one as
        // of an instant, plans as before
        var services = _hub.App.Services;
        await using var one = Npgsql.NpgsqlDataSource.Create(new Npgsql.NpgsqlConnectionStringBuilder(_hub.Db.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var tiles = new TileQueries(one);
        var scope = new ReadScope(RowSet.Merged, [.. services.GetRequiredService<LayerCatalogue>().Ids], "live",
            services.GetRequiredService<ClassificationPolicy>().ClearanceUpTo(Classifications.Public), _clock.GetUtcNow());
        Assert.True(TileQueries.GenericPlan(scope, TileQueries.ClusterBelowZoom, fromCells: false));
        Assert.False(TileQueries.GenericPlan(scope, TileQueries.ClusterBelowZoom - 1, fromCells: false));
        Assert.False(TileQueries.GenericPlan(scope with { At = _clock.GetUtcNow() }, TileQueries.ClusterBelowZoom, fromCells: false));
        var (x, y) = TestSettings.TileOf(136.94, 37.03, TileQueries.ClusterBelowZoom);
        for (var i = 0; i < 8; i++) await tiles.TileAsync(scope, TileQueries.ClusterBelowZoom, x + i % 2, y, CancellationToken.None);
        await using var conn = await one.OpenConnectionAsync();
        await using var c = new Npgsql.NpgsqlCommand("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%ring AS MATERIALIZED%'", conn);
        await using var r = await c.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((8L, 0L), (r.GetInt64(0), r.GetInt64(1)));
    }
}
