using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 12: isolated-community candidates derived where a road closure, a telecom outage and a power outage cut off a
/// place people are — marked derived, never reported, and resolved when the cut ends.
/// </summary>
public sealed class isolation_deriver_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        var s = TestSettings.AddPushSources([], 10, "isolation",
            ("nanao-roads", "road_closures.geojson", "road_closures"), ("nanao-telecom", "telecom_outages.geojson", "telecom_outages"),
            ("nanao-power", "power_outages.geojson", "power_outages"), ("nanao-places", "shelters.geojson", "shelters"));
        s["Hub:Derived:IsolationSeconds"] = "0"; // the test runs the passes itself
        _hub = await HubServer.StartAsync(s);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:road_closures", "push:telecom_outages", "push:power_outages", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task PushAsync(string source, string geometry, string properties)
    {
        var doc = $$"""{"type":"FeatureCollection","features":[{"type":"Feature","id":"{{source}}-1","geometry":{{geometry}},"properties":{{properties}}}]}""";
        var r = await _hub.PushAsync(source, _key, Encoding.UTF8.GetBytes(doc), "application/geo+json");
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private const string Area = """{"type":"Polygon","coordinates":[[[137.00,37.10],[137.02,37.10],[137.02,37.13],[137.00,37.13],[137.00,37.10]]]}""";

    private async Task<List<JsonElement>> CandidatesAsync() =>
        [.. JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_isolated_communities/items")).RootElement.GetProperty("features").EnumerateArray()];

    [Fact]
    public async Task derive_a_candidate_where_closure_telecom_and_power_outages_meet_and_resolve_it_when_the_road_opens()
    {
        await PushAsync("nanao-places", """{"type":"Point","coordinates":[137.01,37.115]}""",
            """{"name":"能登島向田公民館","municipality_code":"172022","status":"開設","evacuees":30}""");
        await PushAsync("nanao-roads", """{"type":"LineString","coordinates":[[137.012,37.105],[137.018,37.108]]}""",
            """{"name":"能登島大橋","municipality_code":"172022","status":"規制中","severity":3,"regulation":"通行止(異常気象等)"}""");
        await PushAsync("nanao-telecom", Area, """{"name":"能登島","municipality_code":"172022","status":"サービス停止","severity":2,"carrier":"演習モバイル","service":"携帯電話"}""");
        var deriver = _hub.App.Services.GetRequiredService<IsolationDeriver>();

        // two of three: no candidate
        Assert.Equal((0, 0), await deriver.RunOnceAsync("live", CancellationToken.None));
        Assert.Empty(await CandidatesAsync());

        await PushAsync("nanao-power", Area, """{"name":"能登島","municipality_code":"172022","status":"停電中","severity":2,"customers_out":300}""");
        Assert.Equal((1, 0), await deriver.RunOnceAsync("live", CancellationToken.None));
        var candidate = Assert.Single(await CandidatesAsync()).GetProperty("properties");
        Assert.Equal("孤立のおそれ", candidate.GetProperty("status").GetString());
        Assert.Equal(["hub-derived-isolation"], candidate.GetProperty("sources").EnumerateArray().Select(x => x.GetString()));
        var attrs = candidate.GetProperty("attrs");
        Assert.True(attrs.GetProperty("derived").GetBoolean());
        var from = attrs.GetProperty("derived_from").EnumerateArray().Select(x => x.GetString()!).ToList();
        Assert.Contains(from, f => f.StartsWith("road_closures:", StringComparison.Ordinal));
        Assert.Contains(from, f => f.StartsWith("telecom_outages:", StringComparison.Ordinal));
        Assert.Contains(from, f => f.StartsWith("power_outages:", StringComparison.Ordinal));

        // the road opens: the candidate is resolved, not deleted
        await PushAsync("nanao-roads", """{"type":"LineString","coordinates":[[137.012,37.105],[137.018,37.108]]}""",
            """{"name":"能登島大橋","municipality_code":"172022","status":"解除","severity":0,"regulation":"通行止(異常気象等)"}""");
        Assert.Equal((0, 1), await deriver.RunOnceAsync("live", CancellationToken.None));
        Assert.Equal(0L, await _hub.Db.ScalarAsync("SELECT count(*) FROM rejection")); // the resolution itself is a valid record
        Assert.Equal("解消", Assert.Single(await CandidatesAsync()).GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal((0, 0), await deriver.RunOnceAsync("live", CancellationToken.None));
    }
}
