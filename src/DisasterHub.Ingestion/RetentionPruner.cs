using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Deletes what is kept only for a while: Idempotency-Key answers older than <c>Hub:Retention:IdempotencyHours</c>,
/// every <c>Hub:Retention:PruneIntervalSeconds</c> on every node (the DELETE is idempotent, so nodes need not agree
/// on who does it). Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class RetentionPruner(NpgsqlDataSource db, IOptions<HubOptions> options, TimeProvider clock, ILogger<RetentionPruner> log) : BackgroundService
{
    private readonly RetentionOptions _o = options.Value.Retention;

    /// <summary>One pass; returns how many idempotency rows went.</summary>
    public async Task<int> PruneOnceAsync(CancellationToken ct)
    {
        var before = clock.GetUtcNow() - TimeSpan.FromHours(_o.IdempotencyHours);
        var n = await IngestStore.PruneIdempotencyAsync(db, before, ct);
        if (n > 0) log.LogInformation("Pruned {Count} Idempotency-Key answers older than {Before:o}", n, before);
        return n;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_o.PruneIntervalSeconds <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_o.PruneIntervalSeconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PruneOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    log.LogWarning(e, "Retention pruning failed; next try in {Seconds} s", _o.PruneIntervalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping (also when the host never got up, e.g. its port was taken): not an error
        }
    }
}
