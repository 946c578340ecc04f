using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Who has not reported (issue 11 item 7): the <c>reporting_status</c> collection lists every municipality of the chosen
/// area with its last report per EEI item (null = never) and its 災害対策本部 status, through real pushes, real HTTP and
/// real PostGIS; and the HQ resource that feeds it.
/// </summary>
public sealed class reporting_status_should : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero); // 09:00 JST
    private readonly FakeTimeProvider _clock = new(T0);
    private HubServer _hub = null!;
    private string _city = null!;      // 七尾市's own key (jurisdiction 172022)
    private string _admin = null!;
    private string _responders = null!;
    private string _reader = null!;    // an operator's read-only key

    public async Task InitializeAsync()
    {
        var s = new Dictionary<string, string?>
        {
            ["Hub:Classification:Layers:damage"] = Classifications.Responders, // damage reports are for responders only
            // this hub starts without the shipped boundaries (the representative-point path); tests import N03 themselves
            ["Hub:Boundaries"] = "none",
        };
        TestSettings.AddPushSources(s, 20, "reporting status",
            ("rs-evac", "cap", Layers.EvacuationOrders), ("rs-warnings", "jma-vpww", Layers.Warnings),
            ("rs-sensors", "jma-vxse", Layers.Sensors), ("rs-damage", "fdma-damage-json", Layers.Damage),
            ("rs-power", "power-push-json", Layers.PowerOutages));
        _hub = await HubServer.StartAsync(s, _clock);
        _city = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders", "push:damage", "push:power_outages");
        _admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        _responders = await _hub.CreateKeyAsync("hub-operator", "read:responders");
        _reader = await _hub.CreateKeyAsync("hub-operator", "read:public");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task Push(string source, string key, string body, string contentType = "application/json", int rejected = 0)
    {
        var r = await _hub.PushAsync(source, key, Encoding.UTF8.GetBytes(body), contentType);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK && text.Contains($"\"rejected\":{rejected},", StringComparison.Ordinal) && !text.Contains("\"accepted\":0", StringComparison.Ordinal),
            $"push to {source}: {(int)r.StatusCode} {text}");
    }

    private async Task<HttpResponseMessage> PutHq(string code, string? key, string body)
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/municipalities/{code}/hq") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await _hub.Http.SendAsync(req);
    }

    private async Task<JsonElement> Get(string url, string? key = null, HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expect, $"GET {url}: {(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static Dictionary<string, JsonElement> ByCode(JsonElement fc) =>
        fc.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("properties"));

    private static string? Str(JsonElement p, string name) => p.GetProperty(name).ValueKind == JsonValueKind.Null ? null : p.GetProperty(name).GetString();

    private static DateTimeOffset? Time(JsonElement p, string name) => Str(p, name) is { } s ? DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    private const string Shelter = """
        {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
          {"id":"RS-1","name":"報告試験避難所","status":"開設","evacuees":12,"capacity":100,"lat":37.04826,"lon":136.96136}]}
        """;

    private const string Power = """
        {"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"RS-P1","municipality_code":"172022","name":"七尾市",
          "customers_out":1500,"customers_served":30000}]}
        """;

    private const string Evacuation = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>RS-CAP-1</identifier><sender>alerts@example.invalid</sender><sent>2026-11-22T09:00:00+09:00</sent>
          <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
          <info><category>Met</category><event>避難指示</event><urgency>Immediate</urgency><severity>Severe</severity>
            <certainty>Observed</certainty><headline>報告試験 避難指示</headline>
            <area><areaDesc>七尾市</areaDesc><geocode><valueName>jisX0402</valueName><value>17202</value></geocode></area></info>
        </alert>
        """;

    private const string Damage = """
        {"report_no":1,"reported_at":"2026-11-22T09:00:00+09:00","disaster_name":"報告試験",
         "municipalities":[{"municipality_code":"172022","municipality_name":"七尾市","deaths":0,"missing":1}]}
        """;

    /// <summary>大雨警報 in 七尾市 (a warning), 大雨注意報 in 輪島市 (only an advisory).</summary>
    private const string Warnings = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
          <Control><Title>気象特別警報・警報・注意報</Title><DateTime>2026-11-22T00:00:30Z</DateTime><Status>通常</Status>
            <EditorialOffice>架空地方気象台</EditorialOffice><PublishingOffice>架空地方気象台</PublishingOffice></Control>
          <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>報告試験</Title>
            <ReportDateTime>2026-11-22T09:00:00+09:00</ReportDateTime><TargetDateTime>2026-11-22T09:00:00+09:00</TargetDateTime>
            <EventID>RS-W</EventID><InfoType>発表</InfoType><Serial/><InfoKind>気象警報・注意報</InfoKind><InfoKindVersion>1.1_0</InfoKindVersion>
            <Headline><Text>架空</Text></Headline></Head>
          <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
            <Warning type="気象警報・注意報（市町村等）">
              <Item><Kind><Name>大雨警報</Name><Code>03</Code><Status>発表</Status></Kind><Area><Name>七尾市</Name><Code>1720200</Code></Area></Item>
              <Item><Kind><Name>大雨注意報</Name><Code>10</Code><Status>発表</Status></Kind><Area><Name>輪島市</Name><Code>1720400</Code></Area></Item>
            </Warning>
          </Body>
        </Report>
        """;

    /// <summary>
    /// 七尾市 sends shelters (T0), evacuation and power (T0+1h) and damage (T0+2h) and sets up its HQ; the other 18
    /// municipalities of 石川県 send nothing; 輪島市's HQ is entered by an operator.
    /// </summary>
    private async Task NanaoReportsAsync()
    {
        await Push("nanao-status", _city, Shelter);
        Assert.Equal(HttpStatusCode.Created, (await PutHq("172022", _city, """{"status":"設置","at":"2026-11-22T08:30:00+09:00"}""")).StatusCode);
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("rs-power", _city, Power);
        await Push("rs-evac", _city, Evacuation, "application/xml");
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("rs-damage", _city, Damage);
        Assert.Equal(HttpStatusCode.Created, (await PutHq("172049", _admin, """{"status":"未設置"}""")).StatusCode);
        _clock.Advance(TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task list_every_municipality_of_a_prefecture_with_its_last_report_per_item_and_its_hq()
    {
        await NanaoReportsAsync();
        var fc = await Get("/ogc/collections/reporting_status/items?pref=17");
        Assert.Equal(19, fc.GetProperty("numberMatched").GetInt32());
        Assert.Equal(19, fc.GetProperty("numberReturned").GetInt32());
        var all = ByCode(fc);
        Assert.Equal(["172014", "172022", "172031", "172049", "172057", "172065", "172073", "172090", "172103", "172111", "172120",
            "173240", "173614", "173657", "173843", "173860", "174076", "174611", "174637"], all.Keys);

        var nanao = all["172022"];
        Assert.Equal("七尾市", Str(nanao, "name"));
        Assert.Equal("石川県", Str(nanao, "prefecture"));
        Assert.Equal(T0, Time(nanao, "shelters_last_report"));
        Assert.Equal(T0.AddHours(1), Time(nanao, "evacuation_last_report"));
        Assert.Equal(T0.AddHours(1), Time(nanao, "lifelines_last_report"));
        Assert.Null(Time(nanao, "damage_last_report"));            // damage is for responders: anonymous callers do not see it
        Assert.Equal(T0.AddHours(1), Time(nanao, "last_report"));
        Assert.Equal(2.0, nanao.GetProperty("hours_since_last_report").GetDouble());
        Assert.Equal(3, nanao.GetProperty("items_reported").GetInt32());
        Assert.Equal("設置", Str(nanao, "hq_status"));
        Assert.Equal(T0.AddMinutes(-30), Time(nanao, "hq_at"));

        var suzu = all["172057"];                                   // sent nothing, no HQ entry
        Assert.Equal("珠洲市", Str(suzu, "name"));
        foreach (var p in new[] { "shelters_last_report", "damage_last_report", "evacuation_last_report", "lifelines_last_report", "last_report", "hours_since_last_report", "hq_status", "hq_at" })
            Assert.Equal(JsonValueKind.Null, suzu.GetProperty(p).ValueKind);
        Assert.Equal(0, suzu.GetProperty("items_reported").GetInt32());

        var wajima = all["172049"];                                 // nothing sent, HQ entered by an operator
        Assert.Null(Time(wajima, "last_report"));
        Assert.Equal("未設置", Str(wajima, "hq_status"));
        Assert.Equal(T0.AddHours(2), Time(wajima, "hq_at"));
        Assert.Equal(17, all.Values.Count(p => p.GetProperty("items_reported").GetInt32() == 0 && p.GetProperty("hq_status").ValueKind == JsonValueKind.Null));

        // without imported boundaries every municipality is its representative point
        Assert.All(fc.GetProperty("features").EnumerateArray(), f => Assert.Equal("Point", f.GetProperty("geometry").GetProperty("type").GetString()));

        // the same area named by its prefecture code or name
        Assert.Equal(19, (await Get("/ogc/collections/reporting_status/items?pref=170003")).GetProperty("numberMatched").GetInt32());
        Assert.Equal(19, (await Get("/ogc/collections/reporting_status/items?pref=" + Uri.EscapeDataString("石川県"))).GetProperty("numberMatched").GetInt32());

        // a responders key sees the damage report; a public read key does not
        var seen = ByCode(await Get("/ogc/collections/reporting_status/items?pref=17", _responders))["172022"];
        Assert.Equal(T0.AddHours(2), Time(seen, "damage_last_report"));
        Assert.Equal(4, seen.GetProperty("items_reported").GetInt32());
        Assert.Equal(1.0, seen.GetProperty("hours_since_last_report").GetDouble());
        Assert.Null(Time(ByCode(await Get("/ogc/collections/reporting_status/items?pref=17", _reader))["172022"], "damage_last_report"));

        // as of T0+30min: only the shelter report had arrived, and the HQ was already set up
        var before = ByCode(await Get("/ogc/collections/reporting_status/items?pref=17&datetime=2026-11-22T00:30:00Z"))["172022"];
        Assert.Equal(T0, Time(before, "shelters_last_report"));
        Assert.Null(Time(before, "lifelines_last_report"));
        Assert.Equal(0.5, before.GetProperty("hours_since_last_report").GetDouble());
        Assert.Equal("設置", Str(before, "hq_status"));

        // one item, paging, and the listing under /ogc/collections
        var one = await Get("/ogc/collections/reporting_status/items/172022");
        Assert.Equal("172022", one.GetProperty("id").GetString());
        var page = await Get("/ogc/collections/reporting_status/items?pref=17&limit=5&offset=15");
        Assert.Equal(4, page.GetProperty("numberReturned").GetInt32());
        Assert.Equal("173860", page.GetProperty("features")[0].GetProperty("id").GetString());
        Assert.Contains((await Get("/ogc/collections")).GetProperty("collections").EnumerateArray(), c => c.GetProperty("id").GetString() == "reporting_status");
    }

    [Fact]
    public async Task choose_the_municipalities_under_a_warning_or_with_intensity_at_least_5_lower()
    {
        await NanaoReportsAsync();
        await Push("rs-warnings", _admin, Warnings, "application/xml");
        var under = ByCode(await Get("/ogc/collections/reporting_status/items?under=warnings"));
        Assert.Equal(["172022"], under.Keys);                     // 輪島市 has only an advisory
        Assert.True(under["172022"].GetProperty("under_warning").GetBoolean());

        // 2024-06-13 大隅半島東方沖: 震度4 in 鹿屋市, 西之表市, 大崎町 and 肝付町, raised here to 5弱 (the real telegram, its 4s made 5-)
        var quake = Encoding.UTF8.GetString(Samples.Bytes("jma-xml/32-35_04_04_240613_VXSE53.xml"))
            .Replace("<MaxInt>4</MaxInt>", "<MaxInt>5-</MaxInt>", StringComparison.Ordinal).Replace("<Int>4</Int>", "<Int>5-</Int>", StringComparison.Ordinal);
        // 10 of its cities carry codes the directory does not know (merged or renumbered since): rejected with a reason
        await Push("rs-sensors", _admin, quake, "application/xml", rejected: 10);
        var strong = ByCode(await Get("/ogc/collections/reporting_status/items?intensity_min=5-"));
        Assert.Equal(["462039", "462136", "464686", "464929"], strong.Keys);
        Assert.Equal(["鹿屋市", "西之表市", "大崎町", "肝付町"], strong.Values.Select(p => Str(p, "name")));
        Assert.All(strong.Values, p => Assert.Equal("5-", Str(p, "max_intensity")));
        Assert.All(strong.Values, p => Assert.Null(Time(p, "last_report"))); // a quake is not the municipality reporting
        Assert.Equal(strong.Keys, ByCode(await Get("/ogc/collections/reporting_status/items?intensity_min=" + Uri.EscapeDataString("5弱"))).Keys);
        Assert.Empty(ByCode(await Get("/ogc/collections/reporting_status/items?intensity_min=5%2B")));
        Assert.Equal(16, ByCode(await Get("/ogc/collections/reporting_status/items?intensity_min=3&pref=46")).Count); // 4 with 震度4 (now 5弱), 12 with 震度3
        // the parts of an area apply together
        Assert.Empty(ByCode(await Get("/ogc/collections/reporting_status/items?intensity_min=5-&pref=17")));
    }

    [Fact]
    public async Task draw_municipalities_as_polygons_choose_them_by_a_drawn_polygon_and_count_a_ward_for_its_city()
    {
        var import = await HubCli.ImportAsync(["boundaries", Samples.Path_("boundaries/N03-21_210101_municipalities_s0001.geojson"), "--db", _hub.Db.ConnectionString], new StringWriter());
        Assert.Equal(0, import);
        await NanaoReportsAsync();

        // a small triangle around 七尾市役所: 七尾市 alone, drawn as its boundary
        const string triangle = "POLYGON((136.95 37.04, 136.97 37.04, 136.96 37.06, 136.95 37.04))";
        var drawn = await Get("/ogc/collections/reporting_status/items?geom=" + Uri.EscapeDataString(triangle));
        var f = Assert.Single(drawn.GetProperty("features").EnumerateArray());
        Assert.Equal("172022", f.GetProperty("id").GetString());
        Assert.Equal("MultiPolygon", f.GetProperty("geometry").GetProperty("type").GetString());
        Assert.True(f.GetProperty("properties").GetProperty("boundary").GetBoolean());
        Assert.Equal(T0, Time(f.GetProperty("properties"), "shelters_last_report"));

        // the same polygon POSTed as GeoJSON
        var posted = await _hub.Http.PostAsync("/ogc/collections/reporting_status/items",
            new StringContent("""{"type":"Polygon","coordinates":[[[136.95,37.04],[136.97,37.04],[136.96,37.06],[136.95,37.04]]]}""", Encoding.UTF8, "application/geo+json"));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(["172022"], ByCode(JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement).Keys);

        // every municipality of 石川県 now has its polygon
        var ishikawa = await Get("/ogc/collections/reporting_status/items?pref=17");
        Assert.All(ishikawa.GetProperty("features").EnumerateArray(), x => Assert.Equal("MultiPolygon", x.GetProperty("geometry").GetProperty("type").GetString()));

        // 札幌市 is drawn by N03 only ward by ward: the city is the union of its ten wards, and a ward's report is the city's
        await Push("nanao-status", _admin, """
            {"municipality_code":"011011","observed_at":"2026-11-22T11:00:00+09:00","shelters":[
              {"id":"RS-SAP","name":"札幌試験避難所","status":"開設","evacuees":3,"lat":43.0621,"lon":141.3544}]}
            """);
        var hokkaido = ByCode(await Get("/ogc/collections/reporting_status/items?pref=01"));
        Assert.Equal(185, hokkaido.Count);
        Assert.DoesNotContain("011011", hokkaido.Keys);             // wards are not listed on their own
        Assert.Equal(T0.AddHours(3), Time(hokkaido["011002"], "shelters_last_report"));
        Assert.True(hokkaido["011002"].GetProperty("boundary").GetBoolean());
        Assert.Equal(10, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_point WHERE parent = '011002'"));
    }

    [Fact]
    public async Task be_readable_by_gdal_ogrinfo()
    {
        await NanaoReportsAsync();
        var psi = new System.Diagnostics.ProcessStartInfo("ogrinfo", ["-ro", "-al", "-q", $"OAPIF:{_hub.BaseUrl}ogc", "reporting_status", "-where", "municipality_code = '172022'"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, error);
        Assert.Contains("name (String) = 七尾市", output, StringComparison.Ordinal);
        Assert.Contains("hq_status (String) = 設置", output, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(output, "OGRFeature"));
    }

    [Fact]
    public async Task keep_hq_history_and_let_a_late_older_entry_not_overturn_a_newer_one()
    {
        var set = await PutHq("172022", _city, """{"status":"設置","at":"2026-11-22T08:00:00+09:00"}""");
        Assert.Equal(HttpStatusCode.Created, set.StatusCode);
        _clock.Advance(TimeSpan.FromMinutes(10));
        var late = await PutHq("17202", _city, """{"status":"未設置","at":"2026-11-22T07:00:00+09:00"}"""); // 5-digit code, older entry
        Assert.Equal(HttpStatusCode.Created, late.StatusCode);
        var body = JsonDocument.Parse(await late.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("設置", body.GetProperty("current").GetProperty("status").GetString());
        Assert.Equal("2026-11-21T23:00:00Z", body.GetProperty("current").GetProperty("at").GetString());
        Assert.Equal(["設置", "未設置"], body.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("status").GetString()));

        _clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal(HttpStatusCode.Created, (await PutHq("172022", _admin, """{"status":"解散"}""")).StatusCode);
        var now = await Get("/api/v1/municipalities/172022/hq");
        Assert.Equal("解散", now.GetProperty("current").GetProperty("status").GetString());
        Assert.Equal("2026-11-22T05:10:00Z", now.GetProperty("current").GetProperty("at").GetString());
        Assert.Equal(3, now.GetProperty("history").GetArrayLength());
        var view = ByCode(await Get("/ogc/collections/reporting_status/items?pref=17"))["172022"];
        Assert.Equal("解散", Str(view, "hq_status"));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'hq' AND organization_id = 'nanao-city'"));
    }

    [Theory]
    [InlineData("172022", null, """{"status":"設置"}""", 401, "parameter", "Authorization")]
    [InlineData("172022", "reader", """{"status":"設置"}""", 403, null, null)]
    [InlineData("172014", "city", """{"status":"設置"}""", 403, null, null)]          // 金沢市 is not 七尾市's
    [InlineData("172021", "city", """{"status":"設置"}""", 400, "parameter", "code")] // wrong check digit
    [InlineData("011011", "admin", """{"status":"設置"}""", 404, "parameter", "code")] // a ward: the city sets up the HQ
    [InlineData("170003", "admin", """{"status":"設置"}""", 404, "parameter", "code")]
    [InlineData("172022", "city", """{"status":"開設"}""", 422, "pointer", "/status")]
    [InlineData("172022", "city", """{"status":"設置","at":"2026-11-22T09:00:00"}""", 422, "pointer", "/at")] // no zone
    [InlineData("172022", "city", """{"status":"設置","at":"2026-11-23T09:00:00+09:00"}""", 422, "pointer", "/at")] // future
    [InlineData("172022", "city", """{"status":"設置",""", 400, "pointer", "")]
    [InlineData("172022", "city", """["設置"]""", 400, "pointer", "")]
    public async Task refuse_a_bad_hq_entry_with_problem_details(string code, string? who, string body, int status, string? member, string? value)
    {
        var key = who switch { "city" => _city, "admin" => _admin, "reader" => _reader, _ => null };
        var r = await PutHq(code, key, body);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode == status, $"{(int)r.StatusCode} {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        if (member is not null) Assert.Equal(value, problem.GetProperty(member).GetString());
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_hq"));
    }

    [Theory]
    [InlineData("pref=99", "pref")]
    [InlineData("pref=172022", "pref")]
    [InlineData("under=advisories", "under")]
    [InlineData("intensity_min=8", "intensity_min")]
    [InlineData("geom=LINESTRING(136%2037,137%2038)", "geom")]
    [InlineData("geom=POLYGON((136%2037", "geom")]
    [InlineData("geom=POLYGON((0%200,1%201,1%200,0%201,0%200))", "geom")] // a bow tie crosses itself
    [InlineData("bbox=137,37,136,38", "bbox")]
    [InlineData("datetime=2026-11-22T00:00:00", "datetime")]
    public async Task refuse_an_area_it_cannot_read_naming_the_parameter(string query, string parameter)
    {
        var problem = await Get("/ogc/collections/reporting_status/items?" + query, expect: HttpStatusCode.BadRequest);
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }
}

/// <summary>
/// The who-has-not-reported view (wwwroot/silence.js) in headless chromium (tools/e2e-silence.mjs) against a real hub
/// with the national boundaries imported: its table lists 七尾市, which reported, and 珠洲市, which sent nothing; the
/// choropleth draws both as polygons; a polygon drawn by clicking the map narrows the table to 七尾市.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class reporting_status_page_should(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync();

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task list_the_silent_and_the_reporting_and_draw_the_choropleth_in_chromium()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} is missing: install the Debian packages `chromium fonts-ipafont-gothic` (./hub does)");
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        Assert.True(node is not null, "node is not on PATH (./hub installs it for the npm assets)");
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "tools", "e2e-silence.mjs"))) root = root.Parent;
        Assert.True(root is not null, "tools/e2e-silence.mjs not found");
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync("/silence.js")).StatusCode);
        Assert.Contains("/silence.js", await _hub.Http.GetStringAsync("/"));

        Assert.Equal(0, await HubCli.ImportAsync(["boundaries", Samples.Path_("boundaries/N03-21_210101_municipalities_s0001.geojson"), "--db", _hub.Db.ConnectionString], new StringWriter()));
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var observed = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var push = await _hub.PushAsync("nanao-status", key, Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observed}}","shelters":[
              {"id":"PG-1","name":"画面試験避難所","status":"開設","evacuees":20,"lat":37.04826,"lon":136.96136}]}
            """));
        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        using (var put = new HttpRequestMessage(HttpMethod.Put, "/api/v1/municipalities/172022/hq") { Content = new StringContent("""{"status":"設置"}""", Encoding.UTF8, "application/json") })
        {
            put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.Created, (await _hub.Http.SendAsync(put)).StatusCode);
        }

        var screenshot = Path.Combine(AppContext.BaseDirectory, "silence-e2e.png");
        File.Delete(screenshot);
        var psi = new System.Diagnostics.ProcessStartInfo(node!, [Path.Combine(root!.FullName, "tools", "e2e-silence.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), screenshot, "172022", "172057", "136.96136,37.04826"])
        {
            WorkingDirectory = root.FullName, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail("e2e-silence.mjs did not finish within 120 s");
            }
        }
        var stdout = await stdoutTask;
        output.WriteLine(stdout);
        output.WriteLine(await stderrTask);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"no JSON from e2e-silence.mjs (exit {p.ExitCode})");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(p.ExitCode == 0, $"e2e-silence.mjs exited {p.ExitCode}: {line}");
        Assert.Empty(result.GetProperty("pageErrors").EnumerateArray());

        var table = result.GetProperty("steps").GetProperty("table");
        Assert.Equal(19, table.GetProperty("rows").GetInt32());                  // every municipality of 石川県, the default area
        var reported = table.GetProperty("reported");
        Assert.Contains("七尾市", reported.GetProperty("name").GetString());
        Assert.NotEqual("未報告", reported.GetProperty("shelters").GetString());
        Assert.Matches(@"\d{1,2}:\d{2}", reported.GetProperty("shelters").GetString());
        Assert.Equal("未報告", reported.GetProperty("damage").GetString());
        Assert.Equal("設置", reported.GetProperty("hq").GetString());
        Assert.False(reported.GetProperty("never").GetBoolean());
        var silent = table.GetProperty("silent");
        Assert.Contains("珠洲市", silent.GetProperty("name").GetString());
        foreach (var item in new[] { "shelters", "damage", "evacuation", "lifelines" }) Assert.Equal("未報告", silent.GetProperty(item).GetString());
        Assert.Equal("—", silent.GetProperty("hq").GetString());
        Assert.True(silent.GetProperty("never").GetBoolean());
        Assert.Equal("未報告 18 / 19", table.GetProperty("count").GetString());

        var choropleth = result.GetProperty("steps").GetProperty("choropleth");
        Assert.Contains("silence-fill", choropleth.GetProperty("layers").EnumerateArray().Select(x => x.GetString()));
        var drawn = choropleth.GetProperty("features");
        Assert.Equal("silence-fill", drawn.GetProperty("172022").GetProperty("layer").GetString());
        Assert.Equal("silence-fill", drawn.GetProperty("172057").GetProperty("layer").GetString());
        Assert.Equal(JsonValueKind.Null, drawn.GetProperty("172057").GetProperty("hours").ValueKind); // grey: never
        Assert.InRange(drawn.GetProperty("172022").GetProperty("hours").GetDouble(), 0, 1);             // reported minutes ago

        var polygon = result.GetProperty("steps").GetProperty("drawn");
        Assert.Equal(3, polygon.GetProperty("vertices").GetInt32());
        Assert.Equal(["172022"], polygon.GetProperty("codes").EnumerateArray().Select(x => x.GetString()));
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 20_000, $"no screenshot at {screenshot}");
    }
}
