using DisasterHub.Api.Auth;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// The feed registry and its health: lag, last success, last error. Pull-feed URLs are shown to callers with a valid
/// key only, and never with user info or query (where feed tokens live).
/// </summary>
public static class SourcesEndpoints
{
    public static IEndpointRouteBuilder MapSources(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/sources", async (HttpContext ctx, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow();
            var showUrls = await ReadAccess.CallerAsync(ctx, db, ct) is not null;
            ctx.Response.Headers.Vary = "Authorization";
            if (showUrls) ctx.Response.Headers.CacheControl = "private";
            var sources = await db.Sources.AsNoTracking().OrderBy(s => s.Id).ToListAsync(ct);
            return Results.Json(new
            {
                sources = sources.Select(s => new
                {
                    id = s.Id,
                    name = s.Name,
                    kind = s.Kind,
                    format = s.Format,
                    layer = s.Layer,
                    url = s.Url is null || !showUrls ? null : FeedFetcher.Redact(s.Url),
                    schedule_seconds = s.ScheduleSeconds,
                    expected_interval_seconds = s.ExpectedIntervalSeconds,
                    priority = s.Priority,
                    owner_org = s.OwnerOrgId,
                    last_attempt_at = s.LastAttemptAt,
                    last_success_at = s.LastSuccessAt,
                    last_error_at = s.LastErrorAt,
                    // the error of the last attempt only while the source is failing: a later success clears it
                    last_error = s.LastErrorAt is { } failedAt && (s.LastSuccessAt is null || failedAt > s.LastSuccessAt) ? s.LastError : null,
                    lag_seconds = s.LastSuccessAt is { } ok ? (long?)(now - ok).TotalSeconds : null,
                    stale = s.LastSuccessAt is not { } last || last.AddSeconds(s.ExpectedIntervalSeconds) < now,
                    failing = s.LastErrorAt is { } err && (s.LastSuccessAt is null || err > s.LastSuccessAt),
                    // whether the feed has credentials, never what they are
                    credentials = s.Credentials != null,
                    cursor = s.Cursor,
                    cursor_at = s.CursorAt,
                    follower = s.Cursor == null && s.FollowSeen == 0 ? null : new
                    {
                        entries_seen = s.FollowSeen,
                        fetched = s.FollowFetched,
                        duplicates_skipped = s.FollowDuplicates,
                        gap_since = s.GapSince,
                        gap_until = s.GapUntil,
                        publication_to_map_ms = s.PublicationDelayMs,
                    },
                }),
            });
        }).WithTags("Sources").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
