using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

public sealed class tiles_and_events_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _key = null!;
    private const double Lon = 136.96136, Lat = 37.04826;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(clock: _clock);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task Push(int evacuees, string status = "開設", string observedAt = "2026-11-22T09:00:00+09:00")
    {
        var r = await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(status, evacuees, observedAt));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private static (int X, int Y) TileOf(double lon, double lat, int z) => TestSettings.TileOf(lon, lat, z);

    /// <summary>GDAL's MVT driver (a client nobody here wrote) reads a tile file.</summary>
    internal static async Task<string> OgrInfoTile(byte[] tile, int z, int x, int y)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.mvt");
        await File.WriteAllBytesAsync(file, tile);
        try
        {
            var psi = new ProcessStartInfo("ogrinfo", ["-ro", "-al", file, "-oo", $"Z={z}", "-oo", $"X={x}", "-oo", $"Y={y}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, await p.StandardError.ReadToEndAsync());
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task serve_a_merged_tile_gdal_can_read_with_etag_and_304()
    {
        await Push(120);
        var (x, y) = TileOf(Lon, Lat, 14);
        var url = $"/tiles/merged/14/{x}/{y}.mvt";
        var first = await _hub.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("application/vnd.mapbox-vector-tile", first.Content.Headers.ContentType?.MediaType);
        var etag = first.Headers.ETag!;
        var info = await OgrInfoTile(await first.Content.ReadAsByteArrayAsync(), 14, x, y);
        Assert.Contains("Layer name: shelters", info, StringComparison.Ordinal);
        Assert.Contains("evacuees (Integer", info, StringComparison.Ordinal);
        Assert.Contains("evacuees (Integer) = 120", info.Replace("Integer64", "Integer", StringComparison.Ordinal), StringComparison.Ordinal);

        // the same tile again: 304 for the ETag, from the cache (the push's NOTIFY can reach this node's listener after
        // the first request stored the tile, under load, and drop it once: a second repeat is then the hit)
        var caches = new List<string>();
        for (var i = 0; i < 2 && !caches.Contains("hit"); i++)
        {
            using var again = new HttpRequestMessage(HttpMethod.Get, url);
            again.Headers.IfNoneMatch.Add(etag);
            var second = await _hub.Http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
            caches.Add(second.Headers.GetValues("X-Tile-Cache").Single());
        }
        Assert.Contains("hit", caches);

        // TileJSON beside the tiles
        var tj = JsonDocument.Parse(await _hub.Http.GetStringAsync("/tiles/merged.json")).RootElement;
        Assert.EndsWith("/tiles/merged/{z}/{x}/{y}.mvt", tj.GetProperty("tiles")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task show_a_push_in_the_next_tile_and_retire_the_old_etag()
    {
        await Push(120);
        var (x, y) = TileOf(Lon, Lat, 14);
        var url = $"/tiles/shelters/14/{x}/{y}.mvt";
        var before = await _hub.Http.GetAsync(url);
        var oldTag = before.Headers.ETag!;
        _ = await _hub.Http.GetAsync(url); // now cached

        _clock.Advance(TimeSpan.FromHours(2)); // the hub refuses times ahead of its clock: 10:00 JST must be in its past
        await Push(250, observedAt: "2026-11-22T10:00:00+09:00");
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.IfNoneMatch.Add(oldTag);
        var after = await _hub.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(oldTag, after.Headers.ETag);
        var info = await OgrInfoTile(await after.Content.ReadAsByteArrayAsync(), 14, x, y);
        Assert.Contains("= 250", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task credit_the_sources_of_the_layers_in_tilejson()
    {
        var merged = JsonDocument.Parse(await _hub.Http.GetStringAsync("/tiles/merged.json")).RootElement.GetProperty("attribution").GetString();
        Assert.Contains("七尾市 (CC BY 4.0)", merged, StringComparison.Ordinal); // nanao-status's Attribution and License
        Assert.EndsWith("DisasterHub", merged, StringComparison.Ordinal);
        var power = JsonDocument.Parse(await _hub.Http.GetStringAsync("/tiles/power_outages.json")).RootElement.GetProperty("attribution").GetString();
        Assert.DoesNotContain("七尾市", power, StringComparison.Ordinal);
    }

    [Fact]
    public async Task cluster_points_at_low_zoom()
    {
        await Push(120);
        var (x, y) = TileOf(Lon, Lat, 5);
        var tile = await _hub.Http.GetByteArrayAsync($"/tiles/merged/5/{x}/{y}.mvt");
        var info = await OgrInfoTile(tile, 5, x, y);
        Assert.Contains("point_count (Integer) = 1", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task read_every_layer_as_of_an_earlier_instant()
    {
        await Push(100, observedAt: "2026-11-22T09:00:00+09:00");
        var t1 = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(30));
        await Push(300, observedAt: "2026-11-22T09:30:00+09:00");

        async Task<int> Evacuees(string collection, string? at)
        {
            var q = at is null ? "" : $"?datetime={Uri.EscapeDataString(at)}";
            var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync($"/ogc/collections/{collection}/items{q}")).RootElement;
            return fc.GetProperty("features")[0].GetProperty("properties").GetProperty("attrs").GetProperty("evacuees").GetInt32();
        }
        var asOf = t1.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(300, await Evacuees("merged_shelters", null));
        Assert.Equal(100, await Evacuees("merged_shelters", asOf));
        Assert.Equal(300, await Evacuees("shelters", null));
        Assert.Equal(100, await Evacuees("shelters", asOf));
        var before = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items?datetime=2026-11-21T00:00:00Z")).RootElement;
        Assert.Equal(0, before.GetProperty("numberReturned").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Http.GetAsync("/ogc/collections/shelters/items?datetime=yesterday")).StatusCode);

        var (x, y) = TileOf(Lon, Lat, 14);
        var old = await _hub.Http.GetByteArrayAsync($"/tiles/merged/14/{x}/{y}.mvt?at={Uri.EscapeDataString(asOf)}");
        Assert.Contains("= 100", await OgrInfoTile(old, 14, x, y), StringComparison.Ordinal);
    }

    [Fact]
    public async Task roll_up_by_municipality()
    {
        await Push(120);
        var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/municipalities/items")).RootElement;
        var nanao = fc.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "172022");
        var p = nanao.GetProperty("properties");
        Assert.Equal("七尾市", p.GetProperty("name").GetString());
        Assert.Equal(1, p.GetProperty("shelters_open").GetInt32());
        Assert.Equal(120, p.GetProperty("evacuees").GetInt32());
        Assert.Equal("MultiPolygon", nanao.GetProperty("geometry").GetProperty("type").GetString()); // the shipped boundaries, loaded at start-up
    }

    [Fact]
    public async Task stream_a_change_within_a_second_of_the_push()
    {
        await Push(10);
        using var sse = new HttpClient { BaseAddress = _hub.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events?layer=shelters&bbox=136.9,37.0,137.0,37.1");
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var resp = await sse.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        Assert.StartsWith(": connected", await reader.ReadLineAsync());

        _clock.Advance(TimeSpan.FromHours(3)); // the hub refuses times ahead of its clock: 11:00 JST must be in its past
        var pushed = Stopwatch.StartNew();
        await Push(77, observedAt: "2026-11-22T11:00:00+09:00");
        var acknowledged = pushed.Elapsed;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string? data = null;
        while (data is null)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            if (line is not null && line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
        var latency = pushed.Elapsed - acknowledged;
        Assert.True(latency < TimeSpan.FromSeconds(1), $"event {latency.TotalMilliseconds} ms after the 2xx");
        var props = JsonDocument.Parse(data).RootElement.GetProperty("properties");
        Assert.Equal(77, props.GetProperty("attrs").GetProperty("evacuees").GetInt32());
    }

    [Fact]
    public async Task be_listed_by_gdal_with_the_merged_collections_and_the_roll_up()
    {
        await Push(120);
        var psi = new ProcessStartInfo("ogrinfo", ["-ro", "-q", $"OAPIF:{_hub.BaseUrl}ogc"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        foreach (var layer in new[] { "merged_shelters", "merged_warnings", "merged_power_outages", "municipalities", "shelters" })
            Assert.Contains(layer, output, StringComparison.Ordinal);
    }
}
