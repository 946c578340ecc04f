using System.Threading.Channels;
using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Brings the feature tables' statistics up to date after a large load (<see cref="IngestStore.AnalyzeAfterLoadAsync"/>:
/// when they no longer describe the tables), on this node's own connection, after the ingest has committed and answered.
/// </summary>
/// <remarks>
/// The refresh used to run before the push was answered: 0.4–1.1 s of a 110,000-row first load's 9 s, growing with
/// every partition of <c>feature</c> (issue 16). Nothing the pusher gets depends on it: the features are committed and
/// visible when the push answers, and the statements of the next push are planned on their indexes without statistics
/// (<c>unchanged_repush_should</c>; a re-push run with the refresh switched off took the same 1.2–1.5 s). Requests that
/// arrive while a refresh runs are added up into one more refresh, so a burst of large loads costs two, not one each.
/// </remarks>
public sealed class LoadStatistics(NpgsqlDataSource db, TimeProvider clock, ILogger<LoadStatistics> log) : BackgroundService
{
    private readonly Channel<int> _requests = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>A load of <paramref name="changed"/> rows committed: refresh the statistics if they no longer describe the tables.</summary>
    public void Request(int changed) => _requests.Writer.TryWrite(changed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RefreshAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host is stopping, or never started (a taken port): not an error, and nothing to print about it
        }
    }

    private async Task RefreshAsync(CancellationToken stoppingToken)
    {
        await foreach (var first in _requests.Reader.ReadAllAsync(stoppingToken))
        {
            var changed = (long)first;
            while (_requests.Reader.TryRead(out var more)) changed += more;
            var started = clock.GetTimestamp();
            try
            {
                if (await IngestStore.AnalyzeAfterLoadAsync(db, (int)Math.Min(changed, int.MaxValue), stoppingToken))
                    log.LogInformation("Statistics of the feature tables refreshed after {Changed} changed rows in {Ms:0} ms",
                        changed, clock.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // autovacuum analyzes the tables within its next round anyway
                log.LogWarning(e, "Statistics refresh after {Changed} changed rows failed", changed);
            }
        }
    }
}
