using System.Net;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>A source silent for longer than its expected interval turns stale on every read path.</summary>
public sealed class staleness_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(TestSettings.AddPrefecturePusher(new()
        {
            ["Hub:Sources:1:Id"] = "nanao-status", ["Hub:Sources:1:ExpectedIntervalSeconds"] = "600",
            ["Hub:Sources:19:ExpectedIntervalSeconds"] = "600",
            ["Hub:ExpirySeconds"] = "0",   // no background pass: the tests run ExpiryService's pass themselves
        }), _clock);
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, push_endpoint_should.StatusDoc())).StatusCode);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<(bool Feature, bool Source, long? Lag)> Read()
    {
        var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/shelters/items")).RootElement;
        var feature = fc.GetProperty("features")[0].GetProperty("properties").GetProperty("stale").GetBoolean();
        var sources = JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/sources")).RootElement.GetProperty("sources");
        var s = sources.EnumerateArray().Single(x => x.GetProperty("id").GetString() == "nanao-status");
        return (feature, s.GetProperty("stale").GetBoolean(), s.GetProperty("lag_seconds").ValueKind == JsonValueKind.Null ? null : s.GetProperty("lag_seconds").GetInt64());
    }

    [Fact]
    public async Task turn_stale_within_one_expected_interval_of_silence()
    {
        Assert.Equal((false, false, 0L), await Read());
        _clock.Advance(TimeSpan.FromSeconds(599));
        Assert.Equal((false, false, 599L), await Read());
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((true, true, 601L), await Read());
    }

    /// <summary>
    /// A merged record is stale only when every source reporting it is: with the city silent, the prefecture's report
    /// of the same shelter keeps it fresh. (The city is the record's first source: a read that looked only at the
    /// first would call it stale.)
    /// </summary>
    [Fact]
    public async Task keep_a_shelter_two_sources_report_fresh_until_both_are_silent()
    {
        _clock.Advance(TimeSpan.FromSeconds(300));
        var prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
        var r = await _hub.PushAsync("pref-status", prefKey, push_endpoint_should.StatusDoc(observedAt: "2026-11-22T09:05:00+09:00"));
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        async Task<(string Sources, bool Stale)> Merged()
        {
            var p = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items")).RootElement
                .GetProperty("features").EnumerateArray().Single().GetProperty("properties");
            return (string.Join(',', p.GetProperty("sources").EnumerateArray().Select(x => x.GetString())), p.GetProperty("stale").GetBoolean());
        }
        Assert.Equal(("nanao-status,pref-status", false), await Merged());
        _clock.Advance(TimeSpan.FromSeconds(301));   // the city silent for 601 s, the prefecture for 301 s
        Assert.Equal(("nanao-status,pref-status", false), await Merged());
        _clock.Advance(TimeSpan.FromSeconds(300));   // both past their 600 s
        Assert.Equal(("nanao-status,pref-status", true), await Merged());
    }

    /// <summary>
    /// Cached tiles carry each record's stale flag, and nothing is written when a source merely falls silent, or comes
    /// back with a pull answered 304 Not Modified. ExpiryService's pass notices both and drops the cached tiles, so the
    /// next tile is drawn with the flag as it now is.
    /// </summary>
    [Fact]
    public async Task draw_tiles_again_when_a_source_turns_stale_or_fresh_by_the_clock_alone()
    {
        var expiry = _hub.App.Services.GetRequiredService<DisasterHub.Ingestion.ExpiryService>();
        await expiry.RunOnceAsync(CancellationToken.None);   // the state the pass compares with
        var (x, y) = TestSettings.TileOf(136.96136, 37.04826, 14);
        async Task<string> Tile()
        {
            var r = await _hub.Http.GetAsync($"/tiles/merged/14/{x}/{y}.mvt");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return r.Headers.GetValues("X-Tile-Cache").Single();
        }
        Assert.Equal("miss", await Tile());
        Assert.Equal("hit", await Tile());

        _clock.Advance(TimeSpan.FromSeconds(601));             // silent past its expected interval: stale
        await expiry.RunOnceAsync(CancellationToken.None);
        Assert.Equal("miss", await Tile());
        Assert.Equal("hit", await Tile());

        // a pull answered 304 Not Modified: the source is fresh again and nothing is ingested (so nothing published)
        await _hub.Db.RowsAsync("UPDATE source SET last_success_at = @now WHERE id = 'nanao-status' RETURNING id", ("now", _clock.GetUtcNow().UtcDateTime));
        Assert.Equal("hit", await Tile());
        await expiry.RunOnceAsync(CancellationToken.None);
        Assert.Equal("miss", await Tile());
    }
}

