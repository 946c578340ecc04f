using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using SkiaSharp;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 12 in a real browser: the map's layer list and legend come from the catalogue, road closures are drawn, and a
/// photo's popup shows its thumbnail (tools/e2e-catalogue.mjs in headless chromium, against a hub on loopback).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class browser_catalogue_should(ITestOutputHelper output) : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _mediaDir = null!;

    public async Task InitializeAsync()
    {
        _mediaDir = Directory.CreateTempSubdirectory("hub-media-").FullName;
        var s = new Dictionary<string, string?> { ["Hub:MediaDirectory"] = _mediaDir };
        TestSettings.AddPushSources(s, 10, "browser", ("nanao-roads", "road_closures.geojson", "road_closures"), ("nanao-media", "media.geojson", "media"));
        _hub = await HubServer.StartAsync(s);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_mediaDir, recursive: true);
    }

    [Fact]
    public async Task list_catalogue_layers_draw_road_closures_and_show_a_photos_thumbnail_in_chromium()
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:road_closures", "push:media");
        var roads = """
            {"type":"FeatureCollection","features":[{"type":"Feature","id":"R1","geometry":{"type":"LineString","coordinates":[[136.955,37.048],[136.976,37.042]]},
              "properties":{"name":"県道23号","municipality_code":"172022","status":"規制中","regulation":"通行止(異常気象等)"}}]}
            """;
        var r = await _hub.PushAsync("nanao-roads", key, Encoding.UTF8.GetBytes(roads), "application/geo+json");
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        var photo = media_should.PhotoWithExif(37.0455, 136.9600, "2026:12:05 10:15:00", "+09:00", SKColors.Crimson);
        using (var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-media/media?caption=" + Uri.EscapeDataString("橋の損傷")) { Content = new ByteArrayContent(photo) })
        {
            req.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var up = await _hub.Http.SendAsync(req);
            Assert.True(up.StatusCode == HttpStatusCode.Created, await up.Content.ReadAsStringAsync());
        }

        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it)");
        var root = browser_map_should.RepoRoot();
        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root,
            [Path.Combine(root, "tools", "e2e-catalogue.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), "136.9600", "37.0455"]);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-catalogue.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-catalogue.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}");
        Assert.Equal(240, result.GetProperty("steps").GetProperty("thumbnail").GetProperty("height").GetInt32());
    }
}
