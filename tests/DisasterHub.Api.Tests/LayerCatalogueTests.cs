using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 12: the layer catalogue drives the API, the OGC collections, the tiles and the generic push. A test-only
/// catalogue file (written here, loaded through Hub:LayerCatalogue) adds a layer no code knows about.
/// </summary>
public sealed class layer_catalogue_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _dir = null!;
    private string _key = null!;

    /// <summary>A layer nobody wrote an adapter for: water points (給水所) with a required capacity and a code list.</summary>
    private const string WaterPoints = """
        {
          "id": "test_water_points",
          "title": { "ja": "給水所", "en": "Water points" },
          "eei": { "item": null, "name": "給水" },
          "geometry": ["Point"],
          "classification": "public",
          "stale_after_minutes": 120,
          "identity": "source_key",
          "rollup": { "sum": ["litres"] },
          "style": { "color": "#0288d1", "icon": "point", "by": "status", "values": { "稼働": "#0288d1", "停止": "#9e9e9e" }, "panel_order": 200 },
          "schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
              "name": { "type": "string" },
              "municipality_code": { "type": "string", "pattern": "^[0-9]{6}$" },
              "status": { "type": "string", "enum": ["稼働", "停止"] },
              "litres": { "type": "integer", "minimum": 0, "x-unit": "L" },
              "contact": { "type": "string", "x-classification": "responders", "x-share": "specific" }
            },
            "required": ["status", "litres"],
            "additionalProperties": false
          }
        }
        """;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("hub-catalogue-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_dir, "test_water_points.json"), WaterPoints);
        var s = new Dictionary<string, string?> { ["Hub:LayerCatalogue"] = _dir };
        TestSettings.AddPushSources(s, 10, "catalogue",
            ("nanao-roads", "road_closures.geojson", "road_closures"),
            ("nanao-water", "test_water_points.geojson", "test_water_points"),
            ("nanao-water-csv", "test_water_points.csv", "test_water_points"));
        _hub = await HubServer.StartAsync(s);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:road_closures", "push:test_water_points");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task list_every_layer_with_its_eei_item_and_schema()
    {
        var list = await Json(await _hub.Http.GetAsync("/api/v1/layers"));
        var layers = list.GetProperty("layers").EnumerateArray().ToList();
        Assert.True(layers.Count >= 17, $"{layers.Count} layers"); // 16 shipped + the test's
        var ids = layers.Select(l => l.GetProperty("id").GetString()).ToList();
        foreach (var id in new[] { "shelters", "road_closures", "isolated_communities", "water_outages", "telecom_outages", "gas_outages",
                     "medical_facilities", "welfare_facilities", "supply_depots", "disaster_hq", "media", "test_water_points" })
            Assert.Contains(id, ids);
        var roads = layers.Single(l => l.GetProperty("id").GetString() == "road_closures");
        Assert.Equal("05", roads.GetProperty("eei").GetProperty("item").GetString());
        Assert.Contains("road_closures.geojson", roads.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        var shelters = layers.Single(l => l.GetProperty("id").GetString() == "shelters");
        Assert.Equal("21", shelters.GetProperty("eei").GetProperty("item").GetString());
        // the classification in force is the catalogue's default unless configuration overrides it
        Assert.Equal("responders", shelters.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("key").GetString() == "phone").GetProperty("classification").GetString());

        foreach (var id in ids)
        {
            var one = await Json(await _hub.Http.GetAsync($"/api/v1/layers/{id}"));
            Assert.Equal("object", one.GetProperty("schema").GetProperty("type").GetString());
        }
        var missing = await _hub.Http.GetAsync("/api/v1/layers/no_such_layer");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task accept_the_good_feature_and_reject_the_bad_one_naming_its_pointer_and_rule()
    {
        var doc = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"R-249-1","geometry":{"type":"LineString","coordinates":[[136.95,37.04],[136.97,37.05]]},
               "properties":{"name":"国道249号 七尾市中島町","municipality_code":"172022","status":"規制中","road_type":"一般国道","route_name":"国道249号",
                             "regulation":"通行止(異常気象等)","cause":"土砂崩れ","start_at":"2026-12-05T06:00:00+09:00","detour":"県道23号"}},
              {"type":"Feature","id":"R-bad","geometry":{"type":"LineString","coordinates":[[136.95,37.04],[136.96,37.05]]},
               "properties":{"name":"市道","municipality_code":"172022","status":"規制中","regulation":"通れない"}}
            ]}
            """;
        var r = await _hub.PushAsync("nanao-roads", _key, Encoding.UTF8.GetBytes(doc), "application/geo+json");
        var body = await Json(r);
        Assert.True(r.IsSuccessStatusCode, body.ToString());
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        var rejection = Assert.Single(body.GetProperty("rejections").EnumerateArray());
        Assert.Equal("/features/1/properties/regulation", rejection.GetProperty("at").GetString());
        Assert.StartsWith("enum:", rejection.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // served as a line through OGC API Features (per source and merged) and in the merged tile
        var items = await Json(await _hub.Http.GetAsync("/ogc/collections/merged_road_closures/items"));
        var f = Assert.Single(items.GetProperty("features").EnumerateArray());
        Assert.Equal("LineString", f.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal("通行止(異常気象等)", f.GetProperty("properties").GetProperty("attrs").GetProperty("regulation").GetString());
        var (x, y) = TestSettings.TileOf(136.96, 37.045, 14);
        var tile = await _hub.Http.GetByteArrayAsync($"/tiles/merged/14/{x}/{y}.mvt");
        Assert.Contains("road_closures", MvtReader.Read(tile).Select(l => l.Name));
    }

    [Fact]
    public async Task reject_a_severity_the_hub_does_not_store_as_the_features_own_fault_not_a_server_error()
    {
        // the hub stores severity 0–3 (info, advisory, warning, emergency): a 4 is the pusher's error, named by its pointer
        var doc = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"R-sev","geometry":{"type":"LineString","coordinates":[[136.95,37.04],[136.97,37.05]]},
               "properties":{"name":"県道","municipality_code":"172022","status":"規制中","regulation":"通行止(異常気象等)","severity":4}}
            ]}
            """;
        var r = await _hub.PushAsync("nanao-roads", _key, Encoding.UTF8.GetBytes(doc), "application/geo+json");
        var body = await Json(r);
        Assert.True(r.IsSuccessStatusCode, body.ToString());
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        var rejection = Assert.Single(body.GetProperty("rejections").EnumerateArray());
        Assert.Equal("/features/0/properties/severity", rejection.GetProperty("at").GetString());
        Assert.StartsWith("maximum:", rejection.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task take_pushes_to_a_layer_defined_only_by_a_catalogue_file()
    {
        var geojson = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"W1","geometry":{"type":"Point","coordinates":[136.963,37.047]},"properties":{"name":"七尾市役所 給水所","municipality_code":"172022","status":"稼働","litres":4000,"contact":"0767-53-1111"}},
              {"type":"Feature","id":"W2","geometry":{"type":"Point","coordinates":[136.96,37.04]},"properties":{"name":"給水車","municipality_code":"172022","status":"稼働","litres":-5}},
              {"type":"Feature","id":"W3","geometry":{"type":"Point","coordinates":[136.96,37.04]},"properties":{"name":"給水車2","municipality_code":"172022","status":"稼働","litres":10,"colour":"blue"}}
            ]}
            """;
        var r = await Json(await _hub.PushAsync("nanao-water", _key, Encoding.UTF8.GetBytes(geojson), "application/geo+json"));
        Assert.True(r.GetProperty("accepted").GetInt32() == 1, r.ToString());
        var at = r.GetProperty("rejections").EnumerateArray().Select(e => (e.GetProperty("at").GetString(), e.GetProperty("reason").GetString())).ToList();
        Assert.Contains(at, a => a.Item1 == "/features/1/properties/litres" && a.Item2!.StartsWith("minimum:", StringComparison.Ordinal));
        Assert.Contains(at, a => a.Item1 == "/features/2/properties/colour" && a.Item2!.StartsWith("additionalProperties:", StringComparison.Ordinal));

        var csv = "id,name,municipality_code,status,litres,lon,lat\r\nW4,中島給水所,172022,稼働,1200,136.86,37.12\r\nW5,田鶴浜給水所,172022,稼働,many,136.89,37.06\r\n";
        var c = await Json(await _hub.PushAsync("nanao-water-csv", _key, Encoding.UTF8.GetBytes(csv), "text/csv"));
        Assert.True(c.GetProperty("accepted").GetInt32() == 1, c.ToString());
        var line = Assert.Single(c.GetProperty("rejections").EnumerateArray());
        Assert.Equal("line 3, column litres", line.GetProperty("at").GetString());

        // the new layer is an OGC collection with queryables from its schema; its responders-only attribute is hidden from the public
        var items = await Json(await _hub.Http.GetAsync("/ogc/collections/merged_test_water_points/items?filter=litres>1000"));
        var names = items.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["七尾市役所 給水所", "中島給水所"], names);
        Assert.DoesNotContain("0767-53-1111", items.ToString());
        var queryables = await Json(await _hub.Http.GetAsync("/ogc/collections/test_water_points/queryables"));
        Assert.True(queryables.GetProperty("properties").TryGetProperty("litres", out _));
        Assert.False(queryables.GetProperty("properties").TryGetProperty("contact", out _));
        var responders = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        using var req = new HttpRequestMessage(HttpMethod.Get, "/ogc/collections/merged_test_water_points/items");
        req.Headers.Authorization = new("Bearer", responders);
        Assert.Contains("0767-53-1111", await (await _hub.Http.SendAsync(req)).Content.ReadAsStringAsync());
    }

    [Fact]
    public void refuse_a_catalogue_file_that_is_not_a_valid_definition_naming_the_file_and_the_reason()
    {
        var bad = WaterPoints.Replace("\"#0288d1\", \"icon\"", "\"blue\", \"icon\"", StringComparison.Ordinal);
        var e = Assert.Throws<LayerCatalogueException>(() => LayerCatalogue.FromFiles([("wells.json", bad)]));
        Assert.Equal("wells.json", e.Origin);
        Assert.Contains("/style/color", e.Reason, StringComparison.Ordinal);
        var badKey = WaterPoints.Replace("\"litres\": {", "\"li'tres\": {", StringComparison.Ordinal);
        Assert.Contains("attribute key", Assert.Throws<LayerCatalogueException>(() => LayerCatalogue.FromFiles([("w.json", badKey)])).Reason, StringComparison.Ordinal);
        var badSchema = WaterPoints.Replace("\"type\": \"integer\"", "\"type\": 12", StringComparison.Ordinal);
        Assert.Contains("/schema", Assert.Throws<LayerCatalogueException>(() => LayerCatalogue.FromFiles([("w.json", badSchema)])).Reason, StringComparison.Ordinal);
    }
}
