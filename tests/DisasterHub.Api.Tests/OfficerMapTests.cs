using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// The officer's map's file exports (issue 14 §6.1): <c>GET /api/v1/exports/view.csv|gpkg</c> of the visible layers
/// within the view's bbox, under the same sharing rules as the items they are read through.
/// </summary>
public sealed class view_exports_should : IAsyncLifetime
{
    private const string Officer = "officer@pref.ishikawa.example";
    private const string View = "bbox=136.8,36.9,137.1,37.2";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private readonly List<string> _files = [];

    /// <summary>Shelters public (their phone for responders up), evacuation orders restricted: fields and records both.</summary>
    public static Dictionary<string, string?> Settings()
    {
        var s = sign_in_should.Settings();
        s.Remove("Hub:Classification:Layers:shelters");
        s["Hub:Classification:Layers:evacuation_orders"] = "restricted";
        return TestSettings.AddPushSources(s, 10, "view export", ("cap-push", "cap", "evacuation_orders"));
    }

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(Settings(), _clock);
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        var shelters = Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T11:00:00+09:00","shelters":[
              {"id":"V-1","name":"表示範囲避難所","status":"開設","evacuees":42,"phone":"VIEW-SENTINEL-PHONE","lat":37.04826,"lon":136.96136},
              {"id":"V-2","name":"範囲外避難所","status":"開設","evacuees":3,"lat":37.39,"lon":136.90}]}
            """);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, shelters)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("cap-push", key, TestDocuments.Cap("VIEW-1", "表示範囲の避難指示"), "application/xml")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        foreach (var f in _files) File.Delete(f);
    }

    private async Task<PersonClient> OfficerAsync()
    {
        var officer = new PersonClient(_hub.BaseUrl);
        await officer.SignedInAsync(Officer);
        return officer;
    }

    [Fact]
    public async Task give_the_public_no_restricted_records_or_fields_and_the_signed_in_officer_both()
    {
        var url = $"/api/v1/exports/view.csv?{View}&layers=merged_shelters,merged_evacuation_orders";
        var pub = await _hub.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, pub.StatusCode);
        Assert.StartsWith("text/csv", pub.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var pubCsv = await pub.Content.ReadAsStringAsync();
        Assert.Contains("表示範囲避難所", pubCsv, StringComparison.Ordinal);
        Assert.DoesNotContain("範囲外避難所", pubCsv, StringComparison.Ordinal); // outside the bbox
        Assert.DoesNotContain("VIEW-SENTINEL-PHONE", pubCsv, StringComparison.Ordinal); // a responders' field
        Assert.DoesNotContain("表示範囲の避難指示", pubCsv, StringComparison.Ordinal); // a restricted record

        using var officer = await OfficerAsync();
        var csv = await (await officer.Http.GetAsync(url)).Content.ReadAsStringAsync();
        Assert.Contains("VIEW-SENTINEL-PHONE", csv, StringComparison.Ordinal);
        Assert.Contains("表示範囲の避難指示", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("範囲外避難所", csv, StringComparison.Ordinal);
        Assert.Equal(3, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header + a shelter + an order
    }

    [Fact]
    public async Task write_a_geopackage_with_a_table_per_visible_layer_at_the_callers_clearance()
    {
        using var officer = await OfficerAsync();
        var r = await officer.Http.GetAsync($"/api/v1/exports/view.gpkg?{View}&layers=merged_shelters,evacuation_orders");
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        Assert.Equal("application/geopackage+sqlite3", r.Content.Headers.ContentType!.MediaType);
        var path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.gpkg");
        _files.Add(path);
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        var tables = await OgrInfo(path);
        Assert.Contains(": merged_shelters", tables, StringComparison.Ordinal);
        Assert.Contains(": evacuation_orders", tables, StringComparison.Ordinal);
        Assert.Contains("VIEW-SENTINEL-PHONE", await OgrInfo("-al", path, "merged_shelters"), StringComparison.Ordinal);
        Assert.Contains("表示範囲の避難指示", await OgrInfo("-al", path, "evacuation_orders"), StringComparison.Ordinal);
        var info = await OgrInfo("-al", path, "export_info");
        Assert.Contains("key (String) = clearance\n  value (String) = public,responders,restricted", info, StringComparison.Ordinal);
        Assert.Contains("key (String) = bbox\n  value (String) = 136.8,36.9,137.1,37.2", info, StringComparison.Ordinal);

        // the public's GeoPackage of the same view: the restricted order's table is empty, the phone absent
        var pub = await _hub.Http.GetByteArrayAsync($"/api/v1/exports/view.gpkg?{View}&layers=merged_shelters,evacuation_orders");
        var pubPath = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.gpkg");
        _files.Add(pubPath);
        await File.WriteAllBytesAsync(pubPath, pub);
        Assert.Contains("Feature Count: 0", await OgrInfo("-so", pubPath, "evacuation_orders"), StringComparison.Ordinal);
        Assert.DoesNotContain("VIEW-SENTINEL-PHONE", Encoding.Latin1.GetString(pub), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("layers=merged_shelters", 400, "bbox")]
    [InlineData("bbox=137,37,136,38&layers=merged_shelters", 400, "bbox")]
    [InlineData("bbox=136.8,36.9,137.1&layers=merged_shelters", 400, "bbox")]
    [InlineData("bbox=120,20,150,46&layers=merged_shelters", 422, "bbox")]
    [InlineData("bbox=136.8,36.9,137.1,37.2", 400, "layers")]
    [InlineData("bbox=136.8,36.9,137.1,37.2&layers=merged_shelters,merged_volcanoes", 400, "layers")]
    [InlineData("bbox=136.8,36.9,137.1,37.2&layers=municipalities", 400, "layers")]
    [InlineData("bbox=136.8,36.9,137.1,37.2&layers=merged_shelters&limit=5", 400, "limit")]
    [InlineData("bbox=136.8,36.9,137.1,37.2&layers=merged_shelters&at=yesterday", 400, "at")]
    public async Task refuse_a_bad_request_with_a_problem_naming_the_parameter(string query, int status, string parameter)
    {
        var r = await _hub.Http.GetAsync($"/api/v1/exports/view.csv?{query}");
        var body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"{(int)r.StatusCode} {body}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
        Assert.Equal(parameter, JsonDocument.Parse(body).RootElement.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task offer_the_gsi_basemap_by_default_start_offline_and_let_the_page_fetch_only_its_origin()
    {
        var b = JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/basemap")).RootElement;
        Assert.Equal("https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png", b.GetProperty("online").GetProperty("url").GetString());
        Assert.Contains("地理院タイル", b.GetProperty("online").GetProperty("attribution").GetString(), StringComparison.Ordinal);
        Assert.Equal("offline", b.GetProperty("default").GetString());
        Assert.Equal("/geodata/municipal-boundaries.geojson", b.GetProperty("offline").GetProperty("municipalities").GetString());
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync("/geodata/municipal-boundaries.geojson")).StatusCode);
        var csp = string.Join(' ', (await _hub.Http.GetAsync("/")).Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("img-src 'self' https://cyberjapandata.gsi.go.jp ", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self' https://cyberjapandata.gsi.go.jp;", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal); // nothing else widened
    }

    internal static async Task<string> OgrInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("ogrinfo", ["-ro", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, error);
        return output;
    }
}

/// <summary>
/// Who may open a drill (issue 14 §6.4): a drill made with <c>--org</c> is its organizations' (and admins'); every path
/// with <c>?workspace=</c> refuses it to anyone else as if it did not exist, and the workspace list leaves it out. A
/// drill made without <c>--org</c> stays open, as every drill was.
/// </summary>
public sealed class drill_membership_should : IAsyncLifetime
{
    private const string Closed = "nanao-only-drill";
    private const string Open = "open-drill";
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(sign_in_should.Settings());
        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Closed, "--org", "nanao-city", "--db", _hub.Db.ConnectionString]));
        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Open, "--db", _hub.Db.ConnectionString]));
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<PersonClient> PersonAsync(string email)
    {
        var p = new PersonClient(_hub.BaseUrl);
        await p.SignedInAsync(email);
        return p;
    }

    private static async Task<string[]> Workspaces(HttpClient http) =>
        [.. JsonDocument.Parse(await http.GetStringAsync("/api/v1/workspaces")).RootElement.GetProperty("workspaces").EnumerateArray().Select(w => w.GetProperty("name").GetString()!)];

    private const string Items = "/ogc/collections/merged_shelters/items?workspace=";

    [Fact]
    public async Task show_a_members_only_drill_to_its_organizations_and_admins_only()
    {
        using var clerk = await PersonAsync("clerk@nanao.example");
        using var officer = await PersonAsync("officer@pref.ishikawa.example");
        using var admin = await PersonAsync("admin@hub.example");

        Assert.Contains(Closed, await Workspaces(clerk.Http));
        Assert.Contains(Closed, await Workspaces(admin.Http));
        Assert.DoesNotContain(Closed, await Workspaces(officer.Http));
        Assert.DoesNotContain(Closed, await Workspaces(_hub.Http));
        foreach (var http in new[] { clerk.Http, officer.Http, admin.Http, _hub.Http }) Assert.Contains(Open, await Workspaces(http));

        Assert.Equal(HttpStatusCode.OK, (await clerk.Http.GetAsync(Items + Closed)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync(Items + Closed)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await officer.Http.GetAsync(Items + Open)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await officer.Http.GetAsync(Items + "live")).StatusCode);
    }

    [Theory]
    [InlineData("/ogc/collections/merged_shelters/items?workspace=" + Closed)]
    [InlineData("/tiles/merged/10/905/403.mvt?workspace=" + Closed)]
    [InlineData("/api/v1/exports/view.csv?bbox=136.8,36.9,137.1,37.2&layers=merged_shelters&workspace=" + Closed)]
    [InlineData("/api/v1/changes?workspace=" + Closed)]
    [InlineData("/ogc/collections/municipalities/items?workspace=" + Closed)]
    public async Task refuse_the_drill_on_every_path_to_an_officer_of_another_organization_and_to_the_public(string path)
    {
        using var officer = await PersonAsync("officer@pref.ishikawa.example");
        foreach (var http in new[] { officer.Http, _hub.Http })
        {
            var r = await http.GetAsync(path);
            var body = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)r.StatusCode} {body}");
            Assert.Equal("workspace", JsonDocument.Parse(body).RootElement.GetProperty("parameter").GetString());
        }
        using var clerk = await PersonAsync("clerk@nanao.example");
        Assert.Equal(HttpStatusCode.OK, (await clerk.Http.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task judge_a_key_by_its_organization_like_a_person()
    {
        var nanao = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        var pref = await _hub.CreateKeyAsync("ishikawa-pref", "read:restricted");
        foreach (var (key, expected) in new[] { (nanao, HttpStatusCode.OK), (pref, HttpStatusCode.NotFound) })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, Items + Closed);
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(expected, (await _hub.Http.SendAsync(req)).StatusCode);
        }
    }

    [Fact]
    public async Task refuse_an_unknown_organization_at_creation()
    {
        Assert.NotEqual(0, await HubCli.RunAsync(["drill", "create", "typo-drill", "--org", "no-such-org", "--db", _hub.Db.ConnectionString]));
    }
}

/// <summary>
/// The officer's map in headless chromium (<c>tools/e2e-officer.mjs</c>): signed in, restricted data drawn; the
/// permalink restores the view; the PNG, PDF and CSV of the view download; the online basemap comes from a local fake
/// tile server and, once that fails, the map falls back to the offline basemap; keyboard and a narrow window.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class officer_map_should(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string ShelterName = "担当者限定避難所";
    private const string Drill = "pref-drill";
    private const double Lon = 136.96136, Lat = 37.04826;
    private HubServer _hub = null!;
    private FakeTileServer _tiles = null!;

    public async Task InitializeAsync()
    {
        _tiles = FakeTileServer.Start();
        var s = sign_in_should.Settings(); // shelters restricted
        s["Hub:Basemap:Online:Url"] = $"{_tiles.BaseUrl}{{z}}/{{x}}/{{y}}.png";
        s["Hub:Basemap:Online:Attribution"] = "fake tiles (test)";
        _hub = await HubServer.StartAsync(s);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        _tiles.Dispose();
    }

    [Fact]
    public async Task restore_a_permalink_export_the_view_and_fall_back_to_the_offline_basemap_in_chromium()
    {
        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it for the npm assets)");
        var root = browser_map_should.RepoRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")), $"run `npm ci` in {root} (./hub does)");
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync("/lib/jspdf.umd.min.js")).StatusCode);

        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Drill, "--org", "ishikawa-pref,nanao-city", "--db", _hub.Db.ConnectionString]));
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var observed = DateTimeOffset.UtcNow.AddMinutes(-30).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var doc = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observed}}","shelters":[
              {"id":"O1","name":"{{ShelterName}}","status":"開設","evacuees":40,"capacity":100,"lat":{{Lat}},"lon":{{Lon}}}
            ]}
            """);
        foreach (var path in new[] { "/api/v1/sources/nanao-status/documents", $"/api/v1/sources/nanao-status/documents?workspace={Drill}" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(doc) };
            req.Content.Headers.ContentType = new("application/json");
            req.Headers.Authorization = new("Bearer", key);
            var push = await _hub.Http.SendAsync(req);
            Assert.True(push.StatusCode == HttpStatusCode.OK, await push.Content.ReadAsStringAsync());
        }

        var screenshot = Environment.GetEnvironmentVariable("HUB_SCREENSHOT_OFFICER");
        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root,
            [Path.Combine(root, "tools", "e2e-officer.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), "officer@pref.ishikawa.example", PersonClient.DemoPassword,
             ShelterName, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Lon},{Lat}"), Drill, _tiles.BaseUrl, .. (screenshot is { Length: > 0 } ? new[] { screenshot } : [])]);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-officer.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-officer.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))} {string.Join("; ", result.GetProperty("pageErrors").EnumerateArray().Select(f => f.GetString()))}");
        Assert.True(_tiles.Served > 0, "the page never asked the fake tile server");
        Assert.True(_tiles.Refused > 0, "the fallback was never put to the test: no tile was refused");
    }
}

