using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 §3, one write for current state and history (migration 0049): a state is stored once — in
/// <c>feature</c> / <c>merged_feature</c> while it is current, in <c>feature_past</c> / <c>merged_feature_past</c> once
/// a new one replaces it — and <c>feature_version</c> / <c>merged_feature_version</c> show every state with the id it
/// was given when written, so the history and the as-of reads are what they were.
/// </summary>
public sealed class temporal_history_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task Push(string observedAt, params (string Id, int Evacuees)[] shelters)
    {
        var rows = shelters.Select(s => $$"""{"id":"{{s.Id}}","name":"履歴試験{{s.Id}}","status":"開設","evacuees":{{s.Evacuees}},"lat":37.05,"lon":136.9{{s.Id[^1]}}}""");
        var doc = Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"{{observedAt}}","shelters":[{{string.Join(',', rows)}}]}""");
        var r = await _hub.PushAsync("nanao-status", _key, doc);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private async Task<long> Count(string table) => await _hub.Db.ScalarAsync($"SELECT count(*) FROM {table}");

    private async Task<Dictionary<string, long>> Ids(string sql) =>
        (await _hub.Db.RowsAsync(sql)).ToDictionary(r => (string)r[0]!, r => Convert.ToInt64(r[1], CultureInfo.InvariantCulture));

    private async Task<int> MergedEvacueesAt(string? at)
    {
        var json = await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items" + (at is null ? "" : $"?datetime={at}"));
        return JsonDocument.Parse(json).RootElement.GetProperty("features").EnumerateArray()
            .Single(f => f.GetProperty("properties").GetProperty("name").GetString() == "履歴試験R1")
            .GetProperty("properties").GetProperty("attrs").GetProperty("evacuees").GetInt32();
    }

    [Fact]
    public async Task keep_every_raw_document_a_stored_state_comes_from()
    {
        // R1 changes twice: its first state (raw 1) and second (raw 2) go to history, its third (raw 3) is current;
        // R2 stays as raw 1 wrote it; the last push changes nothing, so raw 4 is what no state comes from
        await Push("2026-11-22T09:00:00+09:00", ("R1", 10), ("R2", 20));
        await Push("2026-11-22T10:00:00+09:00", ("R1", 11), ("R2", 20));
        await Push("2026-11-22T11:00:00+09:00", ("R1", 12), ("R2", 20));
        await Push("2026-11-22T11:00:00+09:00", ("R1", 12), ("R2", 20));
        var raw = (await _hub.Db.RowsAsync("SELECT id FROM raw_document WHERE source_id = 'nanao-status' ORDER BY id"))
            .Select(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, raw.Length);

        // migration 0059: history's key to raw_document is a guard; it refuses as the key did (23503)
        async Task<PostgresException> Refused(string sql) =>
            await Assert.ThrowsAsync<PostgresException>(() => _hub.Db.ScalarAsync(sql));
        Assert.Equal("23503", (await Refused($"DELETE FROM raw_document WHERE id = {raw[1]}")).SqlState);        // history only
        Assert.Equal("23503", (await Refused($"DELETE FROM raw_document WHERE id = {raw[2]}")).SqlState);        // current only
        Assert.Equal("23503", (await Refused($"DELETE FROM raw_document WHERE id IN ({raw[3]}, {raw[0]})")).SqlState);
        Assert.Equal("23503", (await Refused("TRUNCATE raw_document, rejection")).SqlState);
        Assert.Equal(4L, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE source_id = 'nanao-status'"));
        // a raw document no stored state comes from may go
        Assert.Equal(1L, await _hub.Db.ScalarAsync($"WITH d AS (DELETE FROM raw_document WHERE id = {raw[3]} RETURNING 1) SELECT count(*) FROM d"));
    }

    [Fact]
    public async Task write_a_new_state_once_and_close_a_replaced_one_under_its_id()
    {
        await Push("2026-11-22T09:00:00+09:00", ("R1", 10), ("R2", 20));
        // a first load: every state is current, nothing is written twice
        Assert.Equal(0L, await Count("feature_past"));
        Assert.Equal(0L, await Count("merged_feature_past"));
        Assert.Equal(2L, await Count("feature_version"));
        Assert.Equal(2L, await Count("merged_feature_version"));
        var first = await Ids("SELECT source_key, id FROM feature_version");
        var firstMerged = await Ids("SELECT name, id FROM merged_feature_version");
        await Task.Delay(50);
        var between = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        await Task.Delay(50);

        // R1 changes: its old state moves to the past under the id it had; R2 (unchanged) writes nothing
        await Push("2026-11-22T10:00:00+09:00", ("R1", 11), ("R2", 20));
        var past = await _hub.Db.RowsAsync("SELECT source_key, id, (attrs ->> 'evacuees')::int FROM feature_past");
        Assert.Equal([["R1", first["R1"], 10]], past.Select(r => new object?[] { r[0], Convert.ToInt64(r[1], CultureInfo.InvariantCulture), r[2] }));
        Assert.Equal(3L, await Count("feature_version"));
        Assert.Equal(first["R2"], (await Ids("SELECT source_key, history_id FROM feature"))["R2"]);
        Assert.True((await Ids("SELECT source_key, history_id FROM feature"))["R1"] > first.Values.Max());
        var mergedPast = await _hub.Db.RowsAsync("SELECT name, id, (attrs ->> 'evacuees')::int, version FROM merged_feature_past");
        Assert.Equal([["履歴試験R1", firstMerged["履歴試験R1"], 10, 1]],
            mergedPast.Select(r => new object?[] { r[0], Convert.ToInt64(r[1], CultureInfo.InvariantCulture), r[2], r[3] }));
        Assert.Equal(3L, await Count("merged_feature_version"));

        // a state older than the current one is history only: never current, never a second copy
        await Push("2026-11-22T08:00:00+09:00", ("R2", 5));
        Assert.Equal(2L, await Count("feature_past"));
        Assert.Equal(20, (await _hub.Db.RowsAsync("SELECT (attrs ->> 'evacuees')::int FROM feature WHERE source_key = 'R2'"))[0][0]);
        Assert.Equal(4L, await Count("feature_version"));
        // the same document again: nothing new anywhere
        await Push("2026-11-22T08:00:00+09:00", ("R2", 5));
        Assert.Equal(4L, await Count("feature_version"));

        // the read paths see the history as before: the merged layer as it stood between the pushes, and now
        Assert.Equal(10, await MergedEvacueesAt(between));
        Assert.Equal(11, await MergedEvacueesAt(null));
        var history = await _hub.Db.RowsAsync("SELECT version, (attrs ->> 'evacuees')::int FROM merged_feature_version WHERE name = '履歴試験R1' ORDER BY id");
        Assert.Equal([[1, 10], [2, 11]], history.Select(r => new[] { r[0], r[1] }));
    }
    /// <summary>
    /// Migration 0054. PL/pgSQL keeps a static statement's plan for the life of the connection, and plans it with the
    /// transition tables' sizes at its first call. A pooled connection whose first update touched one row kept a nested
    /// loop of old rows against new rows, so a later national update (110,000 changed records) on that connection ran
    /// for more than ten minutes. This test runs a one-row update and then a many-row update on one connection, and
    /// reads the trigger's own plans from auto_explain: the old-to-new join of the large statement is planned for its
    /// rows.
    /// </summary>
    [Fact]
    public async Task plan_the_closing_of_many_versions_for_their_number_after_a_small_update_on_the_same_connection()
    {
        const int n = 3000;
        await Push("2026-11-22T09:00:00+09:00", Enumerable.Range(0, n).Select(i => ($"P{i:D4}", i)).ToArray());
        Assert.Equal(n, await Count("feature"));

        await using var conn = new NpgsqlConnection(_hub.Db.ConnectionString);
        await conn.OpenAsync();
        var plans = new List<string>();
        conn.Notice += (_, e) => { lock (plans) plans.Add(e.Notice.MessageText); };
        async Task Run(string sql)
        {
            await using var c = new NpgsqlCommand(sql, conn);
            await c.ExecuteNonQueryAsync();
        }
        await Run("LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; " +
                  "SET auto_explain.log_level = notice; SET client_min_messages = notice");
        // the trigger statements a state change runs, as ingest_features.sql and merge_entities.sql run them: first for
        // one row (the connection's first call plans them), then for every row
        string[] updates =
        [
            "UPDATE feature SET history_id = nextval('feature_history_id_seq'), content_hash = '\\x00'::bytea WHERE {0}",
            "UPDATE merged_feature SET history_id = nextval('merged_feature_history_id_seq'), content_hash = 'x', geom = ST_Translate(geom, 0.01, 0) WHERE {0}",
        ];
        foreach (var u in updates) await Run(string.Format(CultureInfo.InvariantCulture, u, "entity_key = (SELECT min(entity_key) FROM feature)"));
        plans.Clear();
        foreach (var u in updates) await Run(string.Format(CultureInfo.InvariantCulture, u, "true"));

        string[] joins = ["INSERT INTO feature_past", "INSERT INTO merged_feature_past", "INSERT INTO tile_cell_dirty"];
        foreach (var statement in joins)
        {
            var plan = plans.Single(p => System.Text.RegularExpressions.Regex.IsMatch(p, @"Query Text:\s+" + statement));
            Assert.DoesNotContain("Nested Loop", plan);
            Assert.Contains($"rows={n}", plan);   // the transition tables' sizes as this statement has them
        }
        // every state replaced, and the one the small update replaced first, closed once each
        Assert.Equal(2L * (n + 1), await Count("feature_past") + await Count("merged_feature_past"));
    }
}
