using System.Net;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 §2, the re-push stall: on a fresh database (no statistics on <c>feature</c> yet) the unchanged-record
/// check's recheck probe was planned on <c>feature_layer</c> (workspace, layer) and scanned every feature of the layer
/// per staged row — a re-push of 50,000 unchanged rows ran for more than ten minutes in the bench. The probe must go
/// through the unique key whatever the statistics say, and a large load refreshes them right after it commits. The
/// recheck no longer looks at the records at all: it reads the source's due merged rows through the two partial
/// indexes of migration 0051. The plans are asserted, not timed.
/// </summary>
public sealed class unchanged_repush_should
{
    internal static byte[] Shelters(int from, int count)
    {
        var rows = Enumerable.Range(from, count).Select(i =>
            $$"""{"id":"R{{i}}","name":"再送試験避難所{{i}}","status":"開設","evacuees":{{i % 50}},"lat":{{37.0 + i * 0.0001:0.0000}},"lon":{{136.9 + i * 0.0001:0.0000}}}""");
        return Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"2026-01-01T09:00:00+09:00","shelters":[{{string.Join(',', rows)}}]}""");
    }

    /// <summary>Whether the merged layer has the statistics the event stream is planned on.</summary>
    internal const string MergedStatistics = "SELECT count(*) FROM pg_stats WHERE tablename = 'merged_feature' AND attname = 'change_seq'";

    /// <summary>
    /// A hub that refreshes the statistics after 400 changed rows, and a push key of 七尾市. The merged layer's statistics
    /// must come from the loads alone: autovacuum never analyzes the partitioned merged_feature (migration 0061), and
    /// it is kept off its shared partition too.
    /// </summary>
    internal static async Task<(HubServer Hub, string Key)> StatisticsHubAsync()
    {
        var s = sign_in_should.Settings();
        s["Hub:AnalyzeAfterChangedRows"] = "400";
        var hub = await HubServer.StartAsync(s);
        var key = await hub.CreateKeyAsync("nanao-city", "push:shelters");
        await hub.Db.ScalarAsync("ALTER TABLE merged_shared SET (autovacuum_enabled = false); SELECT 0");
        return (hub, key);
    }

    /// <summary>The count <paramref name="sql"/> gives once it is not 0, or after 30 s: the refresh runs once the push has answered.</summary>
    internal static async Task<long> SoonAsync(HubServer hub, string sql)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long n;
        while ((n = await hub.Db.ScalarAsync(sql)) == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        return n;
    }

    private static async Task<(string Probe, string Recheck)> PlansAsync(string connection)
    {
        // the statements as the ingest runs them: the probe of one batch of every current feature's key and hash (all
        // unchanged), and the recheck of the source's merged rows whose ranking window has ended
        var recheck = SqlFiles.Get("ingest_unchanged").Split(';').Single(s => s.Contains("CREATE TEMP TABLE recheck", StringComparison.Ordinal));
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var explainRecheck = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + recheck, conn, tx);
        explainRecheck.Parameters.AddWithValue("workspace", "live");
        explainRecheck.Parameters.AddWithValue("source_id", "nanao-status");
        explainRecheck.Parameters.AddWithValue("now", DateTime.UtcNow);
        var recheckPlan = (string)(await explainRecheck.ExecuteScalarAsync())!;
        string[] keys;
        byte[][] hashes;
        await using (var read = new NpgsqlCommand("SELECT array_agg(source_key), array_agg(content_hash) FROM feature", conn, tx))
        await using (var r = await read.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            (keys, hashes) = (r.GetFieldValue<string[]>(0), r.GetFieldValue<byte[][]>(1));
        }
        await using var explainProbe = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + SqlFiles.Get("ingest_probe"), conn, tx);
        explainProbe.Parameters.AddWithValue("workspace", "live");
        explainProbe.Parameters.AddWithValue("source_id", "nanao-status");
        explainProbe.Parameters.AddWithValue("part", "");   // its rows are in the shared partition (migration 0060)
        explainProbe.Parameters.AddWithValue("keys", keys);
        explainProbe.Parameters.AddWithValue("hashes", hashes);
        return ((string)(await explainProbe.ExecuteScalarAsync())!, recheckPlan);
    }

    [Fact]
    public async Task probe_entities_through_their_index_without_statistics_and_refresh_them_after_a_large_load()
    {
        // feature is partitioned (migrations 0050, 0060): autovacuum analyzes the partitions, never the partitioned
        // table itself, whose statistics are what a join over every source is planned on
        var (hub, key) = await StatisticsHubAsync();
        await using var _ = hub;
        var small = await hub.PushAsync("nanao-status", key, Shelters(0, 300));
        Assert.True(small.StatusCode == HttpStatusCode.OK, await small.Content.ReadAsStringAsync());
        // 300 changed rows: below the bound, nothing analyzed; the table still has no statistics
        Assert.Equal(0L, await hub.Db.ScalarAsync("SELECT count(*) FROM pg_stats WHERE tablename IN ('feature', 'merged_feature')"));

        // 500 new rows: above the bound, and the statistics (none) no longer describe the table: analyzed right after
        // the push has answered (LoadStatistics), not on the pusher's clock
        var large = await hub.PushAsync("nanao-status", key, Shelters(300, 500));
        Assert.True(large.StatusCode == HttpStatusCode.OK, await large.Content.ReadAsStringAsync());
        Assert.Equal(1L, await SoonAsync(hub, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'feature' AND last_analyze IS NOT NULL"));
        // (the refresh commits feature's statistics with merged_feature's, whose partitions it samples after: they may
        // be a moment behind the run's mark)
        Assert.True(await SoonAsync(hub, "SELECT count(*) FROM pg_stats WHERE tablename = 'feature'") > 0);
        // and the merged layer's, which the event stream pages by: its readers are reading the load's changes now
        Assert.Equal(1L, await SoonAsync(hub, MergedStatistics));

        // the re-push's check is then planned as it must be at any size: one unique-index probe per record of a batch
        // and the due merged rows through their partial indexes — never a scan of the layer's features per row (the
        // bench's 10 minutes), nor of the merged layer
        var (probe, recheck) = await PlansAsync(hub.Db.ConnectionString);
        // (the partitions' indexes are named after them: <partition>_workspace_source_id_source_key_part_key for the unique
        // key, <partition>_layer_entity_key_idx for feature_entity, <partition>_workspace_layer_idx for feature_layer)
        Assert.True(probe.Contains("_workspace_source_id_source_key_part_key", StringComparison.Ordinal), probe);
        Assert.True(recheck.Contains("\"Index Cond\": \"((workspace = 'live'::text) AND (rank_until <= ", StringComparison.Ordinal)
            && recheck.Contains("\"Index Cond\": \"((workspace = 'live'::text) AND (rank_from > ", StringComparison.Ordinal)
            && !recheck.Contains("Seq Scan", StringComparison.Ordinal), recheck);
    }
}

/// <summary>
/// Issue 16: a large load's statistics are refreshed after the push has answered (LoadStatistics), not on the pusher's
/// clock — 0.4–1.1 s of a 110,000-row first load, growing with the partitions of feature.
/// </summary>
public sealed class load_statistics_should
{
    [Fact]
    public async Task be_refreshed_after_the_push_has_answered()
    {
        var (hub, key) = await unchanged_repush_should.StatisticsHubAsync();
        await using var _ = hub;
        // an open transaction holding the lock ANALYZE takes: the refresh waits for it, and the push must not
        await using var holder = new NpgsqlConnection(hub.Db.ConnectionString);
        await holder.OpenAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand("LOCK TABLE merged_feature IN SHARE UPDATE EXCLUSIVE MODE", holder, tx))
            await lockIt.ExecuteNonQueryAsync();

        var push = hub.PushAsync("nanao-status", key, unchanged_repush_should.Shelters(0, 500));
        Assert.True(await Task.WhenAny(push, Task.Delay(TimeSpan.FromSeconds(30))) == push, "the push waited for the statistics");
        var answer = await push;
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        Assert.Equal(0L, await hub.Db.ScalarAsync("SELECT count(*) FROM pg_stats WHERE tablename = 'merged_feature'"));

        // the lock gone, the refresh it was waiting for completes
        await tx.RollbackAsync();
        Assert.Equal(1L, await unchanged_repush_should.SoonAsync(hub, unchanged_repush_should.MergedStatistics));
    }
}
