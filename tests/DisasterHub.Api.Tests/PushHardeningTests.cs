using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Push;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// A hub for the push-path attacks of issue 17: a shelter source of nanao-city, another organization (wajima-city)
/// with its own shelter source, an evacuation-order source for CAP, small ingest shares and retention caps.
/// </summary>
public sealed class PushHardeningHub : IAsyncLifetime
{
    public const string EvacSource = "hard-evac";
    public const string WajimaSource = "wajima-status";

    public HubServer Hub { get; private set; } = null!;
    public string NanaoKey { get; private set; } = null!;
    public string NanaoAllLayersKey { get; private set; } = null!;
    public string WajimaKey { get; private set; } = null!;

    public static Dictionary<string, string?> Settings()
    {
        var s = new Dictionary<string, string?>
        {
            ["Hub:Ingest:GlobalSlots"] = "4",
            ["Hub:Ingest:PerOrganizationSlots"] = "2",
            ["Hub:Ingest:SlotWaitMilliseconds"] = "300",
            ["Hub:Ingest:MaxAreasPerRecord"] = "5",
            ["Hub:Retention:RejectedRawKeepBytes"] = "1024",
            ["Hub:Retention:RejectedRawQuotaBytesPerKey"] = "4096",
            ["Hub:Organizations:2:Id"] = "wajima-city",
            ["Hub:Organizations:2:Name"] = "輪島市 (test)",
            ["Hub:Organizations:2:Kind"] = "municipality",
            ["Hub:Organizations:2:Jurisdiction:0"] = "172022",
            ["Hub:Sources:21:Id"] = WajimaSource,
            ["Hub:Sources:21:Name"] = "wajima shelter status (test)",
            ["Hub:Sources:21:Kind"] = "push",
            ["Hub:Sources:21:Format"] = "shelter-status-json",
            ["Hub:Sources:21:Layer"] = "shelters",
            ["Hub:Sources:21:OwnerOrg"] = "wajima-city",
        };
        return TestSettings.AddPushSources(s, 20, "push hardening", (EvacSource, "cap", "evacuation_orders"));
    }

    public async Task InitializeAsync()
    {
        Hub = await HubServer.StartAsync(Settings());
        NanaoKey = await Hub.CreateKeyAsync("nanao-city", "push:shelters");
        NanaoAllLayersKey = await Hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders");
        WajimaKey = await Hub.CreateKeyAsync("wajima-city", "push:shelters");
    }

    public Task DisposeAsync() => Hub.DisposeAsync().AsTask();
}

public sealed class push_hardening_should(PushHardeningHub fixture) : IClassFixture<PushHardeningHub>
{
    private HubServer Hub => fixture.Hub;

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    private static byte[] Shelter(string id, string name = "御祓地区コミュニティセンター", int evacuees = 10, string observedAt = "2026-11-22T09:00:00+09:00") => U($$"""
        {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[
          {"id":"{{id}}","name":{{JsonSerializer.Serialize(name)}},"status":"開設","evacuees":{{evacuees}},"capacity":191,"lat":37.04826,"lon":136.96136}]}
        """);

    private const string ValidSquare = "37.00,136.90 37.00,136.95 37.05,136.95 37.05,136.90 37.00,136.90";
    private const string BowTie = "37.10,136.90 37.15,136.95 37.10,136.95 37.15,136.90 37.10,136.90";

    internal static byte[] Cap(string id, params string[] polygons) => U($$"""
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>{{id}}</identifier><sender>alerts@example.invalid</sender><sent>2026-11-22T09:00:00+09:00</sent>
          <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
          <info><category>Met</category><event>避難指示</event><urgency>Immediate</urgency><severity>Severe</severity>
            <certainty>Observed</certainty><headline>避難指示 {{id}}</headline>
            <area><areaDesc>七尾市</areaDesc>{{string.Concat(polygons.Select(p => $"<polygon>{p}</polygon>"))}}<geocode><valueName>jisX0402</valueName><value>17202</value></geocode></area></info>
        </alert>
        """);

    private async Task<HttpResponseMessage> Send(string path, string? token, byte[] body, string contentType = "application/json", string? contentEncoding = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (contentEncoding is not null) req.Content.Headers.ContentEncoding.Add(contentEncoding);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Hub.Http.SendAsync(req);
    }

