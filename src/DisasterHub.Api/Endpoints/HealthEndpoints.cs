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
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Json(new { status = "live" })).WithTags("Health").RequireAuthorization(HubPolicies.PublicRead);
        app.MapGet("/health/ready", async (NpgsqlDataSource db, HubDbContext hub, IServiceProvider services, IConfiguration config, TimeProvider clock, CancellationToken ct) =>
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
            object? feeds = null;
            if (database == "ok")
            {
                var now = clock.GetUtcNow();
                var sources = await hub.Sources.AsNoTracking().ToListAsync(ct);
                feeds = sources
                    .Where(s => s.LastSuccessAt is not { } t || t.AddSeconds(s.ExpectedIntervalSeconds) < now || (s.LastErrorAt is { } err && err > s.LastSuccessAt))
                    .Select(s => new { id = s.Id, last_success_at = s.LastSuccessAt, last_error_at = s.LastErrorAt, last_error = s.LastErrorAt is { } failedAt && (s.LastSuccessAt is null || failedAt > s.LastSuccessAt) ? s.LastError : null, lag_seconds = s.LastSuccessAt is { } t ? (long?)(now - t).TotalSeconds : null });
            }
            return Results.Json(new { status = ok ? "ready" : "not ready", database, scheduler, lagging_sources = feeds }, statusCode: ok ? 200 : 503);
        }).WithTags("Health").RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
