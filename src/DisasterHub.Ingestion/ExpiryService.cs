using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Announces records whose validity ended (issue 11 §2). Reads already treat a row past its valid_until as inactive at
/// the instant it lapses (the read SQL compares with the clock); what needs a process is the <c>expired</c> event and
/// the tile caches: every <see cref="HubOptions.ExpirySeconds"/> this finds merged rows that lapsed since, gives each
/// a new change_seq (expire_lapsed.sql) and publishes through the same change path as ingest (NOTIFY hub_changes on
/// commit, <see cref="ChangeSignal"/> here).
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
        return lapsed.Count;
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
