using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

public sealed class push_endpoint_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _nanaoKey = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(new() { ["Hub:MaxPushBytes"] = "65536" });
        _nanaoKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    internal static byte[] StatusDoc(string status = "開設", int evacuees = 120, string observedAt = "2026-11-22T09:00:00+09:00", string id = "CC0000000504") =>
        Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[
          {"id":"{{id}}","name":"御祓地区コミュニティセンター","status":"{{status}}","evacuees":{{evacuees}},"capacity":191,"lat":37.04826,"lon":136.96136}
        ]}
        """);

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task answer_401_without_a_valid_key_and_store_nothing()
    {
        var none = await _hub.PushAsync("nanao-status", null, StatusDoc());
        var wrong = await _hub.PushAsync("nanao-status", "dh_kdeadbeef0000.notasecret", StatusDoc());
        var tampered = await _hub.PushAsync("nanao-status", _nanaoKey[..^2] + "xx", StatusDoc());
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task answer_403_for_a_source_the_key_may_not_write()
    {
        var otherCity = await _hub.CreateKeyAsync("wajima-city", "push:shelters");
        var wrongScope = await _hub.CreateKeyAsync("nanao-city", "push:damage");
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.PushAsync("nanao-status", otherCity, StatusDoc())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.PushAsync("nanao-status", wrongScope, StatusDoc())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.PushAsync("sim-shelters", _nanaoKey, StatusDoc())).StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task answer_401_for_a_revoked_key()
    {
        var token = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var id = token[3..token.IndexOf('.', StringComparison.Ordinal)];
        await _hub.Db.ScalarAsync("UPDATE api_key SET revoked_at = now() WHERE id = @id RETURNING 1", ("id", id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.PushAsync("nanao-status", token, StatusDoc())).StatusCode);
    }

    [Fact]
    public async Task answer_413_over_the_size_cap_with_or_without_content_length()
    {
        var big = new byte[200_000];
        Array.Fill(big, (byte)' ');
        var declared = await _hub.PushAsync("nanao-status", _nanaoKey, big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);

        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents")
        {
            Content = new StreamContent(new MemoryStream(big)), // no Content-Length: chunked
        };
        req.Headers.TransferEncodingChunked = true;
        req.Headers.Authorization = new("Bearer", _nanaoKey);
        var chunked = await _hub.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task accept_a_status_document_and_answer_with_counts()
    {
        var r = await _hub.PushAsync("nanao-status", _nanaoKey, StatusDoc());
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await Json(r);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("rejected").GetInt32());
        var rows = await _hub.Db.RowsAsync("SELECT status, (attrs->>'evacuees')::int, municipality_code, ST_X(geom), ST_Y(geom), observed_at FROM feature WHERE source_id = 'nanao-status'");
        var row = Assert.Single(rows);
        Assert.Equal("開設", row[0]);
        Assert.Equal(120, row[1]);
        Assert.Equal("172022", row[2]);
        Assert.Equal(136.96136, (double)row[3]!, 6);
        Assert.Equal(37.04826, (double)row[4]!, 6);
        Assert.Equal(new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc), ((DateTime)row[5]!).ToUniversalTime());
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push' AND target = 'nanao-status'"));
    }

    [Fact]
    public async Task reject_bad_entries_with_a_pointer_and_keep_the_rest()
    {
        var doc = Encoding.UTF8.GetBytes("""
        {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
          {"id":"A1","name":"良い避難所","status":"開設","evacuees":10,"lat":37.04,"lon":136.96},
          {"id":"A2","name":"悪い状態","status":"たぶん開いてる","evacuees":10,"lat":37.05,"lon":136.97},
          {"id":"A3","name":"負の人数","status":"開設","evacuees":-5,"lat":37.05,"lon":136.97}
        ]}
        """);
        var r = await _hub.PushAsync("nanao-status", _nanaoKey, doc);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await Json(r);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Equal(2, body.GetProperty("rejected").GetInt32());
        var ats = body.GetProperty("rejections").EnumerateArray().Select(e => e.GetProperty("at").GetString()).ToList();
        Assert.Contains(ats, a => a!.StartsWith("/shelters/1", StringComparison.Ordinal));
        Assert.Contains(ats, a => a!.StartsWith("/shelters/2", StringComparison.Ordinal));
        Assert.All(body.GetProperty("rejections").EnumerateArray(), e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("reason").GetString())));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM rejection"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
    }

    [Fact]
    public async Task answer_400_for_an_unparseable_document_but_keep_the_raw_payload()
    {
        var r = await _hub.PushAsync("nanao-status", _nanaoKey, Encoding.UTF8.GetBytes("{\"shelters\": [ {\"id\": "));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var body = await Json(r);
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        Assert.NotEmpty(body.GetProperty("rejections")[0].GetProperty("reason").GetString()!);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE status = 'unparseable'"));
    }

    [Fact]
    public async Task replay_the_same_answer_for_the_same_idempotency_key_and_body()
    {
        var first = await _hub.PushAsync("nanao-status", _nanaoKey, StatusDoc(), idempotencyKey: "push-0001");
        var second = await _hub.PushAsync("nanao-status", _nanaoKey, StatusDoc(), idempotencyKey: "push-0001");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_version"));

        var reused = await _hub.PushAsync("nanao-status", _nanaoKey, StatusDoc(evacuees: 999), idempotencyKey: "push-0001");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }
}
