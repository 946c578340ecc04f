using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Hostile;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;
using DisasterHub.Ingestion;

namespace DisasterHub.Api.Tests;

/// <summary>One hub for the whole hostile-input suite, with push sources for every layer the formats write.</summary>
public sealed class HostileHub : IAsyncLifetime
{
    public HubServer Hub { get; private set; } = null!;
    public string Key { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await HubServer.StartAsync(HostileCases.ServerSettings());
        Key = await Hub.CreateKeyAsync("nanao-city", HostileCases.PushScopes);
    }

    public Task DisposeAsync() => Hub.DisposeAsync().AsTask();
}

/// <summary>
/// DESIGN §4 hostile input: malformed JSON (JSONTestSuite n_ style), XML bombs and external entities, broken CSV and
/// semantically wrong documents, pushed through the real endpoint. For every case: no 5xx, no parser crash (the
/// pipeline's catch-all answer "document could not be parsed" counts as a crash), a reason for every rejection,
/// nothing stored from rejected input, and the hub still ready afterwards.
/// </summary>
public sealed class hostile_input_should(HostileHub fixture) : IClassFixture<HostileHub>
{
    private HubServer Hub => fixture.Hub;

    /// <summary>What IngestPipeline answers when a parser throws anything but UnparseableDocumentException.</summary>
    private const string CrashReason = "document could not be parsed";

    public static IEnumerable<object[]> JsonCases => HostileCases.Ids("json/");
    public static IEnumerable<object[]> XmlCases => HostileCases.Ids("xml/");
    public static IEnumerable<object[]> CsvCases => HostileCases.Ids("csv/");
    public static IEnumerable<object[]> SemanticCases => HostileCases.Ids("sem/");

    [Theory]
    [MemberData(nameof(JsonCases))]
    public Task survive_malformed_json(string id) => Run(id);

    [Theory]
    [MemberData(nameof(XmlCases))]
    public Task survive_xml_attacks(string id) => Run(id);

    [Theory]
    [MemberData(nameof(CsvCases))]
    public Task survive_broken_csv(string id) => Run(id);

    [Theory]
    [MemberData(nameof(SemanticCases))]
    public Task reject_semantically_wrong_documents(string id) => Run(id);

    [Fact]
    public void have_at_least_300_distinct_cases() => Assert.True(HostileCases.All.Count() >= 300, $"{HostileCases.All.Count()} cases");

