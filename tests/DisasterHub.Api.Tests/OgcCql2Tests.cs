using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 15.2 against the real hub and PostGIS: OGC API – Features Part 3 filtering (CQL2 text, property filters,
/// queryables under the sharing rules), sortby/properties, unknown parameters, item links and extents — and GDAL
/// reading a collection filtered with CQL2.
/// </summary>
public sealed class ogc_filtering_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        // 25 shelters along a line through Nanao: even ones 開設, odd ones 未開設, evacuees 10·i, notes (responders only)
        var items = string.Join(",", Enumerable.Range(0, 25).Select(i =>
            $$"""{"id":"S{{i:00}}","name":"テスト避難所{{i}}","status":"{{(i % 2 == 0 ? "開設" : "未開設")}}","evacuees":{{i * 10}},"notes":"SECRET-{{i}}","lat":{{37.0 + i * 0.001:0.000}},"lon":{{136.9 + i * 0.001:0.000}}}"""));
        var doc = Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{items}}]}""");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, doc)).StatusCode);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<JsonElement> Get(string path, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{path}: {(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement> Problem(string path, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)r.StatusCode} {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var p = JsonDocument.Parse(text).RootElement;
        Assert.Equal(400, p.GetProperty("status").GetInt32());
        return p;
    }

    private static string Q(string filter) => Uri.EscapeDataString(filter);

    private static List<string> Names(JsonElement fc) =>
        [.. fc.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("name").GetString()!)];

    [Theory]
    [InlineData("/ogc/collections/shelters/items?foo=1", "foo")]
    [InlineData("/ogc/collections/merged_shelters/items?Status=開設", "Status")]
    [InlineData("/ogc/collections/merged_shelters/items?limit=5&bboxx=1,2,3,4", "bboxx")]
    [InlineData("/ogc/collections/municipalities/items?filter=name%3D'a'", "filter")]
    [InlineData("/ogc/collections/merged_shelters/items?filter-lang=cql2-json&filter=%7B%7D", "filter-lang")]
    public async Task answer_an_unknown_or_unsupported_parameter_with_400_problem_details_naming_it(string url, string parameter)
    {
        var p = await Problem(url);
        Assert.Equal(parameter, p.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task filter_on_a_queryable_given_as_a_parameter()
    {
        foreach (var collection in new[] { "shelters", "merged_shelters" })
        {
            var fc = await Get($"/ogc/collections/{collection}/items?status={Q("開設")}&limit=100");
            Assert.Equal(13, fc.GetProperty("numberMatched").GetInt32());
            Assert.Equal(13, fc.GetProperty("numberReturned").GetInt32());
            Assert.All(fc.GetProperty("features").EnumerateArray(), f => Assert.Equal("開設", f.GetProperty("properties").GetProperty("status").GetString()));
        }
        Assert.Equal(1, (await Get($"/ogc/collections/shelters/items?status={Q("開設")}&evacuees=40")).GetProperty("numberMatched").GetInt32());
        Assert.Equal("evacuees", (await Problem("/ogc/collections/shelters/items?evacuees=many")).GetProperty("parameter").GetString());
    }

    public static TheoryData<string, int> Filters => new()
    {
        { "status='開設'", 13 },
        { "status <> '開設'", 12 },
        { "NOT status = '開設'", 12 },
        { "evacuees > 100", 14 },
        { "evacuees >= 100 AND evacuees <= 120", 3 },
        { "evacuees < 20", 2 },
        { "evacuees BETWEEN 50 AND 100", 6 },
        { "evacuees NOT BETWEEN 50 AND 100", 19 },
        { "evacuees >= 200 AND status = '開設'", 3 },
        { "status = '開設' OR evacuees < 20", 14 },
        { "(status = '開設' OR evacuees < 20) AND evacuees > 0", 13 },
        { "name LIKE 'テスト避難所1%'", 11 },
        { "name NOT LIKE 'テスト避難所1%'", 14 },
        { "name IN ('テスト避難所1', 'テスト避難所2', 'nope')", 2 },
        { "status NOT IN ('開設')", 12 },
        { "municipality_code IS NOT NULL", 25 },
        { "valid_until IS NULL AND municipality_code = '172022'", 25 },
        { "T_INTERSECTS(observed_at, INTERVAL('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z'))", 25 },
        { "T_INTERSECTS(observed_at, INTERVAL('..', '2026-11-21T23:59:59Z'))", 0 },
        { "T_INTERSECTS(observed_at, TIMESTAMP('2026-11-22T09:00:00+09:00'))", 25 },
        { "T_INTERSECTS(observed_at, DATE('2026-11-22'))", 25 },
        { "T_BEFORE(observed_at, TIMESTAMP('2026-11-22T00:00:01Z'))", 25 },
        { "T_AFTER(observed_at, TIMESTAMP('2026-11-22T00:00:00Z'))", 0 },
        { "T_AFTER(observed_at, INTERVAL('2026-11-01T00:00:00Z', '2026-11-21T00:00:00Z')) AND status = '未開設'", 12 },
        { "observed_at = TIMESTAMP('2026-11-22T00:00:00Z')", 25 },
        { "S_INTERSECTS(geometry, BBOX(136.9045, 37.0045, 136.9095, 37.0095))", 5 },
        { "S_INTERSECTS(geometry, POLYGON((136.9045 37.0045, 136.9095 37.0045, 136.9095 37.0095, 136.9045 37.0095, 136.9045 37.0045)))", 5 },
        { "S_INTERSECTS(geometry, POINT(136.903 37.003))", 1 },
        { "S_EQUALS(geometry, POINT(136.903 37.003)) OR S_WITHIN(geometry, BBOX(136.9045, 37.0045, 136.9095, 37.0095))", 6 },
        { "S_DISJOINT(geometry, BBOX(136.9045, 37.0045, 136.9095, 37.0095)) AND status = '開設'", 11 },
        // values are parameters: a quote inside a string stays in the string
        { "name = 'x'' OR ''1''=''1'", 0 },
        { "name = 'テスト避難所3'' --'", 0 },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task select_with_cql2_text(string filter, int expected)
    {
        var fc = await Get($"/ogc/collections/merged_shelters/items?filter-lang=cql2-text&filter={Q(filter)}&limit=100");
        Assert.Equal(expected, fc.GetProperty("numberMatched").GetInt32());
        Assert.Equal(expected, fc.GetProperty("numberReturned").GetInt32());
    }

    [Theory]
    [InlineData("status = ", "filter", 10, null)]
    [InlineData("status = 'a' AND (", "filter", 19, null)]
    [InlineData("nosuch = 'a'", "filter", 1, "nosuch")]
    [InlineData("status = 'a' OR evacuees > 'many'", "filter", 28, null)]
    [InlineData("evacuees LIKE '1%'", "filter", 10, null)]
    [InlineData("T_AFTER(status, TIMESTAMP('2026-11-22T00:00:00Z'))", "filter", 9, "status")]
    [InlineData("S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))", "filter", 24, null)]
    public async Task answer_a_bad_filter_with_400_naming_the_position_or_property(string filter, string parameter, int position, string? property)
    {
        var p = await Problem($"/ogc/collections/merged_shelters/items?filter={Q(filter)}");
        Assert.Equal(parameter, p.GetProperty("parameter").GetString());
        Assert.Equal(position, p.GetProperty("position").GetInt32());
        Assert.Contains($"position {position}", p.GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (property is not null) Assert.Equal(property, p.GetProperty("property").GetString());
    }

    [Fact]
    public async Task not_let_an_anonymous_caller_filter_or_sort_on_an_attribute_hidden_from_it()
    {
        // notes is classified responders (appsettings Hub:Classification): unknown to the public, usable with read:responders
        var anonymousQueryables = await Get("/ogc/collections/merged_shelters/queryables");
        Assert.False(anonymousQueryables.GetProperty("properties").TryGetProperty("notes", out _));
        Assert.True(anonymousQueryables.GetProperty("properties").TryGetProperty("evacuees", out _));
        var p = await Problem($"/ogc/collections/merged_shelters/items?filter={Q("notes LIKE 'SECRET-1%'")}");
        Assert.Equal("notes", p.GetProperty("property").GetString());
        Assert.Equal("notes", (await Problem("/ogc/collections/merged_shelters/items?notes=SECRET-1")).GetProperty("parameter").GetString());
        Assert.Equal("sortby", (await Problem("/ogc/collections/merged_shelters/items?sortby=notes")).GetProperty("parameter").GetString());
        Assert.Equal("properties", (await Problem("/ogc/collections/merged_shelters/items?properties=notes")).GetProperty("parameter").GetString());

        var responders = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        Assert.True((await Get("/ogc/collections/merged_shelters/queryables", responders)).GetProperty("properties").TryGetProperty("notes", out _));
        var fc = await Get($"/ogc/collections/merged_shelters/items?filter={Q("notes LIKE 'SECRET-1%'")}", responders);
        Assert.Equal(11, fc.GetProperty("numberMatched").GetInt32());
    }

    [Fact]
    public async Task sort_keep_only_the_asked_properties_and_link_each_feature()
    {
        var fc = await Get("/ogc/collections/merged_shelters/items?sortby=-evacuees&limit=3&properties=name,status,evacuees");
        Assert.Equal(["テスト避難所24", "テスト避難所23", "テスト避難所22"], Names(fc));
        var props = fc.GetProperty("features")[0].GetProperty("properties");
        Assert.Equal(["attrs", "name", "status"], props.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["evacuees"], props.GetProperty("attrs").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(["テスト避難所0", "テスト避難所1"], Names(await Get("/ogc/collections/merged_shelters/items?sortby=%2Bevacuees&limit=2")));
        Assert.Equal(["テスト避難所0", "テスト避難所2"], Names(await Get($"/ogc/collections/merged_shelters/items?sortby=status,+evacuees&limit=2&status={Q("開設")}")));

        var feature = fc.GetProperty("features")[0];
        var links = feature.GetProperty("links").EnumerateArray().ToDictionary(l => l.GetProperty("rel").GetString()!, l => l.GetProperty("href").GetString()!);
        Assert.Equal($"{_hub.BaseUrl}ogc/collections/merged_shelters/items/{feature.GetProperty("id").GetString()}", links["self"]);
        Assert.Equal($"{_hub.BaseUrl}ogc/collections/merged_shelters", links["collection"]);
        Assert.Equal(feature.GetProperty("id").GetString(), (await Get(new Uri(links["self"]).PathAndQuery)).GetProperty("id").GetString());

        // paging keeps the filter
        var page1 = await Get($"/ogc/collections/merged_shelters/items?filter={Q("status='開設'")}&limit=10");
        var next = page1.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "next").GetProperty("href").GetString()!;
        var page2 = await Get(new Uri(next).PathAndQuery);
        Assert.Equal(3, page2.GetProperty("numberReturned").GetInt32());
        Assert.Equal(13, Names(page1).Concat(Names(page2)).Distinct().Count());
    }

    [Fact]
    public async Task give_the_filtered_items_as_csv_for_a_spreadsheet()
    {
        var r = await _hub.Http.GetAsync($"/ogc/collections/merged_shelters/items?f=csv&filter={Q("status='開設'")}&sortby=evacuees&limit=10");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/csv", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains(".csv", r.Content.Headers.ContentDisposition?.FileName, StringComparison.Ordinal);
        Assert.Equal("13", r.Headers.GetValues("OGC-NumberMatched").Single());
        Assert.Contains("offset=10", r.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var bytes = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]); // the BOM a spreadsheet needs to read UTF-8
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.Equal(11, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // the header and one page of ten, CRLF
        var rows = DisasterHub.Core.CsvReader.Read(text).ToList();
        var header = rows[0].Fields.ToArray();
        Assert.Equal("id", header[0]);
        Assert.Equal(["lon", "lat", "wkt"], header[^3..]);
        var first = rows[1].Fields.ToArray();
        Assert.Equal("テスト避難所0", first[Array.IndexOf(header, "name")]);
        Assert.Equal("開設", first[Array.IndexOf(header, "status")]);
        Assert.Equal("136.9", first[Array.IndexOf(header, "lon")]);
        Assert.Equal("37", first[Array.IndexOf(header, "lat")]);
        Assert.Equal("POINT (136.9 37)", first[Array.IndexOf(header, "wkt")]);
        Assert.Contains("CC BY 4.0", first[Array.IndexOf(header, "licenses")], StringComparison.Ordinal); // nanao-status's licence
        Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal); // notes are the responders'

        var kept = Encoding.UTF8.GetString(await _hub.Http.GetByteArrayAsync("/ogc/collections/merged_shelters/items?f=csv&properties=name,status&limit=1"));
        Assert.StartsWith("\uFEFFid,name,status,lon,lat,wkt\r\n", kept, StringComparison.Ordinal);
        Assert.Equal("f", (await Problem("/ogc/collections/merged_shelters/items?f=xlsx")).GetProperty("parameter").GetString());
        Assert.Equal("f", (await Problem("/ogc/collections/municipalities/items?f=csv")).GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task give_the_filtered_items_as_a_geopackage_gdal_reads()
    {
        var r = await _hub.Http.GetAsync($"/ogc/collections/merged_shelters/items?f=gpkg&filter={Q("status='開設'")}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/geopackage+sqlite3", r.Content.Headers.ContentType?.MediaType);
        var path = Path.Combine(Path.GetTempPath(), $"items-{Guid.NewGuid():N}.gpkg");
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        try
        {
            var (exit, stdout, stderr) = await Run("ogrinfo", "-ro", "-al", "-geom=NO", path);
            Assert.True(exit == 0, stderr);
            Assert.Contains("Layer name: merged_shelters", stdout, StringComparison.Ordinal);
            Assert.Contains("Feature Count: 13", stdout, StringComparison.Ordinal);
            Assert.Contains("Geometry: Unknown (any)", stdout, StringComparison.Ordinal);
            var statuses = stdout.Split('\n').Where(l => l.TrimStart().StartsWith("status (String) =", StringComparison.Ordinal)).Select(l => l.Split('=', 2)[1].Trim()).ToList();
            Assert.Equal(13, statuses.Count);
            Assert.All(statuses, s => Assert.Equal("開設", s));
            Assert.Contains("CC BY 4.0", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRET", stdout, StringComparison.Ordinal);
            Assert.Contains("Layer name: export_info", stdout, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task carry_each_sources_licence_in_its_items()
    {
        var licenses = (await Get("/ogc/collections/merged_shelters/items?limit=1")).GetProperty("features")[0].GetProperty("properties").GetProperty("licenses");
        var nanao = Assert.Single(licenses.EnumerateArray());
        Assert.Equal("nanao-status", nanao.GetProperty("source").GetString());
        Assert.Equal("CC BY 4.0", nanao.GetProperty("license").GetString());
        Assert.Equal("七尾市", nanao.GetProperty("attribution").GetString());
    }

    [Fact]
    public async Task describe_the_collection_with_its_extent_queryables_and_part_3_conformance()
    {
        var c = await Get("/ogc/collections/merged_shelters");
        Assert.Equal("2026-11-22T00:00:00Z", c.GetProperty("extent").GetProperty("temporal").GetProperty("interval")[0][0].GetString());
        Assert.Contains(c.GetProperty("links").EnumerateArray(), l => l.GetProperty("rel").GetString() == "http://www.opengis.net/def/rel/ogc/1.0/queryables");
        var q = await _hub.Http.GetAsync("/ogc/collections/merged_shelters/queryables");
        Assert.Equal("application/schema+json", q.Content.Headers.ContentType?.MediaType);
        var schema = JsonDocument.Parse(await q.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("status").GetProperty("type").GetString());
        Assert.Equal("date-time", schema.GetProperty("properties").GetProperty("observed_at").GetProperty("format").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.GetAsync("/ogc/collections/nope/queryables")).StatusCode);
        var conformance = (await Get("/ogc/conformance")).GetProperty("conformsTo").EnumerateArray().Select(e => e.GetString()).ToList();
        foreach (var cls in new[] { "ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2", "cql2/1.0/conf/advanced-comparison-operators", "cql2/1.0/conf/basic-spatial-functions" })
            Assert.Contains(conformance, x => x!.EndsWith(cls, StringComparison.Ordinal));
    }

    private static async Task<(int Exit, string Out, string Err)> Run(string file, params string[] args)
    {
        // CPL_DEBUG: on failure, stderr shows each URL GDAL asked for
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, Environment = { ["CPL_DEBUG"] = "ON" } })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task be_filtered_by_gdal_ogrinfo()
    {
        // GDAL's OAPIF driver (Debian's gdal-bin, installed by ./hub) keeps the query of the URL it opens on every request
        // it makes: the filter goes to the hub, which answers only the open shelters. The filter is percent-encoded
        // (Kestrel refuses raw non-ASCII bytes in a request line), as the hub's own next links encode it.
        var (exit, stdout, stderr) = await Run("ogrinfo", "-ro", "-al", "-geom=NO", $"OAPIF:{_hub.BaseUrl}ogc/collections/merged_shelters?filter={Q("status='開設'")}");
        Assert.True(exit == 0, stderr);
        var statuses = stdout.Split('\n').Where(l => l.TrimStart().StartsWith("status (String) =", StringComparison.Ordinal)).Select(l => l.Split('=', 2)[1].Trim()).ToList();
        Assert.Equal(13, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("開設", s));
    }
}
