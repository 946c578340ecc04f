using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using DisasterHub.Ingestion;
using Hangfire;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: the database answers, the scheduler runs (when this
/// node runs one), and which feeds lag or fail — ready (200) as long as the database and scheduler are fine, since a
/// dead feed must not take the hub out of a load balancer; the lagging feeds are listed for the operator.
/// With read replicas (ConnectionStrings:HubRead) it also reports each replica's replay lag (<c>replica</c>): a replica
/// further behind than Hub:Replica:MaxLagSeconds, or none reachable, makes the node "not ready" (its reads would be
/// stale or fail); a primary that is away while a replica answers makes it "read-only" (200: reads are served, writes
/// answer 503 + Retry-After).
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Json(new { status = "live" })).WithTags("Health").RequireAuthorization(HubPolicies.PublicRead);
        app.MapGet("/health/ready", async (NpgsqlDataSource db, HubDbContext hub, ReplicaSet replicas, Microsoft.Extensions.Options.IOptions<HubOptions> options,
            IServiceProvider services, IConfiguration config, TimeProvider clock, CancellationToken ct) =>
        {
            string database, scheduler = "not run on this node";
            var ok = true;
            try
            {
                await using var c = db.CreateCommand("SELECT 1");
                c.CommandTimeout = 3;
                await c.ExecuteScalarAsync(ct);
                database = "ok";
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                database = "unreachable";
                ok = false;
            }
            if (config.GetValue("Hub:Scheduler", true) && database == "ok")
            {
                // this node's Hangfire server has checked in to the shared storage with a fresh heartbeat
                bool alive;
                try
                {
                    alive = services.GetRequiredService<HangfireNode>().IsAlive(services.GetRequiredService<JobStorage>(), clock.GetUtcNow());
                }
                catch (Exception e) when (HubApp.IsDatabaseUnavailable(e))
                {
                    alive = false;
                }
                scheduler = alive ? "running" : "not running";
                ok &= alive;
            }
            object? replica = null;
            var readsOk = true;
            if (replicas.Configured)
            {
                string? primaryLsn = null;
                if (database == "ok")
                {
                    try
                    {
                        primaryLsn = await ReplicaSet.PrimaryLsnAsync(db, ct);
                    }
                    catch (Exception e) when (HubApp.IsDatabaseUnavailable(e))
                    {
                    }
                }
                var bound = options.Value.Replica.MaxLagSeconds;
                var states = await replicas.StatesAsync(primaryLsn, ct);
                var reachable = states.Where(r => r.Reachable).ToList();
                var current = reachable.Where(r => r.LagSeconds <= bound).ToList();
                readsOk = current.Count > 0;
                replica = new
                {
                    status = reachable.Count == 0 ? "unreachable" : current.Count == 0 ? "lagging" : current.Count < states.Count ? "partly lagging or unreachable" : "ok",
                    max_lag_seconds = bound,
                    // the worst reachable host: what a reader may meet
                    lag_seconds = reachable.Count > 0 ? reachable.Max(r => r.LagSeconds) : null,
                    lag_bytes = reachable.Count > 0 ? reachable.Max(r => r.LagBytes) : null,
                    in_recovery = reachable.Count > 0 ? reachable.All(r => r.InRecovery == true) : (bool?)null,
                    measured_against = primaryLsn is null ? "what the replica received (the primary did not answer)" : $"the primary's WAL at {primaryLsn}",
                    hosts = states.Select(r => new { host = r.Host, reachable = r.Reachable, in_recovery = r.InRecovery, lag_seconds = r.LagSeconds, lag_bytes = r.LagBytes, replay_paused = r.ReplayPaused, replayed_lsn = r.ReplayedLsn, error = r.Error }),
                };
            }
            object? feeds = null;
            if (database == "ok")
            {
                var now = clock.GetUtcNow();
                var sources = await hub.Sources.AsNoTracking().ToListAsync(ct);
                feeds = sources
                    .Where(s => s.LastSuccessAt is not { } t || t.AddSeconds(s.ExpectedIntervalSeconds) < now || (s.LastErrorAt is { } err && err > s.LastSuccessAt))
                    .Select(s => new { id = s.Id, last_success_at = s.LastSuccessAt, last_error_at = s.LastErrorAt, last_error = s.LastErrorAt is { } failedAt && (s.LastSuccessAt is null || failedAt > s.LastSuccessAt) ? s.LastError : null, lag_seconds = s.LastSuccessAt is { } t ? (long?)(now - t).TotalSeconds : null });
            }
            // the primary away but a current replica answering: reads are served, writes answer 503 + Retry-After
            var readOnly = !ok && database != "ok" && replicas.Configured && readsOk;
            ok &= readsOk;
            var status = ok ? "ready" : readOnly ? "read-only" : "not ready";
            return Results.Json(new { status, database, scheduler, replica, lagging_sources = feeds }, statusCode: ok || readOnly ? 200 : 503);
        }).WithTags("Health").RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