    private async Task Run(string id)
    {
        var c = HostileCases.Get(id);
        var body = c.Body();
        var featuresBefore = await Hub.Db.ScalarAsync("SELECT count(*) FROM feature");
        var versionsBefore = await Hub.Db.ScalarAsync("SELECT count(*) FROM feature_version");

        var response = await Hub.PushAsync(c.Source, fixture.Key, body, c.ContentType, format: c.Format);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{id}: HTTP {status} {text}");
        Assert.True(status is 200 or 400 or 413 or 422, $"{id}: unexpected HTTP {status} {text}");

        var json = JsonDocument.Parse(text).RootElement;
        var accepted = json.TryGetProperty("accepted", out var a) ? a.GetInt32() : 0;
        var rejected = json.TryGetProperty("rejected", out var rj) ? rj.GetInt32() : 0;
        long? rawId = json.TryGetProperty("raw_document_id", out var raw) && raw.ValueKind == JsonValueKind.Number ? raw.GetInt64() : null;
        if (status is 413 or 422)
        {
            Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()), $"{id}: {status} without a reason");
        }
        else
        {
            var rejections = json.GetProperty("rejections").EnumerateArray().ToList();
            if (rejected <= 1000) Assert.Equal(rejected, rejections.Count);
            foreach (var r in rejections)
            {
                var reason = r.GetProperty("reason").GetString();
                Assert.False(string.IsNullOrWhiteSpace(reason), $"{id}: a rejection without a reason: {r}");
                Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("at").GetString()), $"{id}: a rejection without a location: {r}");
                Assert.False(reason == CrashReason, $"{id}: the parser crashed (pipeline catch-all); see the hub log for the exception");
            }
            if (status == 400) Assert.True(rejections.Count > 0, $"{id}: 400 without a rejection");
        }

        var rowsFromDoc = rawId is null ? 0 : await Hub.Db.ScalarAsync(
            "SELECT (SELECT count(*) FROM feature_version WHERE raw_document_id = @r) + (SELECT count(*) FROM feature WHERE raw_document_id = @r)", ("r", rawId.Value));
        switch (c.Expect)
        {
            case Expect.Reject:
                Assert.True(accepted == 0, $"{id}: expected a rejection, {accepted} accepted: {text}");
                Assert.True(status != 200 || rejected > 0, $"{id}: rejected input must carry a reason: {text}");
                Assert.Equal(0, rowsFromDoc);
                Assert.Equal(featuresBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
                Assert.Equal(versionsBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature_version"));
                break;
            case Expect.NoRows:
                Assert.True(accepted == 0, $"{id}: nothing should be accepted: {text}");
                Assert.Equal(0, rowsFromDoc);
                Assert.Equal(featuresBefore, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
                break;
            case Expect.Tolerate:
                if (accepted == 0) Assert.Equal(0, rowsFromDoc);
                break;
            case Expect.Accept:
                Assert.True(status == 200 && accepted >= 1, $"{id}: expected the hub to accept (and repair) it: {text}");
                break;
        }

        // nothing an external entity or include could have fetched ended up stored
        Assert.Equal(0, await Hub.Db.ScalarAsync(
            "SELECT count(*) FROM feature WHERE attrs::text ~ 'root:.*:0:0|security-credentials|ami-id' OR coalesce(name, '') ~ 'root:.*:0:0' OR coalesce(address, '') ~ 'root:.*:0:0'"));
        // and the hub is still serving
        var ready = await Hub.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    // ---------------------------------------------------------------------------------------- offline: the parsers

    public static IEnumerable<object[]> AllCases => HostileCases.All.Select(c => new object[] { c.Id });

    private static readonly FormatRegistry Formats = IngestionServices.CreateFormats(LayerCatalogue.Load());

    /// <summary>
    /// The same cases straight into the parsers (as ./hub validate does): anything thrown but
    /// UnparseableDocumentException is a crash, shown here with its stack trace. Bounded time per document.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCases))]
    public void never_crash_a_parser(string id)
    {
        var c = HostileCases.Get(id);
        var body = c.Body();
        if (body.Length > 2 * 1024 * 1024) return; // the push cap refuses it before any parser sees it
        var parser = Formats.Find(c.Format!);
        Assert.NotNull(parser);
        var sw = Stopwatch.StartNew();
        try
        {
            var result = Formats.Parse(parser, body, new ParseContext { ReceivedAt = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero) });
            Assert.All(result.Rejections, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), $"{id}: rejection at {r.At} without a reason"));
        }
        catch (UnparseableDocumentException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Reason), $"{id}: unparseable without a reason");
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"{id}: parsing took {sw.Elapsed}");
    }

    // ---------------------------------------------------------------------------------------- duplicates and order

    private static byte[] StatusDoc(string id, int evacuees, string observedAt) => Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[
          {"id":"{{id}}","name":"重複試験{{id}}","status":"開設","evacuees":{{evacuees}},"lat":37.04826,"lon":136.96136}]}
        """);

    [Fact]
    public async Task store_nothing_new_for_the_same_document_twice()
    {
        var doc = StatusDoc("DUP-SAME-1", 40, "2026-11-22T09:00:00+09:00");
        var first = await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, doc);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var features = await Hub.Db.ScalarAsync("SELECT count(*) FROM feature");
        var versions = await Hub.Db.ScalarAsync("SELECT count(*) FROM feature_version");
        var merged = await Hub.Db.ScalarAsync("SELECT coalesce(max(change_seq), 0) FROM merged_feature");

        var second = await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, doc);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, body.GetProperty("changed").GetInt32());
        Assert.Equal(features, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature"));
        Assert.Equal(versions, await Hub.Db.ScalarAsync("SELECT count(*) FROM feature_version"));
        Assert.Equal(merged, await Hub.Db.ScalarAsync("SELECT coalesce(max(change_seq), 0) FROM merged_feature"));
    }

    [Fact]
    public async Task keep_the_current_state_when_an_older_document_arrives_later()
    {
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, StatusDoc("DUP-ORDER-1", 50, "2026-11-22T10:00:00+09:00"))).StatusCode);
        var late = await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, StatusDoc("DUP-ORDER-1", 999, "2026-11-22T09:00:00+09:00"));
        Assert.True((int)late.StatusCode < 500);
        var row = Assert.Single(await Hub.Db.RowsAsync("SELECT (attrs->>'evacuees')::int, observed_at FROM feature WHERE source_key = 'DUP-ORDER-1'"));
        Assert.Equal(50, row[0]);
        Assert.Equal(new DateTime(2026, 11, 22, 1, 0, 0, DateTimeKind.Utc), ((DateTime)row[1]!).ToUniversalTime());
        var merged = Assert.Single(await Hub.Db.RowsAsync("SELECT (attrs->>'evacuees')::int FROM merged_feature WHERE name = '重複試験DUP-ORDER-1'"));
        Assert.Equal(50, merged[0]);
    }

    [Fact]
    public async Task keep_the_first_of_two_items_with_the_same_id_and_reject_the_second_with_a_reason()
    {
        var doc = Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
              {"id":"DUP-IN-DOC","name":"一つ目","status":"開設","evacuees":1,"lat":37.04826,"lon":136.96136},
              {"id":"DUP-IN-DOC","name":"二つ目","status":"開設","evacuees":2,"lat":37.04826,"lon":136.96136}]}
            """);
        var r = await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, doc);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Contains("duplicate", body.GetProperty("rejections")[0].GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/shelters/1", body.GetProperty("rejections")[0].GetProperty("at").GetString());
        Assert.Equal(1, await Hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM feature WHERE source_key = 'DUP-IN-DOC'"));
    }

    [Fact]
    public async Task keep_taking_updates_after_a_far_future_timestamp_was_offered()
    {
        // A far-future observed_at, if stored, would make every later real update look "older" and be ignored.
        var poison = await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, StatusDoc("POISON-1", 1, "9000-01-01T00:00:00+09:00"));
        Assert.True((int)poison.StatusCode < 500);
        Assert.Equal(HttpStatusCode.OK, (await Hub.PushAsync(HostileCases.ShelterSource, fixture.Key, StatusDoc("POISON-1", 77, "2026-11-22T09:00:00+09:00"))).StatusCode);
        Assert.Equal(77, await Hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM feature WHERE source_key = 'POISON-1'"));
    }

    // ---------------------------------------------------------------------------------------- ./hub validate

    [Fact]
    public void refuse_a_billion_laughs_file_offline_in_well_under_a_second()
    {
        var file = Path.Combine(Path.GetTempPath(), $"laughs-{Guid.NewGuid():N}.xml");
        var lol = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
        for (var i = 1; i <= 9; i++)
            lol.Append($" <!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))}\">\n");
        lol.Append("]>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>&lol9;</identifier></alert>\n");
        File.WriteAllText(file, lol.ToString());
        try
        {
            foreach (var args in new[] { new[] { file, "--format", "cap" }, new[] { file } })
            {
                using var output = new StringWriter();
                var sw = Stopwatch.StartNew();
                var exit = HubCli.Validate(args, output);
                sw.Stop();
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"validate took {sw.Elapsed}");
                var json = JsonDocument.Parse(output.ToString()).RootElement;
                Assert.Equal(0, json.GetProperty("accepted").GetInt32());
                if (args.Length > 1)
                {
                    Assert.Equal(0, exit);
                    var rejection = Assert.Single(json.GetProperty("rejections").EnumerateArray());
                    Assert.Contains("DTD", rejection.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
                }
                else
                {
                    // no format named: either a format claims it and rejects it, or none does (exit 2) — with a reason either way
                    var reason = exit == 0 ? json.GetProperty("rejections")[0].GetProperty("reason").GetString() : json.GetProperty("error").GetString();
                    Assert.False(string.IsNullOrWhiteSpace(reason));
                }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