    // ------------------------------------------------------------------------------------------ 1: own layer only

    [Fact]
    public async Task refuse_a_format_whose_parser_writes_another_layer_and_store_nothing()
    {
        var featuresBefore = await Hub.Db.ScalarAsync("SELECT count(*) FROM feature");
        var rawBefore = await Hub.Db.ScalarAsync("SELECT count(*) FROM raw_document");
        // a key allowed to push evacuation orders too, on its shelter source: the source's layer decides
        foreach (var key in new[] { fixture.NanaoKey, fixture.NanaoAllLayersKey })
        {
            var r = await Hub.PushAsync("nanao-status", key, Cap("LAYER-HOP-1", ValidSquare), "application/xml", format: "cap");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var json = await Json(r);
            Assert.Equal("format", json.GetProperty("field").GetString());
            Assert.Equal(400, json.GetProperty("status").GetInt32());
            Assert.Equal("evacuation_orders", json.GetProperty("format_layer").GetString());
            Assert.Equal("shelters", json.GetProperty("source_layer").GetString());
            var detail = json.GetProperty("detail").GetString()!;
            Assert.Contains("'cap'", detail, StringComparison.Ordinal);
            Assert.Contains("evacuation_orders", detail, StringComparison.Ordinal);
            Assert.Contains("shelters", detail, StringComparison.Ordinal);
        }
        Assert.Equal(featuresBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        Assert.Equal(rawBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE layer = 'evacuation_orders' AND source_id = 'nanao-status'"));
        Assert.True(await Hub.Db.ScalarAsync(
            "SELECT count(*) FROM audit WHERE action = 'push_denied' AND target = 'nanao-status' AND detail->'detail'->>'format' = 'cap' AND detail->'detail'->>'format_layer' = 'evacuation_orders'") >= 1);
    }

    [Fact]
    public async Task name_format_and_layer_in_the_audit_entry_of_every_push()
    {
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("AUDIT-FMT-1"))).StatusCode);
        var row = Assert.Single(await Hub.Db.RowsAsync(
            "SELECT detail->>'format', detail->>'layer' FROM audit WHERE action = 'push' AND target = 'nanao-status' AND (detail->>'RawDocumentId')::bigint = (SELECT max(id) FROM raw_document WHERE source_id = 'nanao-status')"));
        Assert.Equal("shelter-status-json", row[0]);
        Assert.Equal("shelters", row[1]);
    }

    // ------------------------------------------------------------------------------------------ 5: fairness, caps, budget

    [Fact]
    public async Task keep_taking_another_organizations_push_while_one_organization_fills_its_share()
    {
        var gate = Hub.App.Services.GetRequiredService<IngestGate>();
        var held = new List<IDisposable>();
        try
        {
            // nanao-city's share (2 of 4 slots) taken, as two long documents would
            for (var i = 0; i < gate.PerOrganizationSlots; i++)
                held.Add(await gate.TryEnterAsync("nanao-city", CancellationToken.None) ?? throw new InvalidOperationException("no slot"));

            var nanao = await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("FAIR-NANAO-1"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, nanao.StatusCode);
            Assert.NotNull(nanao.Headers.RetryAfter);
            Assert.Equal("application/problem+json", nanao.Content.Headers.ContentType?.MediaType);

            var wajima = await Hub.PushAsync(PushHardeningHub.WajimaSource, fixture.WajimaKey, Shelter("FAIR-WAJIMA-1"));
            Assert.Equal(HttpStatusCode.OK, wajima.StatusCode);
            Assert.Equal(1, (await Json(wajima)).GetProperty("accepted").GetInt32());
        }
        finally
        {
            foreach (var h in held) h.Dispose();
        }
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("FAIR-NANAO-2"))).StatusCode);
    }

    [Fact]
    public async Task reject_a_record_with_more_areas_than_the_cap_with_a_reason()
    {
        var r = await Hub.PushAsync(PushHardeningHub.EvacSource, fixture.NanaoAllLayersKey,
            Cap("MANY-AREAS-1", ValidSquare, ValidSquare, ValidSquare, ValidSquare, ValidSquare, ValidSquare), "application/xml");
        var json = await Json(r);
        Assert.Equal(0, json.GetProperty("accepted").GetInt32());
        Assert.Contains(json.GetProperty("rejections").EnumerateArray(), x => x.GetProperty("reason").GetString()!.Contains("MaxAreasPerRecord", StringComparison.Ordinal));
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key LIKE '%MANY-AREAS-1%'"));
    }

    // ------------------------------------------------------------------------------------------ 7: future times, not current

    [Fact]
    public async Task reject_a_time_beyond_the_allowed_skew_with_the_hubs_clock_and_take_one_within_it()
    {
        var now = DateTimeOffset.UtcNow;
        // a JST wall-clock time written with Z: nine hours ahead
        var jstAsZ = now.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + "Z";
        var r = await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("FUTURE-1", observedAt: jstAsZ));
        var json = await Json(r);
        Assert.Equal(0, json.GetProperty("accepted").GetInt32());
        var reason = json.GetProperty("rejections")[0].GetProperty("reason").GetString()!;
        Assert.Contains("in the future", reason, StringComparison.Ordinal);
        Assert.Contains("hub's clock reads " + now.UtcDateTime.ToString("yyyy-MM-ddTHH", System.Globalization.CultureInfo.InvariantCulture), reason, StringComparison.Ordinal);
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'FUTURE-1'"));

        var slightlyAhead = now.AddMinutes(2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var ok = await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("FUTURE-2", observedAt: slightlyAhead));
        Assert.Equal(1, (await Json(ok)).GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task say_which_accepted_records_did_not_become_current()
    {
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("ORDER-NC-1", evacuees: 50, observedAt: "2026-11-22T10:00:00+09:00"))).StatusCode);
        var late = await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("ORDER-NC-1", evacuees: 999, observedAt: "2026-11-22T09:00:00+09:00"));
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        var json = await Json(late);
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        Assert.Equal(0, json.GetProperty("changed").GetInt32());
        Assert.Equal(1, json.GetProperty("not_current").GetInt32());
        var item = Assert.Single(json.GetProperty("not_current_records").EnumerateArray());
        Assert.Equal("ORDER-NC-1", item.GetProperty("id").GetString());
        Assert.Contains("newer state", item.GetProperty("reason").GetString(), StringComparison.Ordinal);

        // the same document again is a no-op, not "not current"
        var again = await Json(await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("ORDER-NC-1", evacuees: 50, observedAt: "2026-11-22T10:00:00+09:00")));
        Assert.Equal(0, again.GetProperty("not_current").GetInt32());
    }

    // ------------------------------------------------------------------------------------------ 8: strict UTF-8

    [Fact]
    public async Task refuse_json_with_one_invalid_utf8_byte_naming_its_offset()
    {
        var good = Shelter("UTF8-1", name: "御祓Q");
        var at = Array.IndexOf(good, (byte)'Q');
        var bad = good.ToArray();
        bad[at] = 0x93; // a CP932 lead byte: "mojibake" if decoded leniently
        var r = await Hub.PushAsync("nanao-status", fixture.NanaoKey, bad);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var json = await Json(r);
        Assert.Equal($"byte {at}", json.GetProperty("pointer").GetString());
        Assert.Contains($"byte offset {at}", json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'UTF8-1'"));
    }

    // ------------------------------------------------------------------------------------------ 9: parameters

    [Theory]
    [InlineData("/api/v1/sources/nanao-status/documents?format=%00", "format")]
    [InlineData("/api/v1/sources/nanao-status/documents?workspace=%00", "workspace")]
    [InlineData("/api/v1/sources/nanao-status/documents?workspace=a%0Ab", "workspace")]
    [InlineData("/api/v1/sources/nanao-status/documents?format=a%E2%80%AEb", "format")]
    [InlineData("/api/v1/sources/nanao-status/documents?format=cap&format=gsi-shelter-csv", "format")]
    [InlineData("/api/v1/sources/nanao-status/documents?format=%3Cscript%3E", "format")]
    [InlineData("/api/v1/sources/nanao%E2%80%AEstatus/documents", "id")]
    public async Task answer_400_naming_the_parameter_for_nul_control_and_repeated_values(string path, string field)
    {
        // a NUL in the path never gets that far: Kestrel answers 400 itself
        Assert.Equal(HttpStatusCode.BadRequest, (await Send("/api/v1/sources/nanao%00status/documents", fixture.NanaoKey, Shelter("PARAM-0"))).StatusCode);
        foreach (var token in new[] { fixture.NanaoKey, null })
        {
            var r = await Send(path, token, Shelter("PARAM-1"));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            var json = await Json(r);
            // the query guard (every endpoint, before any of them) names a query parameter; the endpoint names the path id
            var named = json.TryGetProperty("parameter", out var parameter) ? parameter : json.GetProperty("field");
            Assert.Equal(field, named.GetString());
            Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()));
        }
    }

    // ------------------------------------------------------------------------------------------ 10: public text, denied audit

    [Fact]
    public async Task never_publish_an_unknown_format_name_and_drop_the_error_after_a_success()
    {
        const string chosen = "ATTACKER-CHOSEN-TEXT-4711";
        var r = await Hub.PushAsync(PushHardeningHub.WajimaSource, fixture.WajimaKey, Shelter("UNKNOWN-FMT-1"), format: chosen);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var json = await Json(r);
        Assert.Equal("format", json.GetProperty("field").GetString());

        var sources = await Hub.Http.GetStringAsync("/api/v1/sources");
        var ready = await Hub.Http.GetStringAsync("/health/ready");
        Assert.DoesNotContain(chosen, sources, StringComparison.Ordinal);
        Assert.DoesNotContain(chosen, ready, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(sources).RootElement.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("id").GetString() == PushHardeningHub.WajimaSource);
        Assert.Equal(IngestPipeline.UnknownFormatHealth, listed.GetProperty("last_error").GetString());
        Assert.True(listed.GetProperty("failing").GetBoolean());
        // the operator still finds the words in the audit log
        Assert.True(await Hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push' AND target = @t AND detail->>'format' = @f", ("t", PushHardeningHub.WajimaSource), ("f", chosen)) >= 1);

        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync(PushHardeningHub.WajimaSource, fixture.WajimaKey, Shelter("UNKNOWN-FMT-2"))).StatusCode);
        var after = JsonDocument.Parse(await Hub.Http.GetStringAsync("/api/v1/sources")).RootElement.GetProperty("sources").EnumerateArray()
            .Single(s => s.GetProperty("id").GetString() == PushHardeningHub.WajimaSource);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("last_error").ValueKind);
        Assert.False(after.GetProperty("failing").GetBoolean());
    }

    [Fact]
    public async Task audit_denied_pushes_once_per_caller_and_reason_not_once_per_request()
    {
        const string bogus = "dh_kfeedface0001.not-the-secret";
        for (var i = 0; i < 30; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Hub.PushAsync("nanao-status", bogus, Shelter("DENIED-1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Hub.PushAsync("nanao-status", fixture.WajimaKey, Shelter("DENIED-2"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Hub.PushAsync("no-such-source", fixture.WajimaKey, Shelter("DENIED-3"))).StatusCode);

        Assert.Equal(1, await Hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push_denied' AND api_key_id = 'kfeedface0001' AND (detail->>'status')::int = 401"));
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE detail::text LIKE '%not-the-secret%'"));
        Assert.Equal(1, await Hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push_denied' AND organization_id = 'wajima-city' AND target = 'nanao-status' AND (detail->>'status')::int = 403"));
        Assert.Equal(1, await Hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push_denied' AND target = 'no-such-source' AND (detail->>'status')::int = 404"));
        Assert.Equal(0, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key LIKE 'DENIED-%'"));
    }

    // ------------------------------------------------------------------------------------------ 11: self-intersecting polygons

    [Fact]
    public async Task keep_the_valid_area_of_an_alert_that_also_has_a_self_intersecting_polygon()
    {
        var r = await Hub.PushAsync(PushHardeningHub.EvacSource, fixture.NanaoAllLayersKey, Cap("BOWTIE-1", ValidSquare, BowTie), "application/xml");
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32());
        // the valid square's centre is inside the stored area, and the stored geometry is valid
        Assert.Equal(1, await Hub.Db.ScalarAsync(
            "SELECT count(*) FROM feature WHERE source_id = @s AND ST_IsValid(geom) AND ST_Contains(geom, ST_SetSRID(ST_MakePoint(136.925, 37.025), 4326))", ("s", PushHardeningHub.EvacSource)));
    }

    [Fact]
    public void validate_a_self_intersecting_polygon_file_as_json_with_exit_0_or_2()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bowtie-{Guid.NewGuid():N}.xml");
        File.WriteAllBytes(file, Cap("BOWTIE-CLI", ValidSquare, BowTie));
        try
        {
            foreach (var args in new[] { new[] { file, "--format", "cap" }, new[] { file }, new[] { file, "--extent" }, new[] { "--format", "cap" } })
            {
                using var output = new StringWriter();
                var exit = HubCli.Validate(args, output);
                Assert.True(exit is 0 or 2, $"exit {exit}");
                var json = JsonDocument.Parse(output.ToString()).RootElement;
                if (args[0] == file && !args.Contains("--extent"))
                {
                    Assert.Equal(0, exit);
                    Assert.Equal(1, json.GetProperty("accepted").GetInt32());
                }
                else
                {
                    Assert.Equal(2, exit);
                    Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()));
                }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    // ------------------------------------------------------------------------------------------ 15: retention and locks

    [Fact]
    public async Task keep_only_a_capped_prefix_of_unparseable_pushes_within_a_per_key_quota()
    {
        var key = await Hub.CreateKeyAsync("nanao-city", "push:shelters");
        var keyId = key[3..key.IndexOf('.', StringComparison.Ordinal)];
        var garbage = U("{\"shelters\": [" + new string('x', 2990));
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await Hub.PushAsync("nanao-status", key, garbage)).StatusCode);
        var rows = await Hub.Db.RowsAsync("SELECT length(body), size_bytes, body_truncated, sha256 FROM raw_document WHERE api_key_id = @k ORDER BY id", ("k", keyId));
        Assert.Equal(6, rows.Count);
        var sha = System.Security.Cryptography.SHA256.HashData(garbage);
        foreach (var row in rows)
        {
            Assert.True((int)row[0]! <= 1024, $"{row[0]} bytes kept");
            Assert.Equal(garbage.Length, (int)row[1]!);
            Assert.True((bool)row[2]!);
            Assert.Equal(sha, (byte[])row[3]!);
        }
        Assert.Equal(1024, (int)rows[0][0]!);
        Assert.True(rows.Sum(r => (int)r[0]!) <= 4096, $"{rows.Sum(r => (int)r[0]!)} bytes stored for one key");
        Assert.Equal(0, (int)rows[^1][0]!);
        // a parsed document is kept whole, compressed with lz4 (migration 0052: pglz cost ~225 ms of a 14.5 MB registry push)
        var doc = Shelter("RETAIN-OK-1", name: new string('長', 1200));
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync("nanao-status", key, doc)).StatusCode);
        var kept = Assert.Single(await Hub.Db.RowsAsync("SELECT length(body), pg_column_compression(body) FROM raw_document WHERE api_key_id = @k AND status = 'parsed'", ("k", keyId)));
        Assert.Equal(doc.Length, (int)kept[0]!);
        Assert.Equal("lz4", kept[1]);
    }

    [Fact]
    public async Task forget_the_lock_of_every_idempotency_key_once_its_push_is_done()
    {
        var locks = Hub.App.Services.GetRequiredService<KeyedLocks>();
        for (var i = 0; i < 40; i++)
            Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter($"LOCKS-{i}"), idempotencyKey: $"locks-{Guid.NewGuid():N}")).StatusCode);
        Assert.Equal(0, locks.Idempotency.Count);

        // the same key twice at once: one ingests, the other waits and replays its answer
        var doc = Shelter("LOCKS-SAME");
        var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Hub.PushAsync("nanao-status", fixture.NanaoKey, doc, idempotencyKey: "locks-same")));
        Assert.All(both, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(both, r => r.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(0, locks.Idempotency.Count);
    }

    // ------------------------------------------------------------------------------------------ 16: text, encodings

    [Fact]
    public async Task strip_bidi_and_zero_width_characters_from_names()
    {
        var r = await Hub.PushAsync("nanao-status", fixture.NanaoKey, Shelter("BIDI-1", name: "\u202E御祓\u200B地区\u2066センター\u2069\uFEFF"));
        Assert.Equal(1, (await Json(r)).GetProperty("accepted").GetInt32());
        var name = (string?)Assert.Single(await Hub.Db.RowsAsync("SELECT name FROM feature WHERE source_key = 'BIDI-1'"))[0];
        Assert.Equal("御祓地区センター", name);
    }

    [Fact]
    public async Task decompress_a_gzip_body_and_refuse_a_bomb_or_an_unsupported_encoding()
    {
        var doc = Shelter("GZIP-1");
        using (var ms = new MemoryStream())
        {
            await using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) await gz.WriteAsync(doc);
            var r = await Send("/api/v1/sources/nanao-status/documents", fixture.NanaoKey, ms.ToArray(), contentEncoding: "gzip");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(1, (await Json(r)).GetProperty("accepted").GetInt32());
            Assert.Equal(doc.Length, await Hub.Db.ScalarAsync("SELECT length(body) FROM raw_document WHERE id = (SELECT raw_document_id FROM feature WHERE source_key = 'GZIP-1')"));
        }
        var rawBefore = await Hub.Db.ScalarAsync("SELECT count(*) FROM raw_document");
        using (var ms = new MemoryStream())
        {
            await using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
                for (var i = 0; i < 64; i++) await gz.WriteAsync(new byte[1024 * 1024]); // 64 MiB of zeros in ~64 KiB
            var bomb = await Send("/api/v1/sources/nanao-status/documents", fixture.NanaoKey, ms.ToArray(), contentEncoding: "gzip");
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bomb.StatusCode);
            Assert.Equal("Content-Encoding", (await Json(bomb)).GetProperty("field").GetString());
        }
        var br = await Send("/api/v1/sources/nanao-status/documents", fixture.NanaoKey, doc, contentEncoding: "br");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, br.StatusCode);
        Assert.Equal("Content-Encoding", (await Json(br)).GetProperty("field").GetString());
        Assert.Equal(rawBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }
}

