using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Announces what the clock alone changed. Records whose validity ended (issue 11 §2): reads already treat a row past
/// its valid_until as inactive at the instant it lapses (the read SQL compares with the clock); what needs a process is
/// the <c>expired</c> event and the tile caches: every <see cref="HubOptions.ExpirySeconds"/> this finds merged rows
/// that lapsed since, gives each a new change_seq (expire_lapsed.sql) and publishes through the same change path as
/// ingest (NOTIFY hub_changes on commit, <see cref="ChangeSignal"/> here). And sources that turned stale, or fresh
/// again through a pull that changed nothing (stale_sources.sql, compared with the last pass): their layers are
/// published on this node's <see cref="ChangeSignal"/> only, since every node runs this pass for its own caches.
/// </summary>
public sealed class ExpiryService(NpgsqlDataSource db, TimeProvider clock, ChangeSignal changes, IOptions<HubOptions> options,
    ILogger<ExpiryService> log) : BackgroundService
{
    /// <summary>One pass: returns how many merged rows were announced as expired.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var lapsed = new List<(string Workspace, string Layer, long Seq)>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var c = new NpgsqlCommand(SqlFiles.Get("expire_lapsed"), conn, tx))
        {
            c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) lapsed.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        }
        foreach (var ws in lapsed.GroupBy(x => x.Workspace))
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify('hub_changes', @payload)", conn, tx);
            notify.Parameters.AddWithValue("payload", System.Text.Json.JsonSerializer.Serialize(new
            {
                workspace = ws.Key,
                layers = ws.Select(x => x.Layer).Distinct().ToArray(),
                seq = ws.Max(x => x.Seq),
            }));
            await notify.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        foreach (var ws in lapsed.GroupBy(x => x.Workspace))
            changes.Publish(ws.Key, [.. ws.Select(x => x.Layer).Distinct()]);
        if (lapsed.Count > 0) log.LogInformation("{Count} merged records passed their valid_until", lapsed.Count);
        await AnnounceStalenessAsync(conn, ct);
        return lapsed.Count;
    }

    /// <summary>The stale sources and their layers as of the last pass (null before the first: nothing to compare with).</summary>
    private Dictionary<string, string>? _stale;

    private async Task AnnounceStalenessAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var stale = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var c = new NpgsqlCommand(SqlFiles.Get("stale_sources"), conn))
        {
            c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) stale[r.GetString(0)] = r.GetString(1);
        }
        if (Interlocked.Exchange(ref _stale, stale) is not { } before) return;
        var turned = stale.Where(s => !before.ContainsKey(s.Key)).Concat(before.Where(s => !stale.ContainsKey(s.Key))).ToList();
        if (turned.Count == 0) return;
        changes.Publish("*", [.. turned.Select(s => s.Value).Distinct()]);
        log.LogInformation("{Count} sources turned stale or fresh: {Sources}", turned.Count, string.Join(", ", turned.Take(10).Select(s => s.Key)));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(options.Value.ExpirySeconds);
        if (every <= TimeSpan.Zero) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                log.LogWarning("Expiry pass failed ({Message}); retrying in {Every}", e.Message, every);
            }
            try
            {
                await Task.Delay(every, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
