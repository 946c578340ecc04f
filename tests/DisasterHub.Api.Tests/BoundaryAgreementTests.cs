using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;
using DisasterHub.Data;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Locations checked against the shipped municipal boundaries (issue 11.3) and pushes against the pusher's
/// jurisdiction by geometry (issue 17.2), through the real push endpoint of a hub that loaded the boundaries at start-up.
/// </summary>
public sealed class boundary_agreement_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _nanaoKey = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(new()
        {
            ["Hub:Sources:40:Id"] = "nanao-alerts",
            ["Hub:Sources:40:Kind"] = "push",
            ["Hub:Sources:40:Format"] = "cap",
            ["Hub:Sources:40:Layer"] = "evacuation_orders",
            ["Hub:Sources:40:OwnerOrg"] = "nanao-city",
        });
        _nanaoKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Shelter(double lat, double lon, string id = "S-1", string code = "172022", string? commonId = null, int evacuees = 5000) =>
        Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"{{code}}","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
          {"id":"{{id}}",{{(commonId is null ? "" : $"\"common_id\":\"{commonId}\",")}}"name":"テスト避難所","status":"開設","evacuees":{{evacuees}},"lat":{{lat.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"lon":{{lon.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}
        ]}
        """);

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private static string[] Reasons(JsonElement body) => [.. body.GetProperty("rejections").EnumerateArray().Select(x => x.GetProperty("reason").GetString()!)];

    private async Task<long> NanaoEvacuees()
    {
        var body = await Json(await _hub.Http.GetAsync("/ogc/collections/municipalities/items?limit=2000"));
        return body.GetProperty("features").EnumerateArray().Where(f => f.GetProperty("properties").GetProperty("municipality_code").GetString() == "172022")
            .Select(f => f.GetProperty("properties").GetProperty("evacuees").GetInt64()).SingleOrDefault();
    }

    [Fact]
    public async Task have_loaded_the_shipped_boundaries_once()
    {
        Assert.Equal(1918, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE source = 'geodata/municipal-boundaries.geojson'"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE code = '131016' AND ST_Contains(geom, ST_SetSRID(ST_MakePoint(139.7671, 35.6812), 4326))"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE code = '011002'")); // 札幌市 = its wards
        var ds = _hub.App.Services.GetRequiredService<NpgsqlDataSource>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await BoundaryStore.EnsureLoadedAsync(ds, DisasterHub.Core.Checks.MunicipalBoundaries.EmbeddedBytes(), BoundaryStore.ShippedSource, DateTimeOffset.UtcNow));
        Assert.True(started.ElapsedMilliseconds < 1000, $"{started.ElapsedMilliseconds} ms to find them loaded");
        var before = await _hub.Db.RowsAsync("SELECT max(imported_at) FROM municipality_boundary");
        await DisasterHub.Api.HubApp.PrepareAsync(_hub.App); // a restart: nothing reloaded
        Assert.Equal(before[0][0], (await _hub.Db.RowsAsync("SELECT max(imported_at) FROM municipality_boundary"))[0][0]);
    }

    [Fact]
    public async Task reject_a_shelter_at_tokyo_station_claiming_nanao_and_name_both_municipalities()
    {
        var r = await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(35.6812, 139.7671));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await Json(r);
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        var reason = Assert.Single(Reasons(body));
        Assert.Contains("172022 七尾市", reason, StringComparison.Ordinal);
        Assert.Contains("131016 千代田区", reason, StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        Assert.Equal(0, await NanaoEvacuees());
        // the same shelter where it is: accepted, and 七尾市's roll-up counts it
        var ok = await Json(await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(37.04826, 136.96136)));
        Assert.Equal(1, ok.GetProperty("accepted").GetInt32());
        Assert.Equal(5000, await NanaoEvacuees());
    }

    [Theory]
    [InlineData(37.5665, 126.9780, "outside service extent")] // Seoul
    [InlineData(30.0, 150.0, "outside service extent")] // the open Pacific
    [InlineData(36.5613, 136.6562, "172014 金沢市")] // 金沢市, a neighbour 50 km away
    public async Task reject_points_elsewhere_under_a_nanao_key(double lat, double lon, string expected)
    {
        var body = await Json(await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(lat, lon)));
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        Assert.Contains(expected, Assert.Single(Reasons(body)), StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
    }

    [Fact]
    public async Task accept_a_point_just_offshore_within_the_tolerance()
    {
        // 七尾湾 about 1 km off the simplified coastline: the simplification moves coasts by that much.
        var body = await Json(await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(37.0600, 137.0000)));
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
    }

    private static byte[] Cap(string polygon, string code = "17202") => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>NANAO-{Guid.NewGuid():N}</identifier><sender>nanao@example.invalid</sender>
          <sent>2026-11-22T09:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
          <info><language>ja-JP</language><category>Met</category><event>避難指示</event>
            <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
            <area><areaDesc>テスト地区</areaDesc><polygon>{polygon}</polygon>
              <geocode><valueName>jisX0402</valueName><value>{code}</value></geocode></area>
          </info>
        </alert>
        """);

    [Fact]
    public async Task reject_an_evacuation_polygon_reaching_beyond_the_jurisdiction()
    {
        // all of Japan
        var japan = await Json(await _hub.PushAsync("nanao-alerts", _nanaoKey, Cap("24,122 46,122 46,146 24,146 24,122"), "application/xml"));
        Assert.Equal(0, japan.GetProperty("accepted").GetInt32());
        // from 金沢市 to 七尾市, inside the service extent, claiming 七尾市
        var ishikawa = await Json(await _hub.PushAsync("nanao-alerts", _nanaoKey, Cap("36.6,136.7 37.2,136.7 37.2,137.0 36.6,137.0 36.6,136.7"), "application/xml"));
        Assert.Equal(0, ishikawa.GetProperty("accepted").GetInt32());
        Assert.Contains("172022 七尾市", Assert.Single(Reasons(ishikawa)), StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        // a polygon in 七尾市's centre is fine
        var inside = await Json(await _hub.PushAsync("nanao-alerts", _nanaoKey, Cap("37.03,136.95 37.05,136.95 37.05,136.98 37.03,136.98 37.03,136.95"), "application/xml"));
        Assert.Equal(1, inside.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task not_let_a_push_take_over_another_municipalitys_shelter_id()
    {
        // 千代田区's national shelter ID (共通ID E13101…), pushed by 七尾市 at a point in 七尾市
        var body = await Json(await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(37.04826, 136.96136, id: "E1310100005112", commonId: "E1310100005112")));
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        var reason = Assert.Single(Reasons(body));
        Assert.Contains("131016 千代田区", reason, StringComparison.Ordinal);
        Assert.Contains("172022 七尾市", reason, StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE entity_key = 'E1310100005112'"));
        Assert.Equal(0, await NanaoEvacuees());
        // the same push claiming 千代田区 is outside 七尾市's jurisdiction
        var claimed = await Json(await _hub.PushAsync("nanao-status", _nanaoKey, Shelter(35.6812, 139.7671, id: "E1310100005112", code: "131016", commonId: "E1310100005112")));
        Assert.Equal(0, claimed.GetProperty("accepted").GetInt32());
        Assert.Contains("jurisdiction", Assert.Single(Reasons(claimed)), StringComparison.Ordinal);
    }
}
