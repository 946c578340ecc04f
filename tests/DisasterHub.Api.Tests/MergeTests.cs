using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>merged_feature: one row per real-world thing, maintained in the ingest transaction.</summary>
public sealed class merging_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(new()
        {
            // a second push source with lower priority (higher number) than the city's own
            ["Hub:Organizations:2:Id"] = "ishikawa-pref",
            ["Hub:Organizations:2:Name"] = "石川県",
            ["Hub:Organizations:2:Kind"] = "prefecture",
            ["Hub:Organizations:2:Jurisdiction:0"] = "170003", // 石川県: every municipality in the prefecture
            ["Hub:Sources:2:Id"] = "pref-status",
            ["Hub:Sources:2:Kind"] = "push",
            ["Hub:Sources:2:Format"] = "shelter-status-json",
            ["Hub:Sources:2:Layer"] = "shelters",
            ["Hub:Sources:2:Priority"] = "30",
            ["Hub:Sources:2:OwnerOrg"] = "ishikawa-pref",
        });
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Doc(string shelterJson, string observedAt = "2026-11-22T09:00:00+09:00") =>
        Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[{{shelterJson}}]}""");

    private async Task Push(string source, string key, byte[] doc)
    {
        var r = await _hub.PushAsync(source, key, doc);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK && body.Contains("\"rejected\":0", StringComparison.Ordinal), body);
    }

    [Fact]
    public async Task merge_by_national_shelter_id()
    {
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-1","common_id":"E1720200001201","name":"七尾東小学校","status":"開設","evacuees":100,"lat":37.0400,"lon":136.9600}"""));
        await Push("pref-status", _prefKey, Doc("""{"id":"P-77","common_id":"E1720200001201","name":"七尾市立七尾東小学校","status":"開設","evacuees":110,"capacity":500,"lat":37.0402,"lon":136.9601}"""));
        var rows = await _hub.Db.RowsAsync("SELECT entity_key, name, (attrs->>'evacuees')::int, (attrs->>'capacity')::int, array_length(sources, 1), provenance->'name'->>'source' FROM merged_feature");
        var row = Assert.Single(rows);
        Assert.Equal("E1720200001201", row[0]);
        Assert.Equal("七尾東小学校", row[1]);            // the city (priority 10) beats the prefecture (30)
        Assert.Equal(100, row[2]);
        Assert.Equal(500, row[3]);                        // only the prefecture knows the capacity
        Assert.Equal(2, row[4]);
        Assert.Equal("nanao-status", row[5]);
        Assert.Equal("pref-status", (await _hub.Db.RowsAsync("SELECT provenance->'attrs.capacity'->>'source' FROM merged_feature"))[0][0]);
    }

    [Fact]
    public async Task merge_by_municipality_and_normalized_name_within_100_m_only()
    {
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-2","name":"和倉 公民館","status":"開設","evacuees":40,"lat":37.0900,"lon":136.9200}"""));
        // same name (full-width space, NFKC) 30 m away from another source: the same shelter
        await Push("pref-status", _prefKey, Doc("""{"id":"P-2","name":"和倉　公民館","status":"開設","evacuees":42,"lat":37.0902,"lon":136.9202}"""));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature"));
        // a national id arriving later pulls the name-keyed features into its entity
        await Push("pref-status", _prefKey, Doc("""{"id":"P-3","common_id":"E1720200009901","name":"和倉公民館","status":"開設","evacuees":41,"lat":37.0901,"lon":136.9201}"""));
        var keys = await _hub.Db.RowsAsync("SELECT entity_key, array_length(sources, 1) FROM merged_feature");
        var only = Assert.Single(keys);
        Assert.Equal("E1720200009901", only[0]);
        Assert.Equal(3, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE entity_key = 'E1720200009901'"));
    }

    [Fact]
    public async Task take_each_field_by_priority_then_recency()
    {
        await Push("pref-status", _prefKey, Doc("""{"id":"P-4","common_id":"E1720200004401","name":"中島体育館","status":"未開設","evacuees":0,"lat":37.1,"lon":136.85}""", "2026-11-22T10:00:00+09:00"));
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-4","common_id":"E1720200004401","name":"中島体育館","status":"開設","evacuees":0,"lat":37.1,"lon":136.85}""", "2026-11-22T09:00:00+09:00"));
        // the city has priority even though the prefecture's word is newer
        Assert.Equal("開設", (await _hub.Db.RowsAsync("SELECT status FROM merged_feature"))[0][0]);
        // within one source, the newer observation wins
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-4","common_id":"E1720200004401","name":"中島体育館","status":"閉鎖","evacuees":0,"lat":37.1,"lon":136.85}""", "2026-11-22T11:00:00+09:00"));
        var row = (await _hub.Db.RowsAsync("SELECT status, provenance->'status'->>'observed_at' FROM merged_feature"))[0];
        Assert.Equal("閉鎖", row[0]);
        Assert.StartsWith("2026-11-22T02:00:00", (string)row[1]!, StringComparison.Ordinal);
    }

    /// <summary>Issue 16 §4: one source's provenance is stored once per row, and every read path shows it per field as before.</summary>
    [Fact]
    public async Task store_a_single_source_provenance_once_and_show_it_per_field_everywhere()
    {
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-9","common_id":"E1720200009901","name":"和倉小学校","status":"開設","evacuees":12,"lat":37.09,"lon":136.92}"""));
        var observed = "2026-11-22T00:00:00+00:00";
        var one = new Dictionary<string, string> { ["source"] = "nanao-status", ["observed_at"] = observed };
        var stored = (string)(await _hub.Db.RowsAsync("SELECT provenance::text FROM merged_feature"))[0][0]!;
        Assert.Equal("""{"source": "nanao-status", "observed_at": "2026-11-22T00:00:00+00:00"}""", stored);

        static Dictionary<string, Dictionary<string, string>> PerField(JsonElement p) =>
            p.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.EnumerateObject().ToDictionary(v => v.Name, v => v.Value.GetString()!));
        var fields = new[] { "geometry", "name", "municipality_code", "status", "attrs.shelter_id", "attrs.common_id", "attrs.evacuees" };
        void AssertPerField(JsonElement provenance, string where)
        {
            var map = PerField(provenance);
            Assert.True(fields.Order().SequenceEqual(map.Keys.Order()), $"{where}: {provenance}");
            Assert.All(map.Values, v => Assert.Equal(one, v));
        }
        JsonElement Props(string json) => JsonDocument.Parse(json).RootElement.GetProperty("features")[0].GetProperty("properties");
        AssertPerField(Props(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items")).GetProperty("provenance"), "items");
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        AssertPerField(Props(await _hub.Http.GetStringAsync($"/ogc/collections/merged_shelters/items?datetime={now}")).GetProperty("provenance"), "items as of");
        var change = JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/changes?layer=shelters&since=0")).RootElement.GetProperty("changes")[0];
        AssertPerField(change.GetProperty("feature").GetProperty("properties").GetProperty("provenance"), "changes");

        // a second source makes the row a real merge: stored per field again, each field with the source that gave it
        await Push("pref-status", _prefKey, Doc("""{"id":"P-9","common_id":"E1720200009901","name":"和倉小学校","status":"開設","evacuees":12,"capacity":300,"lat":37.09,"lon":136.92}"""));
        Assert.Equal(0L, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE provenance ? 'source'"));
        var merged = PerField(Props(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items")).GetProperty("provenance"));
        Assert.Equal("nanao-status", merged["status"]["source"]);
        Assert.Equal("pref-status", merged["attrs.capacity"]["source"]);
    }

    [Fact]
    public async Task record_a_conflict_when_sources_disagree_on_a_key_field()
    {
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-5","common_id":"E1720200005501","name":"田鶴浜小学校","status":"開設","evacuees":200,"lat":37.06,"lon":136.89}"""));
        await Push("pref-status", _prefKey, Doc("""{"id":"P-5","common_id":"E1720200005501","name":"田鶴浜小学校","status":"閉鎖","evacuees":120,"lat":37.06,"lon":136.89}"""));
        var conflicts = (string)(await _hub.Db.RowsAsync("SELECT conflicts::text FROM merged_feature"))[0][0]!;
        Assert.Contains("\"field\": \"status\"", conflicts, StringComparison.Ordinal);
        Assert.Contains("\"field\": \"attrs.evacuees\"", conflicts, StringComparison.Ordinal); // 120 vs 200: more than 20 %
        Assert.Contains("閉鎖", conflicts, StringComparison.Ordinal);
        Assert.Equal("開設", (await _hub.Db.RowsAsync("SELECT status FROM merged_feature"))[0][0]);
    }

    [Fact]
    public async Task not_record_a_conflict_for_counts_within_20_percent()
    {
        await Push("nanao-status", _cityKey, Doc("""{"id":"C-6","common_id":"E1720200006601","name":"徳田小学校","status":"開設","evacuees":100,"lat":37.05,"lon":136.92}"""));
        await Push("pref-status", _prefKey, Doc("""{"id":"P-6","common_id":"E1720200006601","name":"徳田小学校","status":"開設","evacuees":90,"lat":37.05,"lon":136.92}"""));
        Assert.Equal("[]", (await _hub.Db.RowsAsync("SELECT conflicts::text FROM merged_feature"))[0][0]);
    }
}
