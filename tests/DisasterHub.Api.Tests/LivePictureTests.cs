using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 11 §1, §2, §4 through the real push and pull paths: exercises and tests kept out of live (and found where
/// the source routes them), validity honoured on live reads with as-of reads showing what was valid and an
/// <c>expired</c> event when it lapses, and a stale priority value losing to a fresh one with a visible conflict.
/// </summary>
public sealed class live_picture_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private WebApplication _feed = null!;
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;
    private const double Lon = 136.95, Lat = 37.05;

    public async Task InitializeAsync()
    {
        // a feed server for the pull path: the real 訓練 telegram from ../shared/samples, read from there
        var b = WebApplication.CreateSlimBuilder();
        b.WebHost.UseUrls("http://127.0.0.1:0");
        _feed = b.Build();
        var telegram = Samples.Bytes("jma-xml/32-35_01_02_240613_VXSE52.xml");
        _feed.MapGet("/jma/vxse52.xml", () => Results.Bytes(telegram, "application/xml"));
        await _feed.StartAsync();
        var feedUrl = _feed.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        var settings = TestSettings.AddPrefecturePusher(new Dictionary<string, string?>
        {
            ["Hub:ExpirySeconds"] = "1",
            ["Hub:Sources:11:ExerciseWorkspace"] = "cap-drill",
        });
        foreach (var (i, id, drill) in new[] { (12, "jma-pull", (string?)null), (13, "jma-pull-drill", "jma-drill") })
        {
            settings[$"Hub:Sources:{i}:Id"] = id;
            settings[$"Hub:Sources:{i}:Kind"] = "pull";
            settings[$"Hub:Sources:{i}:Format"] = "jma-vxse";
            settings[$"Hub:Sources:{i}:Layer"] = "sensors";
            settings[$"Hub:Sources:{i}:Url"] = $"{feedUrl}/jma/vxse52.xml";
            settings[$"Hub:Sources:{i}:Internal"] = "true";
            if (drill is not null) settings[$"Hub:Sources:{i}:ExerciseWorkspace"] = drill;
        }
        TestSettings.AddPushSources(settings, 10, "live picture", ("cap-push", "cap", "evacuation_orders"), ("cap-push-drill", "cap", "evacuation_orders"));
        _hub = await HubServer.StartAsync(settings, _clock);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _feed.StopAsync();
        await _feed.DisposeAsync();
    }

    private static byte[] Cap(string id, string status, string headline, string? expires = null) =>
        TestDocuments.Cap(id, headline, status, sent: "2026-11-22T08:00:00+09:00", expires: expires);

    private async Task<JsonElement> Push(string source, string key, byte[] body, string contentType = "application/xml")
    {
        var r = await _hub.PushAsync(source, key, body, contentType);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<string> Items(string collection, string query = "") =>
        await _hub.Http.GetStringAsync($"/ogc/collections/{collection}/items?limit=1000{query}");

    private async Task<int> Count(string collection, string query = "") =>
        JsonDocument.Parse(await Items(collection, query)).RootElement.GetProperty("features").GetArrayLength();

    private async Task<IReadOnlyList<MvtLayer>> Tile(string path = "merged")
    {
        var (x, y) = TestSettings.TileOf(Lon, Lat, 14);
        var r = await _hub.Http.GetAsync($"/tiles/{path}/14/{x}/{y}.mvt");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return MvtReader.Read(await r.Content.ReadAsByteArrayAsync());
    }

    private static bool TileSays(IReadOnlyList<MvtLayer> tile, string text) => tile.Any(l => l.StringValues.Any(v => v.Contains(text, StringComparison.Ordinal)));

    private async Task<int> ActiveOrdersIn172022()
    {
        var fc = JsonDocument.Parse(await Items("municipalities")).RootElement.GetProperty("features");
        return fc.EnumerateArray().Where(f => f.GetProperty("id").GetString() == "172022")
            .Sum(f => f.GetProperty("properties").GetProperty("active_evacuation_orders").GetInt32());
    }

    /// <summary>The event stream's lines (event: / data:) for a while, or until <paramref name="until"/> is seen.</summary>
    private Task<List<string>> Events(string query, TimeSpan window, string? until = null) => _hub.EventsAsync(query, window, until);

    [Fact]
    public async Task keep_an_exercise_cap_out_of_live_items_tiles_roll_up_and_events()
    {
        // the exercise first, so that if it leaked, the event stream would send it before the actual alert
        var exercise = await Push("cap-push", _cityKey, Cap("DRILL-1", "Exercise", "訓練の避難指示"));
        Assert.Equal(0, exercise.GetProperty("accepted").GetInt32());
        var actual = await Push("cap-push", _cityKey, Cap("REAL-1", "Actual", "本番の避難指示"));
        Assert.Equal(1, actual.GetProperty("accepted").GetInt32());
        var why = Assert.Single(exercise.GetProperty("rejections").EnumerateArray());
        Assert.Equal("/alert/info[1]", why.GetProperty("at").GetString());
        Assert.Contains("exercise document (/alert/status Exercise)", why.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // stored, with its reason, visible to the sender
        var rawId = exercise.GetProperty("raw_document_id").GetInt64();
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE id = @id AND status = 'parsed' AND rejected = 1", ("id", rawId)));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM rejection WHERE raw_document_id = @id AND reason LIKE 'exercise document%'", ("id", rawId)));

        foreach (var collection in new[] { "evacuation_orders", "merged_evacuation_orders" })
        {
            var items = await Items(collection);
            Assert.Contains("本番の避難指示", items, StringComparison.Ordinal);
            Assert.DoesNotContain("訓練の避難指示", items, StringComparison.Ordinal);
        }
        foreach (var path in new[] { "merged", "evacuation_orders" })
        {
            var tile = await Tile(path);
            Assert.True(TileSays(tile, "本番の避難指示"));
            Assert.False(TileSays(tile, "訓練の避難指示"));
        }
        Assert.Equal(1, await ActiveOrdersIn172022());
        var events = await Events("since=0&layer=evacuation_orders", TimeSpan.FromSeconds(3), until: "本番の避難指示");
        Assert.Contains(events, l => l.Contains("本番の避難指示", StringComparison.Ordinal));
        Assert.DoesNotContain(events, l => l.Contains("DRILL-1", StringComparison.Ordinal));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key LIKE 'DRILL-1%'"));
    }

    [Fact]
    public async Task route_an_exercise_cap_to_the_drill_its_source_names()
    {
        var pushed = await Push("cap-push-drill", _cityKey, Cap("DRILL-2", "Exercise", "訓練の避難指示"));
        Assert.Equal(1, pushed.GetProperty("accepted").GetInt32());
        Assert.Equal("cap-drill", pushed.GetProperty("routed").GetProperty("workspace").GetString());
        Assert.Equal(1, pushed.GetProperty("routed").GetProperty("records").GetInt32());

        Assert.Equal(0, await Count("merged_evacuation_orders"));
        Assert.Equal(0, await Count("evacuation_orders"));
        Assert.Equal(0, await ActiveOrdersIn172022());
        Assert.Contains("訓練の避難指示", await Items("merged_evacuation_orders", "&workspace=cap-drill"), StringComparison.Ordinal);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE workspace = 'cap-drill'"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE workspace = 'live'"));
        Assert.Equal("drill", (await _hub.Db.RowsAsync("SELECT kind FROM workspace WHERE name = 'cap-drill'"))[0][0]);
    }

    private async Task<IngestOutcome> Pull(string source)
    {
        using var scope = _hub.App.Services.CreateScope();
        return (await ActivatorUtilities.CreateInstance<PullFeedJob>(scope.ServiceProvider).RunOnceAsync(source, CancellationToken.None))!;
    }

    [Fact]
    public async Task keep_a_training_jma_telegram_out_of_live_and_route_it_where_configured()
    {
        var rejected = await Pull("jma-pull");
        Assert.Equal(IngestStatus.Ingested, rejected.Status);
        Assert.Equal(0, rejected.Accepted);
        var why = Assert.Single(rejected.Rejections);
        Assert.Contains("exercise document (/Report/Control/Status 訓練)", why.Reason, StringComparison.Ordinal);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE source_id = 'jma-pull'"));

        var routed = await Pull("jma-pull-drill");
        Assert.Equal(1, routed.Accepted);
        Assert.Equal("jma-drill", routed.RoutedTo);
        Assert.Equal(0, await Count("sensors"));
        Assert.Equal(0, await Count("merged_sensors"));
        Assert.Equal(1, await Count("merged_sensors", "&workspace=jma-drill"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE workspace = 'live' AND layer = 'sensors'"));
        var events = await Events("since=0&layer=sensors", TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(events, l => l.StartsWith("data: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task drop_an_alert_past_expires_from_live_reads_emit_expired_and_keep_it_as_of_before()
    {
        // sent 23:00Z, expires 01:00Z; the hub's clock is at 00:00Z
        await Push("cap-push", _cityKey, Cap("EXP-1", "Actual", "期限付きの避難指示", expires: "2026-11-22T10:00:00+09:00"));
        Assert.Equal(1, await Count("merged_evacuation_orders"));
        Assert.Equal(1, await Count("evacuation_orders"));
        Assert.True(TileSays(await Tile(), "期限付きの避難指示"));
        Assert.Equal(1, await ActiveOrdersIn172022());
        var item = JsonDocument.Parse(await Items("merged_evacuation_orders")).RootElement.GetProperty("features")[0];
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero), item.GetProperty("properties").GetProperty("valid_until").GetDateTimeOffset());
        var cursor = await _hub.Db.ScalarAsync("SELECT max(change_seq) FROM merged_feature");

        // listen from after the push: the only event to come is the lapse
        var listening = Events($"since={cursor}&layer=evacuation_orders", TimeSpan.FromSeconds(10), until: "event: expired");
        await Task.Delay(500);
        _clock.Advance(TimeSpan.FromHours(2));
        var events = await listening;
        var at = events.IndexOf("event: expired");
        Assert.True(at >= 0, string.Join("\n", events));
        Assert.DoesNotContain("event: change", events);

        Assert.Equal(0, await Count("merged_evacuation_orders"));
        Assert.Equal(0, await Count("evacuation_orders"));
        Assert.False(TileSays(await Tile(), "期限付きの避難指示"));
        Assert.False(TileSays(await Tile("evacuation_orders"), "期限付きの避難指示"));
        Assert.Equal(0, await ActiveOrdersIn172022());
        // as of an instant while it was valid it is there, as of one after it lapsed it is not
        Assert.Equal(1, await Count("merged_evacuation_orders", "&datetime=2026-11-22T00:30:00Z"));
        Assert.Equal(1, await Count("evacuation_orders", "&datetime=2026-11-22T00:30:00Z"));
        Assert.Equal(0, await Count("merged_evacuation_orders", "&datetime=2026-11-22T01:30:00Z"));
        Assert.Equal(0, await Count("evacuation_orders", "&datetime=2026-11-22T01:30:00Z"));
        // announced once
        Assert.Equal(0, await _hub.App.Services.GetRequiredService<ExpiryService>().RunOnceAsync(CancellationToken.None));
    }

    private static byte[] Shelter(string id, string status, int evacuees, string observedAt) => Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[{"id":"{{id}}","common_id":"E1720200007701","name":"七尾東小学校","status":"{{status}}","evacuees":{{evacuees}},"lat":{{Lat}},"lon":{{Lon}}}]}
        """);

    [Fact]
    public async Task let_a_fresh_lower_priority_value_beat_a_stale_higher_priority_one_and_say_so()
    {
        // the city (priority 10) at 09:00 JST; an hour later the prefecture (30) disagrees: the city still wins
        await Push("nanao-status", _cityKey, Shelter("C-1", "開設", 100, "2026-11-22T09:00:00+09:00"), "application/json");
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("pref-status", _prefKey, Shelter("P-1", "閉鎖", 0, "2026-11-22T10:00:00+09:00"), "application/json");
        var fresh = await _hub.Db.RowsAsync("SELECT status, provenance->'status'->>'source', conflicts::text FROM merged_feature WHERE layer = 'shelters'");
        Assert.Equal("開設", fresh[0][0]);
        Assert.Equal("nanao-status", fresh[0][1]);
        Assert.DoesNotContain("stale", (string)fresh[0][2]!, StringComparison.Ordinal);

        // seven hours after the city's report the prefecture reports again: the city's value is older than 6 h
        _clock.Advance(TimeSpan.FromHours(6));
        await Push("pref-status", _prefKey, Shelter("P-1", "閉鎖", 0, "2026-11-22T16:00:00+09:00"), "application/json");
        var item = JsonDocument.Parse(await Items("merged_shelters")).RootElement.GetProperty("features")[0].GetProperty("properties");
        Assert.Equal("閉鎖", item.GetProperty("status").GetString());
        Assert.Equal("pref-status", item.GetProperty("provenance").GetProperty("status").GetProperty("source").GetString());
        Assert.Equal(0, item.GetProperty("attrs").GetProperty("evacuees").GetInt32());
        var conflict = item.GetProperty("conflicts").EnumerateArray().Single(c => c.GetProperty("field").GetString() == "priority");
        Assert.Equal("stale: older than 6 h", conflict.GetProperty("reason").GetString());
        Assert.Equal("pref-status", conflict.GetProperty("chosen").GetString());
        var city = conflict.GetProperty("values").EnumerateArray().Single(v => v.GetProperty("source").GetString() == "nanao-status");
        Assert.True(city.GetProperty("stale").GetBoolean());

        // a fresh report from the city takes priority back
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("nanao-status", _cityKey, Shelter("C-1", "開設", 80, "2026-11-22T17:00:00+09:00"), "application/json");
        var back = await _hub.Db.RowsAsync("SELECT status, conflicts::text FROM merged_feature WHERE layer = 'shelters'");
        Assert.Equal("開設", back[0][0]);
        Assert.DoesNotContain("stale", (string)back[0][1]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task merge_an_unchanged_entity_again_only_when_the_clock_or_a_priority_may_change_its_ranking()
    {
        // issue 16 §2: the city (priority 10) at 09:00 JST, the prefecture (30) at 10:00 disagreeing — the city wins,
        // and the ranking holds until the city's value turns older than the 6 h limit (15:00 JST = 06:00Z, + 1 µs)
        await Push("nanao-status", _cityKey, Shelter("C-1", "開設", 100, "2026-11-22T09:00:00+09:00"), "application/json");
        _clock.Advance(TimeSpan.FromHours(1));
        var pref = Shelter("P-1", "閉鎖", 0, "2026-11-22T10:00:00+09:00");
        await Push("pref-status", _prefKey, pref, "application/json");
        const string Row = "SELECT status, version, rank_from, rank_until, conflicts::text FROM merged_feature WHERE layer = 'shelters'";
        var ranked = (await _hub.Db.RowsAsync(Row)).Single();
        Assert.Equal("開設", ranked[0]);
        Assert.Equal(new DateTime(2026, 11, 22, 1, 0, 0, DateTimeKind.Utc), ranked[2]);
        Assert.Equal(new DateTime(2026, 11, 22, 6, 0, 0, DateTimeKind.Utc).AddTicks(10), ranked[3]);

        // 11:00: the prefecture's document again, unchanged — inside the window: the entity is not merged again
        _clock.Advance(TimeSpan.FromHours(1));
        await Push("pref-status", _prefKey, pref, "application/json");
        Assert.Equal(ranked, (await _hub.Db.RowsAsync(Row)).Single());

        // a priority change through the registry (30 → 20, still after the city) ends the window of every row the
        // source is in: the next unchanged push merges the entity again, to the same state — which only moves its
        // window (no new version, no change event)
        var admin = await _hub.CreateKeyAsync("ops", "admin");
        var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/sources/pref-status") { Content = System.Net.Http.Json.JsonContent.Create(new { priority = 20 }) };
        patch.Headers.Authorization = new("Bearer", admin);
        Assert.Equal(HttpStatusCode.NoContent, (await _hub.Http.SendAsync(patch)).StatusCode);
        Assert.Equal(1L, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE rank_until = '-infinity'"));
        var seq = await _hub.Db.ScalarAsync("SELECT max(change_seq) FROM merged_feature");
        var past = await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature_past");
        _clock.Advance(TimeSpan.FromMinutes(10));
        await Push("pref-status", _prefKey, pref, "application/json");
        var moved = (await _hub.Db.RowsAsync(Row)).Single();
        Assert.Equal([ranked[0], ranked[1], new DateTime(2026, 11, 22, 2, 10, 0, DateTimeKind.Utc), ranked[3], ranked[4]], moved);
        Assert.Equal(seq, await _hub.Db.ScalarAsync("SELECT max(change_seq) FROM merged_feature"));
        Assert.Equal(past, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature_past"));

        // 15:30: the same document — the clock has left the window: merged again, and the fresh value wins
        _clock.Advance(TimeSpan.FromHours(4) + TimeSpan.FromMinutes(20));
        await Push("pref-status", _prefKey, pref, "application/json");
        var flipped = (await _hub.Db.RowsAsync(Row)).Single();
        Assert.Equal("閉鎖", flipped[0]);
        Assert.Equal(Convert.ToInt64(ranked[1]) + 1, Convert.ToInt64(flipped[1]));
        Assert.Equal(new DateTime(2026, 11, 22, 6, 30, 0, DateTimeKind.Utc), flipped[2]);
        Assert.Equal(new DateTime(2026, 11, 22, 7, 0, 0, DateTimeKind.Utc).AddTicks(10), flipped[3]);
        Assert.Contains("stale: older than 6 h", (string)flipped[4]!, StringComparison.Ordinal);
        Assert.Equal(past + 1, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature_past"));

        // the staleness limits are compared at start-up: the same ones end nothing, a changed one for shelters ends
        // the window of every multi-feature shelter row
        var db = _hub.App.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var limits = _hub.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>().Value.Staleness;
        await DisasterHub.Data.IngestStore.SyncStalenessAsync(db, limits, CancellationToken.None);
        Assert.Equal(flipped, (await _hub.Db.RowsAsync(Row)).Single());
        await DisasterHub.Data.IngestStore.SyncStalenessAsync(db, new Dictionary<string, TimeSpan>(limits) { ["shelters"] = TimeSpan.FromHours(3) }, CancellationToken.None);
        Assert.Equal(1L, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE rank_until = '-infinity'"));
    }
}
