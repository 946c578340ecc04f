using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Offline bundles (issue 15 item 4): the GeoPackage and MBTiles exports of an area, over real HTTP and through
/// `hub export`, read back by GDAL's ogrinfo (a client nobody here wrote).
/// </summary>
public sealed class area_exports_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _readerKey = null!;
    private readonly List<string> _files = [];

    public async Task InitializeAsync()
    {
        var settings = TestSettings.AddPushSources([], 10, "exports", ("cap-push", "cap", "evacuation_orders"));
        _hub = await HubServer.StartAsync(settings, _clock);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        _readerKey = await _hub.CreateKeyAsync("pref-office", "read:responders");
        var shelters = Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T11:00:00+09:00","shelters":[
              {"id":"X-1","name":"輸出試験避難所一","status":"開設","evacuees":42,"phone":"EXPORT-SENTINEL-PHONE","lat":37.04826,"lon":136.96136},
              {"id":"X-2","name":"輸出試験避難所二","status":"閉鎖","evacuees":0,"lat":37.0300,"lon":136.9300},
              {"id":"X-3","name":"輸出試験避難所三","status":"開設","evacuees":7,"lat":37.0100,"lon":136.9100}]}
            """);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _cityKey, shelters)).StatusCode);
        var cap = TestDocuments.Cap("EXPORT-1", "輸出試験の避難指示");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("cap-push", _cityKey, cap, "application/xml")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        foreach (var f in _files) File.Delete(f);
    }

    private async Task<string> Download(string url, string? key, string extension)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        var path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.{extension}");
        _files.Add(path);
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        return path;
    }

    private static async Task<string> OgrInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("ogrinfo", ["-ro", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, error);
        return output;
    }

    [Fact]
    public async Task write_a_geopackage_of_the_prefecture_with_every_layer_the_boundaries_and_what_it_holds()
    {
        var path = await Download("/api/v1/exports/area.gpkg?area=17", null, "gpkg");
        var layers = await OgrInfo(path);
        foreach (var layer in new[] { "shelters", "evacuation_orders", "warnings", "sensors", "damage", "power_outages", "municipalities", "export_info" })
            Assert.Contains($": {layer}", layers, StringComparison.Ordinal);
        Assert.Contains("Feature Count: 3", await OgrInfo("-so", path, "shelters"), StringComparison.Ordinal);
        Assert.Contains("Feature Count: 1", await OgrInfo("-so", path, "evacuation_orders"), StringComparison.Ordinal);
        // Ishikawa's 19 municipalities, with their geometry
        var municipalities = await OgrInfo("-so", path, "municipalities");
        Assert.Contains("Feature Count: 19", municipalities, StringComparison.Ordinal);
        Assert.Contains("Geometry: Unknown (any)", municipalities, StringComparison.Ordinal);
        var shelters = await OgrInfo("-al", path, "shelters");
        Assert.Contains("輸出試験避難所一", shelters, StringComparison.Ordinal);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(shelters, @"POINT \(136\.9613\d* 37\.0482\d*\)"), shelters);
        // anonymous: the responders' attribute is not in the bundle
        Assert.DoesNotContain("EXPORT-SENTINEL-PHONE", await File.ReadAllTextAsync(path, Encoding.Latin1), StringComparison.Ordinal);
        var info = await OgrInfo("-al", path, "export_info");
        Assert.Contains("key (String) = generated_at\n  value (String) = 2026-11-22T03:00:00Z", info, StringComparison.Ordinal);
        Assert.Contains("CC BY 4.0", info, StringComparison.Ordinal);
        Assert.Contains("国土数値情報", info, StringComparison.Ordinal);
        Assert.Contains("key (String) = clearance\n  value (String) = public", info, StringComparison.Ordinal);
        Assert.Contains("key (String) = source.nanao-status", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task put_the_responders_attributes_into_a_responders_export_only()
    {
        var path = await Download("/api/v1/exports/area.gpkg?area=石川県", _readerKey, "gpkg");
        Assert.Contains("EXPORT-SENTINEL-PHONE", await OgrInfo("-al", path, "shelters"), StringComparison.Ordinal);
        // and a bbox that misses 七尾市 holds no shelter
        var elsewhere = await Download("/api/v1/exports/area.gpkg?bbox=135.0,34.0,135.5,34.5", _readerKey, "gpkg");
        Assert.Contains("Feature Count: 0", await OgrInfo("-so", elsewhere, "shelters"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task write_an_mbtiles_set_gdal_reads_as_vector_tiles()
    {
        var path = await Download("/api/v1/exports/area.mbtiles?area=17&maxzoom=10", null, "mbtiles");
        var layers = await OgrInfo(path);
        Assert.Contains("shelters", layers, StringComparison.Ordinal);
        var shelters = await OgrInfo("-al", "-oo", "ZOOM_LEVEL=10", path, "shelters");
        Assert.Contains("輸出試験避難所一", shelters, StringComparison.Ordinal);
        var meta = await OgrInfo("-so", path, "shelters");
        Assert.Contains("七尾市", await OgrInfo("-al", "-so", path), StringComparison.Ordinal); // attribution in the metadata
        Assert.NotEmpty(meta);
    }

    [Fact]
    public async Task answer_a_problem_naming_the_parameter_for_an_unknown_area_or_a_bad_bbox()
    {
        foreach (var (query, parameter, status) in new[] { ("area=99", "area", 400), ("area=東京都x", "area", 400), ("bbox=1,2,3", "bbox", 400), ("", "area", 400), ("maxzoom=20&area=17", "maxzoom", 400) })
        {
            var r = await _hub.Http.GetAsync($"/api/v1/exports/area.{(query.Contains("maxzoom", StringComparison.Ordinal) ? "mbtiles" : "gpkg")}?{query}");
            Assert.Equal((HttpStatusCode)status, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(parameter, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("parameter").GetString());
        }
    }

    [Fact]
    public async Task write_the_same_bundle_from_the_command_line()
    {
        var gpkg = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.gpkg");
        var tiles = Path.ChangeExtension(gpkg, ".mbtiles");
        _files.AddRange([gpkg, tiles]);
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.ExportAsync(["--area", "17", "--out", gpkg, "--tiles", tiles, "--maxzoom", "8", "--db", _hub.Db.ConnectionString], output));
        Assert.Contains("shelters 3", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Feature Count: 3", await OgrInfo("-so", gpkg, "shelters"), StringComparison.Ordinal);
        Assert.Contains("shelters", await OgrInfo(tiles), StringComparison.Ordinal);
    }
}
