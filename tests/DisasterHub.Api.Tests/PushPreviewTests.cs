using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14 §3: <c>?dry_run=true</c> on a push runs the push's own parse and record checks and answers what would be
/// accepted and rejected (line or pointer, field, reason) — and writes nothing: no raw document, feature, rejection,
/// audit entry, idempotency record or source mark.
/// </summary>
public sealed class push_preview_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _nanaoKey = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(sign_in_should.Settings());
        _nanaoKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    /// <summary>A city's shelter list (Digital Agency CSV): three rows, the one on line 3 with an unknown 開設状況.</summary>
    internal static byte[] CsvWithOneBadRow(string suffix = "") => Encoding.UTF8.GetBytes(
        "ID,名称,所在地_全国地方公共団体コード,緯度,経度,開設状況,人数\r\n" +
        $"P1{suffix},プレビュー小学校{suffix},172022,37.041,136.961,開設,12\r\n" +
        $"P2{suffix},プレビュー中学校{suffix},172022,37.045,136.965,たぶん,3\r\n" +
        $"P3{suffix},プレビュー公民館{suffix},172022,37.049,136.969,未開設,\r\n");

    private async Task<long> WrittenAsync() => await _hub.Db.ScalarAsync("""
        SELECT (SELECT count(*) FROM raw_document) + (SELECT count(*) FROM feature) + (SELECT count(*) FROM feature_version)
             + (SELECT count(*) FROM merged_feature) + (SELECT count(*) FROM rejection) + (SELECT count(*) FROM audit)
             + (SELECT count(*) FROM idempotency) + (SELECT count(*) FROM source WHERE last_attempt_at IS NOT NULL)
        """);

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<HttpResponseMessage> PushAsync(string query, byte[] body, string contentType, string? idempotencyKey = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sources/nanao-status/documents{query}") { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _nanaoKey);
        if (idempotencyKey is not null) req.Headers.Add("Idempotency-Key", idempotencyKey);
        return await _hub.Http.SendAsync(req);
    }

    [Fact]
    public async Task name_the_bad_csv_row_by_line_and_reason_write_nothing_and_then_commit_the_good_rows()
    {
        var preview = await PushAsync("?dry_run=true", CsvWithOneBadRow(), "text/csv", idempotencyKey: "same-key");
        var body = await Json(preview);
        Assert.True(preview.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.True(body.GetProperty("dry_run").GetBoolean());
        Assert.Equal("da-shelter-csv", body.GetProperty("format").GetString());
        Assert.Equal([2, 4], body.GetProperty("accepted").EnumerateArray().Select(a => a.GetProperty("line").GetInt32()));
        Assert.Equal(["P1", "P3"], body.GetProperty("accepted").EnumerateArray().Select(a => a.GetProperty("key").GetString()));
        Assert.Equal("プレビュー小学校", body.GetProperty("accepted")[0].GetProperty("name").GetString());
        Assert.Equal(12, body.GetProperty("accepted")[0].GetProperty("attrs").GetProperty("evacuees").GetInt32());
        var rejected = Assert.Single(body.GetProperty("rejected").EnumerateArray());
        Assert.Equal(3, rejected.GetProperty("line").GetInt32());
        Assert.Contains("たぶん", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await WrittenAsync());

        // the same document without dry_run (and the Idempotency-Key the preview did not use up) commits the good rows
        var push = await PushAsync("", CsvWithOneBadRow(), "text/csv", idempotencyKey: "same-key");
        var pushed = await Json(push);
        Assert.True(push.StatusCode == HttpStatusCode.OK, pushed.ToString());
        Assert.Equal(2, pushed.GetProperty("accepted").GetInt32());
        Assert.Equal(1, pushed.GetProperty("rejected").GetInt32());
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status' AND source_key IN ('P1', 'P3')"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'P2'"));
    }

    [Fact]
    public async Task point_at_the_bad_member_of_a_json_document_and_check_the_jurisdiction_like_a_push()
    {
        var doc = Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
              {"id":"A","name":"よい避難所","status":"開設","evacuees":5,"lat":37.04,"lon":136.96},
              {"id":"B","name":"わるい避難所","status":"開設","evacuees":-1,"lat":37.05,"lon":136.96},
              {"id":"C","name":"輪島の避難所","municipality_code":"172049","status":"開設","lat":37.39,"lon":136.90}
            ]}
            """);
        var preview = await PushAsync("?dry_run=1", doc, "application/json");
        var body = await Json(preview);
        Assert.True(preview.StatusCode == HttpStatusCode.OK, body.ToString());
        var accepted = Assert.Single(body.GetProperty("accepted").EnumerateArray());
        Assert.Equal("A", accepted.GetProperty("key").GetString());
        Assert.Equal(0, accepted.GetProperty("index").GetInt32());
        Assert.Equal("/shelters/0", accepted.GetProperty("pointer").GetString());
        var rejected = body.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal(2, rejected.Count);
        Assert.Equal("/shelters/1/evacuees", rejected[0].GetProperty("pointer").GetString());
        Assert.Equal("evacuees", rejected[0].GetProperty("field").GetString());
        Assert.Equal(1, rejected[0].GetProperty("index").GetInt32());
        // the record checks ran with the pusher's jurisdiction: 七尾市 may not report a shelter of 輪島市
        Assert.Equal(2, rejected[1].GetProperty("index").GetInt32());
        Assert.Equal(0, await WrittenAsync());
    }

    [Fact]
    public async Task answer_an_unreadable_document_as_the_push_would_and_refuse_a_bad_dry_run_value()
    {
        var broken = await PushAsync("?dry_run=true", Encoding.UTF8.GetBytes("{\"shelters\": [ {\"id\": "), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("application/problem+json", broken.Content.Headers.ContentType?.MediaType);
        var problem = await Json(broken);
        Assert.Equal("document could not be parsed", problem.GetProperty("title").GetString());
        Assert.StartsWith("line", Assert.Single(problem.GetProperty("rejected").EnumerateArray()).GetProperty("at").GetString(), StringComparison.Ordinal);

        var bad = await PushAsync("?dry_run=maybe", CsvWithOneBadRow(), "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("dry_run", (await Json(bad)).GetProperty("field").GetString());
        Assert.Equal(0, await WrittenAsync());
    }

    [Fact]
    public async Task preview_for_a_signed_in_clerk_with_the_csrf_token_and_not_for_another_city()
    {
        using var clerk = new PersonClient(_hub.BaseUrl);
        await clerk.SignedInAsync("clerk@nanao.example");
        var csv = new ByteArrayContent(CsvWithOneBadRow());
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var ok = await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?dry_run=true", csv);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, (await Json(ok)).GetProperty("accepted_count").GetInt32());

        using var other = new PersonClient(_hub.BaseUrl);
        await other.SignedInAsync("clerk@wajima.example");
        var csv2 = new ByteArrayContent(CsvWithOneBadRow());
        csv2.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?dry_run=true", csv2)).StatusCode);
        // the refused preview is audited as a denied push, like any refused push; nothing else is written
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document") + await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
    }

    [Fact]
    public async Task list_what_the_city_sent_and_what_became_of_it_to_the_city_and_admins_only()
    {
        using var clerk = new PersonClient(_hub.BaseUrl);
        await clerk.SignedInAsync("clerk@nanao.example");
        var csv = new ByteArrayContent(CsvWithOneBadRow("h"));
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        Assert.Equal(HttpStatusCode.OK, (await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents", csv)).StatusCode);

        var history = await clerk.Http.GetAsync("/api/v1/sources/nanao-status/documents");
        var body = await Json(history);
        Assert.True(history.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["172022"], body.GetProperty("owner").GetProperty("jurisdiction").EnumerateArray().Select(x => x.GetString()));
        var sent = Assert.Single(body.GetProperty("documents").EnumerateArray());
        Assert.Equal("clerk@nanao.example", sent.GetProperty("sent_by").GetString());
        Assert.Equal("da-shelter-csv", sent.GetProperty("format").GetString());
        Assert.Equal(2, sent.GetProperty("accepted").GetInt32());
        Assert.Equal(2, sent.GetProperty("changed").GetInt32());
        Assert.Equal("line 3", Assert.Single(sent.GetProperty("rejections").EnumerateArray()).GetProperty("at").GetString());

        Assert.Equal(JsonValueKind.Null, body.GetProperty("next").ValueKind); // one document: no older page

        // paged newest first: a second document, one per page, the next link to the older one
        var csv2 = new ByteArrayContent(CsvWithOneBadRow("i"));
        csv2.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        Assert.Equal(HttpStatusCode.OK, (await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents", csv2)).StatusCode);
        var page1 = await Json(await clerk.Http.GetAsync("/api/v1/sources/nanao-status/documents?limit=1"));
        var newest = Assert.Single(page1.GetProperty("documents").EnumerateArray()).GetProperty("id").GetInt64();
        Assert.True(newest > sent.GetProperty("id").GetInt64());
        var page2 = await Json(await clerk.Http.GetAsync(page1.GetProperty("next").GetString()));
        Assert.Equal(sent.GetProperty("id").GetInt64(), Assert.Single(page2.GetProperty("documents").EnumerateArray()).GetProperty("id").GetInt64());
        var badPage = await clerk.Http.GetAsync("/api/v1/sources/nanao-status/documents?before=soon");
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Equal("before", (await Json(badPage)).GetProperty("field").GetString());

        using var admin = new PersonClient(_hub.BaseUrl);
        await admin.SignedInAsync("admin@hub.example");
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.GetAsync("/api/v1/sources/nanao-status/documents")).StatusCode);
        using var other = new PersonClient(_hub.BaseUrl);
        await other.SignedInAsync("clerk@wajima.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Http.GetAsync("/api/v1/sources/nanao-status/documents")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.GetAsync("/api/v1/sources/nanao-status/documents")).StatusCode);
    }
}
