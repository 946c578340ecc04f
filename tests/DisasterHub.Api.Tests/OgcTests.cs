using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

public sealed class ogc_api_features_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        // 25 shelters along a line through Nanao, pushed as a status document.
        var items = string.Join(",", Enumerable.Range(0, 25).Select(i =>
            $$"""{"id":"S{{i:00}}","name":"テスト避難所{{i}}","status":"{{(i % 2 == 0 ? "開設" : "未開設")}}","evacuees":{{i * 10}},"lat":{{37.0 + i * 0.001:0.000}},"lon":{{136.9 + i * 0.001:0.000}}}"""));
        var doc = Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{items}}]}""");
        var r = await _hub.PushAsync("nanao-status", key, doc);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<JsonElement> Get(string path)
    {
        var r = await _hub.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task serve_landing_conformance_and_collections()
    {
        var landing = await Get("/ogc");
        Assert.Contains(landing.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "conformance");
        var conf = await Get("/ogc/conformance");
        Assert.Contains(conf.GetProperty("conformsTo").EnumerateArray(), c => c.GetString()!.EndsWith("/conf/core", StringComparison.Ordinal));
        var collections = await Get("/ogc/collections");
        var shelters = collections.GetProperty("collections").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "shelters");
        var bbox = shelters.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0];
        Assert.Equal(136.9, bbox[0].GetDouble(), 6);
        Assert.Equal(37.024, bbox[3].GetDouble(), 6);
    }

    [Fact]
    public async Task page_items_with_limit_offset_and_next_links()
    {
        var page1 = await Get("/ogc/collections/shelters/items?limit=10");
        Assert.Equal("FeatureCollection", page1.GetProperty("type").GetString());
        Assert.Equal(25, page1.GetProperty("numberMatched").GetInt32());
        Assert.Equal(10, page1.GetProperty("numberReturned").GetInt32());
        var next = page1.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "next").GetProperty("href").GetString()!;
        var page2 = await Get(new Uri(next).PathAndQuery);
        var page3 = await Get("/ogc/collections/shelters/items?limit=10&offset=20");
        Assert.Equal(5, page3.GetProperty("numberReturned").GetInt32());
        Assert.DoesNotContain(page3.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "next");
        var ids = new[] { page1, page2, page3 }.SelectMany(p => p.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("id").GetString())).ToList();
        Assert.Equal(25, ids.Distinct().Count());
    }

    [Fact]
    public async Task filter_by_bbox_and_return_eei_properties()
    {
        var fc = await Get("/ogc/collections/shelters/items?bbox=136.9045,37.0045,136.9095,37.0095");
        var names = fc.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["テスト避難所5", "テスト避難所6", "テスト避難所7", "テスト避難所8", "テスト避難所9"], names);
        var p = fc.GetProperty("features")[0].GetProperty("properties");
        foreach (var field in new[] { "layer", "municipality_code", "status", "observed_at", "received_at", "source_id", "source_key", "entity_key", "classification", "stale", "attrs" })
            Assert.True(p.TryGetProperty(field, out _), $"property {field}");
        Assert.Equal("172022", p.GetProperty("municipality_code").GetString());
    }

    [Fact]
    public async Task serve_a_single_item_and_404_for_unknown_ones()
    {
        var fc = await Get("/ogc/collections/shelters/items?limit=1");
        var id = fc.GetProperty("features")[0].GetProperty("id").GetString();
        var item = await Get($"/ogc/collections/shelters/items/{id}");
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.Equal("Point", item.GetProperty("geometry").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.GetAsync($"/ogc/collections/shelters/items/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.GetAsync("/ogc/collections/nope/items")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Http.GetAsync("/ogc/collections/shelters/items?bbox=1,2,3")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Http.GetAsync("/ogc/collections/shelters/items?limit=0")).StatusCode);
    }

    [Fact]
    public async Task be_readable_by_gdal_ogrinfo()
    {
        // An independent OGC API Features client (GDAL's OAPIF driver), installed by ./hub from Debian's gdal-bin.
        var psi = new ProcessStartInfo("ogrinfo", ["-ro", "-so", $"OAPIF:{_hub.BaseUrl}ogc", "shelters"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Contains("Layer name: shelters", stdout, StringComparison.Ordinal);
        Assert.Contains("Feature Count: 25", stdout, StringComparison.Ordinal);

        var psi2 = new ProcessStartInfo("ogrinfo", ["-ro", "-q", $"OAPIF:{_hub.BaseUrl}ogc", "shelters", "-where", "name = 'テスト避難所3'"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p2 = Process.Start(psi2)!;
        var features = await p2.StandardOutput.ReadToEndAsync();
        await p2.WaitForExitAsync();
        Assert.Contains("POINT (136.903 37.003)", features, StringComparison.Ordinal);
    }
}
