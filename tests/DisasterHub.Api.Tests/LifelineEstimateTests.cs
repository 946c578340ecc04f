using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 12 items 4 and 5: a lifeline's restoration estimate kept as history with who posted each revision, flagged
/// when it slips past the margin or passes without restoration — in the estimates endpoint and the roll-up, which
/// also sums what the catalogue says each layer contributes.
/// </summary>
public sealed class lifeline_estimates_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 2, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        var s = TestSettings.AddPushSources([], 10, "lifeline", ("nanao-water", "water_outages.geojson", "water_outages"));
        s["Hub:Lifelines:SlipMarginMinutes"] = "120";
        _hub = await HubServer.StartAsync(s, _clock);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:water_outages");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task PushAsync(string observed, string eta, string status, int householdsOut)
    {
        var doc = $$$"""
            {"type":"FeatureCollection","features":[{"type":"Feature","id":"W-CENTRAL","geometry":{"type":"Polygon","coordinates":[[[136.94,37.03],[136.99,37.03],[136.99,37.06],[136.94,37.06],[136.94,37.03]]]},
              "properties":{"name":"七尾市 中心部","municipality_code":"172022","status":"{{{status}}}","severity":{{{(status == "復旧" ? 0 : 2)}}},"households_out":{{{householdsOut}}},
                            "operator":"七尾市上下水道部","observed_at":"{{{observed}}}","restoration_eta":"{{{eta}}}"}}]}
            """;
        var r = await _hub.PushAsync("nanao-water", _key, Encoding.UTF8.GetBytes(doc), "application/geo+json");
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> GetAsync(string path) => JsonDocument.Parse(await _hub.Http.GetStringAsync(path)).RootElement;

    private async Task<JsonElement> NanaoAsync() => (await GetAsync("/ogc/collections/municipalities/items?limit=2000")).GetProperty("features").EnumerateArray()
        .Single(f => f.GetProperty("properties").GetProperty("municipality_code").GetString() == "172022").GetProperty("properties");

    [Fact]
    public async Task list_each_revision_with_who_posted_it_and_flag_slips_and_overdue_estimates()
    {
        await PushAsync("2026-12-05T00:00:00Z", "2026-12-05T06:00:00Z", "供給停止", 1000);
        await PushAsync("2026-12-05T01:00:00Z", "2026-12-05T09:00:00Z", "供給停止", 800); // slipped 3 h
        await PushAsync("2026-12-05T01:30:00Z", "2026-12-05T09:00:00Z", "供給停止", 700); // same estimate: not a revision

        var item = (await GetAsync("/ogc/collections/merged_water_outages/items")).GetProperty("features")[0].GetProperty("properties");
        var entity = Uri.EscapeDataString(item.GetProperty("entity_key").GetString()!);
        var e = await GetAsync($"/api/v1/lifelines/water_outages/{entity}/estimates");
        var revisions = e.GetProperty("revisions").EnumerateArray().ToList();
        Assert.Equal(2, revisions.Count);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero), revisions[0].GetProperty("restoration_eta").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero), revisions[1].GetProperty("restoration_eta").GetDateTimeOffset());
        Assert.All(revisions, r => Assert.Equal("nanao-city", r.GetProperty("organization").GetString()));
        Assert.All(revisions, r => Assert.Equal("nanao-water", r.GetProperty("source").GetString()));
        Assert.True(e.GetProperty("slipped").GetBoolean());
        Assert.Equal(180, e.GetProperty("slip_minutes").GetInt64());
        Assert.False(e.GetProperty("overdue").GetBoolean());

        // the roll-up sums what the catalogue says water outages contribute
        var water = (await NanaoAsync()).GetProperty("layers").GetProperty("water_outages");
        Assert.Equal(700, water.GetProperty("households_out").GetInt64());
        Assert.Equal(0, water.GetProperty("overdue_estimates").GetInt64());

        // past the estimate without restoration: overdue, in the endpoint and the roll-up
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero));
        Assert.True((await GetAsync($"/api/v1/lifelines/water_outages/{entity}/estimates")).GetProperty("overdue").GetBoolean());
        var nanao = await NanaoAsync();
        Assert.Equal(1, nanao.GetProperty("layers").GetProperty("water_outages").GetProperty("overdue_estimates").GetInt64());
        Assert.Equal(1, nanao.GetProperty("overdue_estimates").GetInt64());

        // restored: no longer overdue
        await PushAsync("2026-12-05T09:55:00Z", "2026-12-05T09:50:00Z", "復旧", 0);
        Assert.False((await GetAsync($"/api/v1/lifelines/water_outages/{entity}/estimates")).GetProperty("overdue").GetBoolean());
        Assert.Equal(0, (await NanaoAsync()).GetProperty("overdue_estimates").GetInt64());

        var notLifeline = await _hub.Http.GetAsync($"/api/v1/lifelines/shelters/{entity}/estimates");
        Assert.Equal(HttpStatusCode.NotFound, notLifeline.StatusCode);
        Assert.Equal("application/problem+json", notLifeline.Content.Headers.ContentType?.MediaType);
    }
}
