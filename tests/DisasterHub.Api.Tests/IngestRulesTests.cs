using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

public sealed class ingest_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task be_idempotent_on_source_and_key()
    {
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc())).StatusCode);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_version"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT version FROM feature"));
    }

    [Fact]
    public async Task never_let_an_older_observation_overwrite_a_newer_one_but_keep_it_in_history()
    {
        await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(evacuees: 300, observedAt: "2026-11-22T12:00:00+09:00"));
        var late = await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(evacuees: 50, observedAt: "2026-11-22T10:00:00+09:00"));
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal(300, await _hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM feature"));
        var history = await _hub.Db.RowsAsync("SELECT (attrs->>'evacuees')::int FROM feature_version ORDER BY observed_at");
        Assert.Equal([50, 300], history.Select(r => (int)r[0]!).ToArray());

        await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(evacuees: 350, observedAt: "2026-11-22T13:00:00+09:00"));
        Assert.Equal(350, await _hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM feature"));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT version FROM feature"));
    }

    private static byte[] TwoShelters(int evacueesOfSecond, string observedAt = "2026-11-22T09:00:00+09:00") => Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[
          {"id":"CC0000000504","name":"御祓地区コミュニティセンター","status":"開設","evacuees":120,"capacity":191,"lat":37.04826,"lon":136.96136},
          {"id":"CC0000000505","name":"七尾東部中学校","status":"開設","evacuees":{{evacueesOfSecond}},"capacity":300,"lat":37.05100,"lon":136.97000}
        ]}
        """);

    /// <summary>Every row version (xmin, xmax) of the written tables and the counts: a write of any kind changes it.</summary>
    private async Task<string> WrittenStateAsync()
    {
        var rows = await _hub.Db.RowsAsync("""
            SELECT 'feature ' || source_key || ' ' || xmin::text || '/' || xmax::text FROM feature
            UNION ALL SELECT 'merged ' || entity_key || ' ' || xmin::text || '/' || xmax::text || ' seq ' || change_seq FROM merged_feature
            UNION ALL SELECT 'versions ' || count(*) FROM feature_version
            UNION ALL SELECT 'tile cells ' || count(*) || ' ' || coalesce(sum(n), 0) FROM tile_cell
            ORDER BY 1
            """);
        return string.Join("\n", rows.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task write_nothing_for_a_re_push_of_an_unchanged_document()
    {
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _key, TwoShelters(80))).StatusCode);
        var before = await WrittenStateAsync();
        // the same content observed later is still the same content: no version, no current-state write, no event
        var again = await _hub.PushAsync("nanao-status", _key, TwoShelters(80, observedAt: "2026-11-22T10:00:00+09:00"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("changed").GetInt32());
        Assert.Equal(before, await WrittenStateAsync());
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task write_exactly_one_version_when_one_record_of_a_document_changed()
    {
        await _hub.PushAsync("nanao-status", _key, TwoShelters(80));
        var unchangedBefore = await _hub.Db.RowsAsync(
            "SELECT xmin::text, xmax::text FROM feature WHERE source_key = 'CC0000000504' UNION ALL SELECT xmin::text, xmax::text FROM merged_feature WHERE entity_key = (SELECT entity_key FROM feature WHERE source_key = 'CC0000000504')");
        Assert.Equal(2, unchangedBefore.Count);
        var seqBefore = await _hub.Db.ScalarAsync("SELECT max(change_seq) FROM merged_feature");

        var r = await _hub.PushAsync("nanao-status", _key, TwoShelters(95));
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, body.GetProperty("changed").GetInt32());
        Assert.Equal(3, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_version"));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_key = 'CC0000000505'"));
        Assert.Equal(95, await _hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM merged_feature WHERE entity_key = (SELECT entity_key FROM feature WHERE source_key = 'CC0000000505')"));
        // one merged change (one event), and the unchanged record's rows were not even locked
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE change_seq > @s", ("s", seqBefore)));
        Assert.Equal(unchangedBefore.Select(x => $"{x[0]}/{x[1]}"), (await _hub.Db.RowsAsync(
            "SELECT xmin::text, xmax::text FROM feature WHERE source_key = 'CC0000000504' UNION ALL SELECT xmin::text, xmax::text FROM merged_feature WHERE entity_key = (SELECT entity_key FROM feature WHERE source_key = 'CC0000000504')"))
            .Select(x => $"{x[0]}/{x[1]}"));
    }

    private const string CsvHeader = "ID,名称,所在地_全国地方公共団体コード,所在地_連結表記,緯度,経度,災害種別_地震\r\n";

    [Fact]
    public async Task read_cp932_csv()
    {
        var csv = CsvHeader + "T-1,七尾テスト小学校,172022,石川県七尾市テスト町1,37.0400,136.9600,1\r\n";
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var cp932 = Encoding.GetEncoding(932).GetBytes(csv);
        var r = await _hub.PushAsync("nanao-status", _key, cp932, "text/csv", format: "da-shelter-csv");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("七尾テスト小学校", (await _hub.Db.RowsAsync("SELECT name FROM feature"))[0][0]);
        Assert.Equal("石川県七尾市テスト町1", (await _hub.Db.RowsAsync("SELECT address FROM feature"))[0][0]);
    }

    [Fact]
    public async Task reject_bad_rows_with_their_line_numbers_and_store_the_rejections()
    {
        var csv = CsvHeader
            + "T-1,良い行,172022,石川県七尾市,37.0400,136.9600,1\r\n"
            + "T-2,座標なし,172022,石川県七尾市,,,1\r\n"
            + "T-3,検査数字違い,172023,石川県七尾市,37.0410,136.9610,1\r\n"
            + "T-4,海外,172022,石川県七尾市,48.85,2.35,1\r\n";
        var r = await _hub.PushAsync("nanao-status", _key, Encoding.UTF8.GetBytes(csv), "text/csv", format: "da-shelter-csv");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        var rejections = await _hub.Db.RowsAsync("SELECT at, reason FROM rejection ORDER BY at");
        Assert.Equal(["line 3", "line 4", "line 5"], rejections.Select(x => (string)x[0]!).ToArray());
        Assert.Contains("check digit", (string)rejections[1][1]!, StringComparison.Ordinal);
        Assert.Equal("outside service extent", (string)rejections[2][1]!);
    }
}