/// <summary>
/// A stand-in for an online tile server on loopback (there is no internet here): every <c>/{z}/{x}/{y}.png</c> is one
/// small PNG with CORS, until <c>/fail</c> turns it into a server that answers 503.
/// </summary>
public sealed class FakeTileServer : IDisposable
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
    private readonly HttpListener _listener = new();
    private volatile bool _failing;
    private int _served, _refused;

    public required string BaseUrl { get; init; }
    public int Served => _served;
    public int Refused => _refused;

    public static FakeTileServer Start()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = new FakeTileServer { BaseUrl = $"http://127.0.0.1:{port}/" };
        server._listener.Prefixes.Add(server.BaseUrl);
        server._listener.Start();
        _ = Task.Run(server.ServeAsync);
        return server;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var r = ctx.Response;
            r.Headers["Access-Control-Allow-Origin"] = "*";
            r.Headers["Cache-Control"] = "no-store";
            if (ctx.Request.Url!.AbsolutePath == "/fail")
            {
                _failing = true;
                r.StatusCode = 200;
            }
            else if (_failing)
            {
                Interlocked.Increment(ref _refused);
                r.StatusCode = 503;
            }
            else
            {
                Interlocked.Increment(ref _served);
                r.ContentType = "image/png";
                await r.OutputStream.WriteAsync(Png);
            }
            r.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
