using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 §5, a full replacement of a source's set (migration 0053): a document pushed with <c>?replace=true</c>, or
/// pulled from a source marked <c>replaces</c>, is the source's complete set, and what it no longer holds is withdrawn —
/// gone from the live reads, tiles' rows and the merged layer (an entity another source still reports stays, from that
/// source alone), kept in history and in reads as of before, and withdrawn again in a drill's replay. A document with
/// rejections, or with no records, withdraws nothing and says why.
/// </summary>
public sealed class full_replacement_should : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private WebApplication _feed = null!;
    private byte[] _feedDoc = [];
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;

    public async Task InitializeAsync()
    {
        // a registry that publishes its whole set on every pull (the pull path's replacement)
        (_feed, var feedUrl) = await Loopback.StartAsync(app => app.MapGet("/registry.json", () => Results.Bytes(_feedDoc, "application/json")));
        var settings = TestSettings.AddLoopbackPull(TestSettings.AddPrefecturePusher([]), 12, "registry-pull", "shelter-status-json", "shelters",
            $"{feedUrl}/registry.json", replaces: true);
        _hub = await HubServer.StartAsync(settings, _clock);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _feed.StopAsync();
        await _feed.DisposeAsync();
    }

    /// <summary>A shelter status document: (id, common id or null, name, evacuees) per record, observed at the clock.</summary>
    private byte[] Doc(params (string Id, string? CommonId, string Name, int Evacuees)[] shelters) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"{{_clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{{string.Join(',', shelters.Select((s, i) =>
            $$$"""{"id":"{{{s.Id}}}",{{{(s.CommonId is null ? "" : $"\"common_id\":\"{s.CommonId}\",")}}}"name":"{{{s.Name}}}","status":"開設","evacuees":{{{s.Evacuees}}},"lat":{{{37.04 + i * 0.002:0.000}}},"lon":136.96}"""))}}]}""");

    private async Task<JsonElement> Push(string source, string key, byte[] doc, string query = "", HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sources/{source}/documents{query}") { Content = new ByteArrayContent(doc) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expect, $"{r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<List<string>> Names(string collection, string query = "")
    {
        var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync($"/ogc/collections/{collection}/items?limit=100{query}")).RootElement;
        return [.. fc.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("properties").GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
    }

    private static string At(DateTimeOffset t) => $"&datetime={t.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";

    [Fact]
    public async Task withdraw_what_a_replacement_no_longer_holds_from_live_and_keep_it_as_of_before()
    {
        // the city reports three shelters; the prefecture reports the third too (same 共通ID: one entity, two sources)
        await Push("nanao-status", _cityKey, Doc(("R1", null, "一本杉", 10), ("R2", null, "二本松", 20), ("R3", "E1720200009901", "三ツ谷", 30)));
        await Push("pref-status", _prefKey, Doc(("P3", "E1720200009901", "三ツ谷", 31)));
        Assert.Equal(["一本杉", "三ツ谷", "二本松"], await Names("merged_shelters"));
        var before = _clock.GetUtcNow().AddMinutes(30);

        // an hour later the city's complete set holds only R1: previewed first, it names what it would withdraw
        _clock.Advance(TimeSpan.FromHours(1));
        var preview = (await Push("nanao-status", _cityKey, Doc(("R1", null, "一本杉", 10)), "?replace=true&dry_run=true")).GetProperty("replace");
        Assert.True(preview.GetProperty("applies").GetBoolean());
        Assert.Equal(2, preview.GetProperty("withdrawing").GetInt32());
        Assert.Equal(["R2:二本松", "R3:三ツ谷"], preview.GetProperty("withdrawn_records").EnumerateArray().Select(w => $"{w.GetProperty("key")}:{w.GetProperty("name")}"));
        Assert.Equal(3L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status'"));
        var cursor = await _hub.Db.ScalarAsync("SELECT coalesce(max(id), 0) FROM merged_feature_past");
        // a map listening from now hears what the replacement did to the merged layer
        var listening = _hub.EventsAsync("layer=shelters", TimeSpan.FromSeconds(10), until: "二本松");
        await Task.Delay(500);
        var answer = await Push("nanao-status", _cityKey, Doc(("R1", null, "一本杉", 10)), "?replace=true");
        var replace = answer.GetProperty("replace");
        Assert.True(replace.GetProperty("applied").GetBoolean(), answer.ToString());
        Assert.Equal(2, replace.GetProperty("withdrawn").GetInt32());
        Assert.Equal(0, answer.GetProperty("changed").GetInt32());
        // the shared entity changed (the prefecture alone now) and the other left: one event each, R1 unchanged has none
        var heard = string.Join("\n", await listening);
        Assert.Matches("^event: change\ndata: [^\n]*\"name\" : \"三ツ谷\"[^\n]*\nevent: deleted\ndata: [^\n]*\"name\" : \"二本松\"[^\n]*\"deleted\" : true", heard);
        Assert.DoesNotContain("一本杉", heard, StringComparison.Ordinal);

        // live: R2 is gone from every read; R3's entity stays, now from the prefecture alone
        Assert.Equal(["R1"], (await _hub.Db.RowsAsync("SELECT source_key FROM feature WHERE source_id = 'nanao-status'")).Select(r => (string)r[0]!));
        Assert.Equal(["一本杉", "三ツ谷"], await Names("merged_shelters"));
        Assert.Equal(["一本杉", "三ツ谷"], await Names("shelters"));
        var shared = Assert.Single(await _hub.Db.RowsAsync("SELECT sources, (attrs->>'evacuees')::int, conflicts::text FROM merged_feature WHERE name = '三ツ谷'"));
        Assert.Equal(["pref-status"], (string[])shared[0]!);
        Assert.Equal(31, shared[1]);
        Assert.Equal("[]", shared[2]);

        // history: both withdrawn states closed, each ended by a marker received with the replacement; the merged
        // entity that lost its only feature deleted at the hub's clock
        var past = await _hub.Db.RowsAsync("SELECT source_key, withdrawn, received_at FROM feature_past WHERE source_id = 'nanao-status' ORDER BY source_key, withdrawn");
        Assert.Equal(4, past.Count);
        Assert.Equal([("R2", false), ("R2", true), ("R3", false), ("R3", true)], past.Select(r => ((string)r[0]!, (bool)r[1]!)));
        Assert.All(past.Where(r => (bool)r[1]!), r => Assert.Equal(_clock.GetUtcNow(), (DateTimeOffset)(DateTime)r[2]!));
        var deleted = Assert.Single(await _hub.Db.RowsAsync("SELECT name, received_at FROM merged_feature_past WHERE deleted AND id > @c", ("c", cursor)));
        Assert.Equal("二本松", deleted[0]);
        Assert.Equal(_clock.GetUtcNow(), (DateTimeOffset)(DateTime)deleted[1]!);

        // as of before the replacement everything is there, as of after it is not
        Assert.Equal(["一本杉", "三ツ谷", "二本松"], await Names("merged_shelters", At(before)));
        Assert.Equal(["一本杉", "三ツ谷", "三ツ谷", "二本松"], await Names("shelters", At(before)));
        Assert.Equal(["一本杉", "三ツ谷"], await Names("merged_shelters", At(_clock.GetUtcNow().AddMinutes(1))));
        Assert.Equal(["一本杉", "三ツ谷"], await Names("shelters", At(_clock.GetUtcNow().AddMinutes(1))));

        // the same replacement again withdraws nothing more; a later plain push brings R2 back
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, (await Push("nanao-status", _cityKey, Doc(("R1", null, "一本杉", 10)), "?replace=true")).GetProperty("replace").GetProperty("withdrawn").GetInt32());
        Assert.Equal(JsonValueKind.Null, (await Push("nanao-status", _cityKey, Doc(("R2", null, "二本松", 22)))).GetProperty("replace").ValueKind);
        Assert.Equal(["一本杉", "三ツ谷", "二本松"], await Names("merged_shelters"));
        Assert.Equal(["一本杉", "三ツ谷", "二本松"], await Names("shelters", At(_clock.GetUtcNow().AddMinutes(1))));

        // a drill replaying the period withdraws R2 and R3 at the replacement's turn, as live did, and R2 comes back
        Assert.Equal(0, await HubCli.DrillAsync(["create", "replace-drill", "--db", _hub.Db.ConnectionString], new StringWriter()));
        await DrillStore.ReplayAsync(_hub.App.Services.GetRequiredService<NpgsqlDataSource>(), "replace-drill", Start, _clock.GetUtcNow(), 0, _clock);
        Assert.Equal(["R1", "R2"], (await _hub.Db.RowsAsync("SELECT source_key FROM feature WHERE workspace = 'replace-drill' AND source_id = 'nanao-status' ORDER BY 1")).Select(r => (string)r[0]!));
        Assert.Equal(2L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_past WHERE workspace = 'replace-drill' AND withdrawn"));
        Assert.Equal(["一本杉", "三ツ谷", "二本松"], await Names("merged_shelters", "&workspace=replace-drill"));
    }

    [Fact]
    public async Task withdraw_nothing_after_a_document_with_rejections_or_no_records_and_say_why()
    {
        await Push("nanao-status", _cityKey, Doc(("K1", null, "北小", 1), ("K2", null, "南小", 2)));
        _clock.Advance(TimeSpan.FromMinutes(5));

        // K1 again and K2 placed far outside Japan (rejected): a rejected record may be one the source holds, so nothing is withdrawn
        var withBad = Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"{{_clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"K1","name":"北小","status":"開設","evacuees":1,"lat":37.04,"lon":136.96},{"id":"K2","name":"南小","status":"開設","evacuees":2,"lat":10.0,"lon":10.0}]}""");
        var answer = await Push("nanao-status", _cityKey, withBad, "?replace=true");
        Assert.Equal(1, answer.GetProperty("rejected").GetInt32());
        var replace = answer.GetProperty("replace");
        Assert.False(replace.GetProperty("applied").GetBoolean());
        Assert.Equal(0, replace.GetProperty("withdrawn").GetInt32());
        Assert.Contains("1 record(s) were rejected", replace.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(["北小", "南小"], await Names("merged_shelters"));

        // no records at all: not taken as "the source has nothing"
        var empty = await Push("nanao-status", _cityKey, Encoding.UTF8.GetBytes("""{"municipality_code":"172022","shelters":[]}"""), "?replace=1");
        Assert.False(empty.GetProperty("replace").GetProperty("applied").GetBoolean());
        Assert.Contains("held no records", empty.GetProperty("replace").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(2L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status'"));
        Assert.Equal(0L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_past WHERE withdrawn"));

        // a replace that is neither true nor false is refused before anything is stored
        var raw = await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document");
        var bad = await Push("nanao-status", _cityKey, Doc(("K1", null, "北小", 1)), "?replace=yes", HttpStatusCode.BadRequest);
        Assert.Equal("replace", bad.GetProperty("field").GetString());
        Assert.Equal(raw, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task withdraw_every_feature_of_a_source_an_operator_takes_off_the_map()
    {
        // the city reports three shelters; the prefecture reports the third too (one entity, two sources)
        await Push("nanao-status", _cityKey, Doc(("W1", null, "北浜", 1), ("W2", null, "南浜", 2), ("W3", "E1720200009903", "東浜", 3)));
        await Push("pref-status", _prefKey, Doc(("P3", "E1720200009903", "東浜", 33)));
        var before = _clock.GetUtcNow().AddMinutes(30);
        _clock.Advance(TimeSpan.FromHours(1));

        // a source with current features cannot be deleted: the refusal names both ways out
        using var admin = _hub.ClientFor(await _hub.CreateKeyAsync("ops", "admin"));
        var refused = await admin.DeleteAsync("/api/v1/sources/nanao-status");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("POST /api/v1/sources/nanao-status/withdraw", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // only an admin may withdraw; an unknown source is a 404 naming the id
        using (var asCity = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/withdraw"))
        {
            asCity.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cityKey);
            Assert.Equal(HttpStatusCode.Forbidden, (await _hub.Http.SendAsync(asCity)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.PostAsync("/api/v1/sources/nanao-status/withdraw", null)).StatusCode);
        var unknown = await admin.PostAsync("/api/v1/sources/no-such-source/withdraw", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("id", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("parameter").GetString());
        Assert.Equal(3L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status'"));

        var listening = _hub.EventsAsync("layer=shelters", TimeSpan.FromSeconds(10), until: "南浜");
        await Task.Delay(500);
        var r = await admin.PostAsync("/api/v1/sources/nanao-status/withdraw", null);
        var answer = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.True(r.StatusCode == HttpStatusCode.OK, answer.ToString());
        Assert.Equal(3, answer.GetProperty("withdrawn").GetInt32());
        Assert.Equal(3, answer.GetProperty("workspaces").GetProperty("live").GetInt32());
        var heard = string.Join("\n", await listening);
        Assert.Matches("event: deleted\ndata: [^\n]*\"name\" : \"南浜\"[^\n]*\"deleted\" : true", heard);

        // off the live picture, the shared entity kept from the prefecture alone; all of it still there as of before
        Assert.Equal(0L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status'"));
        Assert.Equal(["東浜"], await Names("merged_shelters"));
        Assert.Equal(["pref-status"], (string[])(await _hub.Db.RowsAsync("SELECT sources FROM merged_feature WHERE name = '東浜'"))[0][0]!);
        Assert.Equal(["北浜", "南浜", "東浜"], await Names("merged_shelters", At(before)));
        Assert.Equal(3L, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_past WHERE source_id = 'nanao-status' AND withdrawn AND received_at = @t", ("t", _clock.GetUtcNow())));
        Assert.Equal(1L, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sources.withdraw' AND target = 'nanao-status'"));

        // again: nothing left to withdraw; the source still takes pushes
        Assert.Equal(0, JsonDocument.Parse(await (await admin.PostAsync("/api/v1/sources/nanao-status/withdraw", null)).Content.ReadAsStringAsync()).RootElement.GetProperty("withdrawn").GetInt32());
        await Push("nanao-status", _cityKey, Doc(("W1", null, "北浜", 1)));
        Assert.Equal(["北浜", "東浜"], await Names("merged_shelters"));

        // the same from ./hub, on the database: audited as the CLI's; an unknown source is refused by name
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.SourcesAsync(["withdraw", "nanao-status", "--db", _hub.Db.ConnectionString], TextReader.Null, output));
        Assert.Equal("withdrew 1 current features of nanao-status (live: 1)", output.ToString().Trim());
        Assert.Equal(["東浜"], await Names("merged_shelters"));
        Assert.Equal(3L, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sources.withdraw' AND target = 'nanao-status'"));
        var unknownCli = await Assert.ThrowsAsync<HubCli.CliException>(() => HubCli.SourcesAsync(["withdraw", "no-such-source", "--db", _hub.Db.ConnectionString], TextReader.Null, output));
        Assert.Contains("no-such-source", unknownCli.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task withdraw_what_a_replacing_source_no_longer_publishes_on_its_next_pull()
    {
        var sources = JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/sources")).RootElement;
        var listed = sources.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "registry-pull");
        Assert.True(listed.GetProperty("replaces").GetBoolean());

        _feedDoc = Doc(("G1", null, "東公園", 0), ("G2", null, "西公園", 0), ("G3", null, "中央公園", 0));
        Assert.Equal(3, (await _hub.PullAsync("registry-pull"))!.Accepted);
        _clock.Advance(TimeSpan.FromHours(1));
        _feedDoc = Doc(("G1", null, "東公園", 0), ("G3", null, "中央公園", 0));
        var outcome = (await _hub.PullAsync("registry-pull"))!;
        Assert.Equal(new DisasterHub.Ingestion.Replacement(true, 1, null), outcome.Replacement);
        Assert.Equal(["中央公園", "東公園"], await Names("merged_shelters"));
    }
}
