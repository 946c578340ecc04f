using System.Text.Json;
using System.Threading.Channels;
using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// LISTEN hub_changes on a dedicated connection to the primary and republish as <see cref="ChangeSignal"/>, so tile
/// caches and event streams on every node follow changes made by any node; LISTEN hub_registry too, so every node's
/// schedule watchdog follows a registry change made through the CLI at once. Reconnects with backoff when the database
/// goes away.
/// </summary>
/// <remarks>
/// With read replicas (ConnectionStrings:HubRead) a change is republished only once every replica has replayed the
/// primary's WAL past it (<see cref="ReplicaSet.WaitForReplayAsync"/>, at most Hub:Replica:MaxLagSeconds): caches and
/// streams refill from the replicas, and a tile cached from a replica that had not replayed the change yet would stay
/// stale until the next one. Invalidation stays driven by the primary's NOTIFY; it is only held back until the replicas
/// can serve what it announces.
/// </remarks>
public sealed class ChangeListener(NpgsqlDataSource db, ChangeSignal signal, ReplicaSet replicas, IOptions<HubOptions> options, TimeProvider clock,
    ILogger<ChangeListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = Channel.CreateUnbounded<(string Workspace, IReadOnlyList<string> Layers)>(new UnboundedChannelOptions { SingleReader = true });
        var relay = replicas.Configured ? RelayAfterReplayAsync(pending.Reader, stoppingToken) : Task.CompletedTask;
        void Publish(string workspace, IReadOnlyList<string> layers)
        {
            if (replicas.Configured) pending.Writer.TryWrite((workspace, layers));
            else signal.Publish(workspace, layers);
        }
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) =>
                {
                    if (e.Channel == "hub_registry")
                    {
                        signal.PublishRegistry(e.Payload); // the registry lives on the primary: nothing to wait for
                        return;
                    }
                    try
                    {
                        using var doc = JsonDocument.Parse(e.Payload);
                        var ws = doc.RootElement.GetProperty("workspace").GetString() ?? "live";
                        var layers = doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetString()!).ToList();
                        Publish(ws, layers);
                    }
                    catch (JsonException)
                    {
                        log.LogWarning("Ignored a malformed hub_changes payload");
                    }
                };
                await using (var c = new NpgsqlCommand("LISTEN hub_changes; LISTEN hub_registry", conn)) await c.ExecuteNonQueryAsync(stoppingToken);
                delay = TimeSpan.FromSeconds(1);
                Publish("*", []); // after a (re)connect we may have missed changes: everyone refreshes
                signal.PublishRegistry("*");
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                log.LogWarning("LISTEN hub_changes lost ({Message}); retrying in {Delay}", e.Message, delay);
                try
                {
                    await Task.Delay(delay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
        pending.Writer.TryComplete();
        try
        {
            await relay;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Take every change signalled so far, read the primary's WAL position (past their commits: each NOTIFY is delivered
    /// after its transaction committed), wait for the replicas to replay up to it, then republish them. A replica still
    /// behind at the bound: the changes are republished anyway (streams must not stall behind it), new ones too as they
    /// come, and once it has caught up everyone refreshes ("*") — what was refilled from it meanwhile may be stale.
    /// </summary>
    private async Task RelayAfterReplayAsync(ChannelReader<(string Workspace, IReadOnlyList<string> Layers)> pending, CancellationToken ct)
    {
        var replica = options.Value.Replica;
        var bound = TimeSpan.FromSeconds(replica.MaxLagSeconds);
        var poll = TimeSpan.FromMilliseconds(Math.Max(1, replica.ReplayPollMilliseconds));
        while (await pending.WaitToReadAsync(ct))
        {
            var batch = Drain(pending);
            var target = await PrimaryLsnAsync(ct);
            if (target is null || await replicas.WaitForReplayAsync(target, bound, poll, clock, ct))
            {
                Publish(batch);
                continue;
            }
            log.LogWarning("A read replica had not replayed {Lsn} after {Seconds} s; signalling the change now and again once it caught up", target, bound.TotalSeconds);
            Publish(batch);
            while (!ct.IsCancellationRequested)
            {
                if (target is null || await replicas.WaitForReplayAsync(target, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(Math.Max(poll.TotalMilliseconds, 100)), clock, ct))
                {
                    signal.Publish("*", []);
                    break;
                }
                if (pending.TryPeek(out _))
                {
                    Publish(Drain(pending));
                    target = await PrimaryLsnAsync(ct) ?? target;
                }
            }
        }
    }

    private static List<(string Workspace, IReadOnlyList<string> Layers)> Drain(ChannelReader<(string Workspace, IReadOnlyList<string> Layers)> pending)
    {
        var batch = new List<(string Workspace, IReadOnlyList<string> Layers)>();
        while (pending.TryRead(out var change)) batch.Add(change);
        return batch;
    }

    private void Publish(List<(string Workspace, IReadOnlyList<string> Layers)> batch)
    {
        foreach (var (workspace, layers) in batch) signal.Publish(workspace, layers);
    }

    /// <summary>The primary's WAL position; null when it is away (then nothing new can have been written to wait for).</summary>
    private async Task<string?> PrimaryLsnAsync(CancellationToken ct)
    {
        try
        {
            return await ReplicaSet.PrimaryLsnAsync(db, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }
}
