using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 18: JMA 防災情報XML followed the way JMA publishes it — Atom feeds whose entries link to telegrams — from the
/// simulator serving the real sample telegrams (<c>../shared/samples/jma-xml</c>) and its own, over loopback HTTP,
/// through the job the scheduler runs: publication order, the telegram types each source takes, each telegram once,
/// the cursor, the long-period feed after an outage, the gap it cannot fill, and what operators see.
/// </summary>
public sealed class jma_atom_follower_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _simClock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private WebApplication _sim = null!;
    private Uri _simUrl = null!;
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        // the high-frequency feeds hold the latest 4 entries, as JMA's hold the latest minutes; the _l feeds hold all
        _sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--JmaSamples", Samples.Path_("jma-xml"), "--JmaFeedSize", "4"], _simClock, TimeSpan.FromMinutes(1));
        await _sim.StartAsync();
        _simUrl = new Uri(_sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var s = new Dictionary<string, string?> { ["Hub:SimulatorUrl"] = _simUrl.ToString().TrimEnd('/') };
        void Source(int i, string id, string layer, string feed, string? backfill, params string[] telegrams)
        {
            s[$"Hub:Sources:{i}:Id"] = id;
            s[$"Hub:Sources:{i}:Kind"] = "pull";
            s[$"Hub:Sources:{i}:Format"] = "jma-atom";
            s[$"Hub:Sources:{i}:Layer"] = layer;
            s[$"Hub:Sources:{i}:Url"] = "{simulator}/feeds/jma/" + feed;
            s[$"Hub:Sources:{i}:Internal"] = "true";
            s[$"Hub:Sources:{i}:OwnerOrg"] = "";
            if (backfill is not null) s[$"Hub:Sources:{i}:BackfillUrl"] = "{simulator}/feeds/jma/" + backfill;
            for (var t = 0; t < telegrams.Length; t++) s[$"Hub:Sources:{i}:Telegrams:{t}"] = telegrams[t];
        }
        Source(10, "jma-quakes", "sensors", "eqvol_l.xml", null, "VXSE5*");
        Source(11, "jma-warn", "warnings", "extra.xml", "extra_l.xml", "VPWW5*");
        Source(12, "jma-warn-nobackfill", "warnings", "extra.xml", null, "VPWW5*");
        // AMeDAS as JMA's bosai site serves it: latest_time.txt names the map file of the time
        s["Hub:Sources:13:Id"] = "amedas-pointer";
        s["Hub:Sources:13:Kind"] = "pull";
        s["Hub:Sources:13:Format"] = "jma-amedas";
        s["Hub:Sources:13:Layer"] = "sensors";
        s["Hub:Sources:13:PointerUrl"] = "{simulator}/feeds/amedas/latest_time.txt";
        s["Hub:Sources:13:PointerStepSeconds"] = "60";
        s["Hub:Sources:13:Url"] = "{simulator}/feeds/amedas/map/{time:yyyyMMddHHmmss}.json";
        s["Hub:Sources:13:Companions:amedastable.json"] = "{simulator}/feeds/amedastable.json";
        s["Hub:Sources:13:Internal"] = "true";
        s["Hub:Sources:13:OwnerOrg"] = "";
        // an outage map's current-state pointer (Kubra-style) naming the files of the current state
        s["Hub:Sources:14:Id"] = "power-pointer";
        s["Hub:Sources:14:Kind"] = "pull";
        s["Hub:Sources:14:Format"] = "power-push-json";
        s["Hub:Sources:14:Layer"] = "power_outages";
        s["Hub:Sources:14:PointerUrl"] = "{simulator}/feeds/power/currentState";
        s["Hub:Sources:14:PointerField"] = "data.interval_generation_data";
        s["Hub:Sources:14:Url"] = "{simulator}/feeds/power/{pointer}/outages.json";
        s["Hub:Sources:14:Internal"] = "true";
        s["Hub:Sources:14:OwnerOrg"] = "";
        _hub = await HubServer.StartAsync(s);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _sim.StopAsync();
        await _sim.DisposeAsync();
    }

    private Task<IngestOutcome?> PullAsync(string source) => _hub.PullAsync(source);

    /// <summary>The telegram file names a source took, in the order it stored them.</summary>
    private async Task<List<string>> Taken(string source) =>
        [.. (await _hub.Db.RowsAsync("SELECT fetch_url FROM raw_document WHERE source_id = @s ORDER BY id", ("s", source)))
            .Select(r => Path.GetFileName((string)r[0]!))];

    private async Task<JsonElement> SourceRow(string id, HttpClient? http = null) =>
        JsonDocument.Parse(await (http ?? _hub.Http).GetStringAsync("/api/v1/sources")).RootElement.GetProperty("sources").EnumerateArray()
            .Single(x => x.GetProperty("id").GetString() == id);

    /// <summary>
    /// Issue 14 §2: a follower's settings live on the source row. Sources created through <c>POST /api/v1/sources</c>
    /// — a JMA Atom feed taking only 震度 telegrams, and an AMeDAS pointer feed with its companion table — are followed
    /// as the configured ones are, without configuration; a malformed setting is refused naming it.
    /// </summary>
    [Fact]
    public async Task follow_sources_created_through_the_api()
    {
        using var admin = _hub.ClientFor(await _hub.CreateKeyAsync("ops", "admin"));
        var sim = _simUrl.ToString().TrimEnd('/');
        var quakes = await admin.PostAsJsonAsync("/api/v1/sources", new
        {
            id = "api-quakes", kind = "pull", format = "jma-atom", layer = "sensors", url = $"{sim}/feeds/jma/eqvol_l.xml", @internal = true,
            follow = new { telegrams = new[] { "VXSE5*" } },
        });
        Assert.True(quakes.StatusCode == HttpStatusCode.Created, await quakes.Content.ReadAsStringAsync());
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("api-quakes"))!.Status);
        var taken = await Taken("api-quakes");
        Assert.Equal(8, taken.Count);
        Assert.All(taken, t => Assert.Contains("_VXSE5", t, StringComparison.Ordinal)); // the tsunami telegram is not this source's type

        var amedas = await admin.PostAsJsonAsync("/api/v1/sources", new
        {
            id = "api-amedas", kind = "pull", format = "jma-amedas", layer = "sensors", url = $"{sim}/feeds/amedas/map/{{time:yyyyMMddHHmmss}}.json", @internal = true,
            follow = new { pointer_url = $"{sim}/feeds/amedas/latest_time.txt", pointer_step_seconds = 60 },
            companions = new Dictionary<string, string> { ["amedastable.json"] = $"{sim}/feeds/amedastable.json" },
        });
        Assert.True(amedas.StatusCode == HttpStatusCode.Created, await amedas.Content.ReadAsStringAsync());
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("api-amedas"))!.Status);
        Assert.Equal(["20261122090000.json"], await Taken("api-amedas"));
        var listed = (await SourceRow("api-amedas", admin)).GetProperty("follow");
        Assert.Equal($"{sim}/feeds/amedas/latest_time.txt", listed.GetProperty("pointer_url").GetString());
        Assert.Equal(60, listed.GetProperty("pointer_step_seconds").GetInt32());

        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { follow = new { telegrams = new[] { "quakes please" } } }, "follow/telegrams"),
            (new { follow = new { pointer_url = "ftp://example.org/latest" } }, "follow/pointer_url"),
            (new { companions = new Dictionary<string, string> { ["amedastable.json"] = "not a url" } }, "companions/amedastable.json"),
            (new { exercise_workspace = "no-such-drill" }, "exercise_workspace"),
        })
        {
            var refused = await admin.PatchAsJsonAsync("/api/v1/sources/api-amedas", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal(field, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("parameter").GetString());
        }
    }

    [Fact]
    public async Task take_each_telegram_of_its_types_once_in_publication_order()
    {
        var first = await PullAsync("jma-quakes");
        Assert.NotNull(first);
        Assert.Equal(IngestStatus.Ingested, first.Status);
        // the seven 震度速報/震源 samples by their Control/DateTime (2008 … 2022), then the scenario's own 震度速報 (its
        // start); the tsunami telegram in the same feed is not this source's type
        Assert.Equal(
        [
            "32-35_06_06_100915_VXSE53.xml", "32-35_01_01_100806_VXSE51.xml", "32-35_01_02_240613_VXSE52.xml", "32-35_01_03_100514_VXSE53.xml",
            "32-35_04_01_100831_VXSE51.xml", "32-35_04_04_240613_VXSE53.xml", "32-35_10_01_220510_VXSE51.xml", "20261122000000_0_VXSE51_.xml",
        ], await Taken("jma-quakes"));

        // again: the feed answers 304, nothing is fetched or stored twice
        Assert.Equal(IngestStatus.Unchanged, (await PullAsync("jma-quakes"))!.Status);
        Assert.Equal(8, (await Taken("jma-quakes")).Count);

        // what operators see: the cursor (time|id of the last entry), the counts and the publication-to-map delay
        var row = await SourceRow("jma-quakes");
        Assert.StartsWith("2026-11-22T00:00:00Z|", row.GetProperty("cursor").GetString(), StringComparison.Ordinal);
        var follower = row.GetProperty("follower");
        Assert.Equal(9, follower.GetProperty("entries_seen").GetInt64()); // the tsunami entry was seen, not taken
        Assert.Equal(8, follower.GetProperty("fetched").GetInt64());
        Assert.Equal(0, follower.GetProperty("duplicates_skipped").GetInt64());
        Assert.True(follower.GetProperty("publication_to_map_ms").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, follower.GetProperty("gap_since").ValueKind);
    }

    [Fact]
    public async Task backfill_from_the_long_period_feed_after_an_outage_and_report_what_it_cannot()
    {
        // the first pull: the scenario's first warning telegram and the 2011–2021 VPWW samples the feed still lists
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("jma-warn"))!.Status);
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("jma-warn-nobackfill"))!.Status);
        var before = (await Taken("jma-warn")).Count;

        // an outage: ten 続報 are published while the hub does not pull; the high-frequency feed now lists only the last 4
        _simClock.Advance(TimeSpan.FromSeconds(30));
        using (var r = await new HttpClient().PostAsync(new Uri(_simUrl, "/control/jma/burst?count=10"), null))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        _simClock.Advance(TimeSpan.FromSeconds(30));

        var back = await PullAsync("jma-warn");
        Assert.NotNull(back);
        var taken = (await Taken("jma-warn"))[before..];
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"_{i}_VPWW54_170000.xml").ToArray(), taken.Select(n => n[n.IndexOf('_')..]).ToArray());
        Assert.Equal(JsonValueKind.Null, (await SourceRow("jma-warn")).GetProperty("follower").GetProperty("gap_since").ValueKind);

        // without a long-period feed the six the feed no longer lists are a gap, reported on the source
        await PullAsync("jma-warn-nobackfill");
        var gapped = await SourceRow("jma-warn-nobackfill");
        Assert.Equal(4, (await Taken("jma-warn-nobackfill")).Count(n => n.Contains("_VPWW54_170000", StringComparison.Ordinal) && !n.Contains("_0_", StringComparison.Ordinal)));
        Assert.NotEqual(JsonValueKind.Null, gapped.GetProperty("follower").GetProperty("gap_since").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, gapped.GetProperty("follower").GetProperty("gap_until").ValueKind);
    }

    [Fact]
    public async Task follow_the_amedas_latest_time_pointer_and_take_each_time_missed_in_order()
    {
        var first = await PullAsync("amedas-pointer");
        Assert.True(first is { Status: IngestStatus.Ingested, Accepted: > 0, Rejected: 0 }, $"{first?.Status} {first?.Accepted} {first?.Rejected}");
        Assert.Equal(["20261122090000.json"], await Taken("amedas-pointer")); // step 0, named in JST
        Assert.Equal(IngestStatus.Unchanged, (await PullAsync("amedas-pointer"))!.Status); // the pointer has not moved

        // three steps without a pull: the next one takes each map in between, oldest first
        _simClock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("amedas-pointer"))!.Status);
        Assert.Equal(["20261122090000.json", "20261122090100.json", "20261122090200.json", "20261122090300.json"], await Taken("amedas-pointer"));
        var row = await SourceRow("amedas-pointer");
        Assert.Equal("2026-11-22T00:03:00Z", row.GetProperty("cursor").GetString());
        Assert.Equal(4, row.GetProperty("follower").GetProperty("fetched").GetInt64());
    }

    [Fact]
    public async Task follow_an_outage_maps_current_state_pointer()
    {
        var first = await PullAsync("power-pointer");
        Assert.True(first is { Status: IngestStatus.Ingested, Accepted: > 0, Rejected: 0 }, $"{first?.Status} {first?.Accepted} {first?.Rejected}");
        Assert.Equal("data/20261122000000", (await SourceRow("power-pointer")).GetProperty("cursor").GetString());
        Assert.Equal(IngestStatus.Unchanged, (await PullAsync("power-pointer"))!.Status); // the same state: not fetched again
        _simClock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("power-pointer"))!.Status);
        Assert.Equal("data/20261122000200", (await SourceRow("power-pointer")).GetProperty("cursor").GetString());
        Assert.Equal(["outages.json", "outages.json"], await Taken("power-pointer"));
    }

    [Fact]
    public async Task keep_a_telegram_already_taken_out_and_move_on()
    {
        await PullAsync("jma-warn");
        var cursor = (await SourceRow("jma-warn")).GetProperty("cursor").GetString();
        // the cursor lost (a restore from an old backup): every entry comes again, none is stored twice
        await _hub.Db.ScalarAsync("WITH u AS (UPDATE source SET cursor = NULL, last_etag = NULL, last_modified = NULL WHERE id = 'jma-warn' RETURNING 1) SELECT count(*) FROM u");
        var taken = (await Taken("jma-warn")).Count;
        var again = await PullAsync("jma-warn");
        Assert.Equal(IngestStatus.Unchanged, again!.Status);
        Assert.Equal(taken, (await Taken("jma-warn")).Count);
        var row = await SourceRow("jma-warn");
        Assert.Equal(taken, row.GetProperty("follower").GetProperty("duplicates_skipped").GetInt64());
        Assert.Equal(cursor, row.GetProperty("cursor").GetString());
    }
}