/// <summary>Limits that would disturb the other tests: a parse budget of 1 ms, and a clock the test moves.</summary>
public sealed class push_budget_and_retention_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(new() { ["Hub:Ingest:ParseBudgetMilliseconds"] = "1", ["Hub:Retention:IdempotencyHours"] = "24" }, _clock);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] ManyShelters(int n) => Encoding.UTF8.GetBytes(
        "{\"municipality_code\":\"172022\",\"observed_at\":\"2026-11-22T09:00:00+09:00\",\"shelters\":["
        + string.Join(',', Enumerable.Range(0, n).Select(i => $$"""{"id":"BUDGET-{{i}}","name":"避難所{{i}}","status":"開設","evacuees":{{i}},"lat":37.04826,"lon":136.96136}"""))
        + "]}");

    [Fact]
    public async Task reject_a_document_over_the_parse_budget_with_the_reason_and_keep_it_raw()
    {
        var doc = ManyShelters(20_000);
        // the budget runs on the hub's clock: the test's clock moves on while the push is being parsed
        var pushing = _hub.PushAsync("nanao-status", _key, doc);
        while (!pushing.IsCompleted)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(1);
        }
        var r = await pushing;
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, text);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Contains("ParseBudgetMilliseconds", json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        var raw = Assert.Single(await _hub.Db.RowsAsync("SELECT status, size_bytes FROM raw_document"));
        Assert.Equal("unparseable", raw[0]);
        Assert.Equal(doc.Length, (int)raw[1]!);
    }

    [Fact]
    public async Task prune_idempotency_answers_after_their_time_to_live()
    {
        var small = Encoding.UTF8.GetBytes("""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[]}""");
        Assert.True((int)(await _hub.PushAsync("nanao-status", _key, small, idempotencyKey: "ttl-1")).StatusCode < 500);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM idempotency"));
        var pruner = _hub.App.Services.GetRequiredService<RetentionPruner>();

        _clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await pruner.PruneOnceAsync(CancellationToken.None));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM idempotency"));

        // advancing the clock also wakes the pruner's own loop, which may take the expired row first: either way it goes
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.InRange(await pruner.PruneOnceAsync(CancellationToken.None), 0, 1);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM idempotency"));
    }
}
