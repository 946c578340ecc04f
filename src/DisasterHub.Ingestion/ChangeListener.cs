using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// LISTEN hub_changes on a dedicated connection and republish as <see cref="ChangeSignal"/>, so tile caches and
/// event streams on every node follow changes made by any node; LISTEN hub_registry too, so every node's schedule
/// watchdog follows a registry change made through the CLI at once. Reconnects with backoff when the database goes away.
/// </summary>
public sealed class ChangeListener(NpgsqlDataSource db, ChangeSignal signal, ILogger<ChangeListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
                        signal.PublishRegistry(e.Payload);
                        return;
                    }
                    try
                    {
                        using var doc = JsonDocument.Parse(e.Payload);
                        var ws = doc.RootElement.GetProperty("workspace").GetString() ?? "live";
                        var layers = doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetString()!).ToList();
                        signal.Publish(ws, layers);
                    }
                    catch (JsonException)
                    {
                        log.LogWarning("Ignored a malformed hub_changes payload");
                    }
                };
                await using (var c = new NpgsqlCommand("LISTEN hub_changes; LISTEN hub_registry", conn)) await c.ExecuteNonQueryAsync(stoppingToken);
                delay = TimeSpan.FromSeconds(1);
                signal.Publish("*", []); // after a (re)connect we may have missed changes: everyone refreshes
                signal.PublishRegistry("*");
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                log.LogWarning("LISTEN hub_changes lost ({Message}); retrying in {Delay}", e.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
