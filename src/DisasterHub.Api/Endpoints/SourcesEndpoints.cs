using DisasterHub.Api.Http;
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
            ctx.Response.Headers.Vary = "Authorization, Cookie";
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

        // admin only: the Admin policy is the gate; the filter looks the key up again (a revocation counts at once)
        var admin = app.MapGroup("/api/v1/sources").WithTags("Sources").RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(RequireScope("admin"));
        admin.MapPost("", CreateAsync);
        admin.MapPost("/{id}/disable", (string id, HubDbContext db, Hangfire.IRecurringJobManager recurring, CancellationToken ct) => SetEnabledAsync(id, false, db, recurring, ct));
        admin.MapPost("/{id}/enable", (string id, HubDbContext db, Hangfire.IRecurringJobManager recurring, CancellationToken ct) => SetEnabledAsync(id, true, db, recurring, ct));
        return app;
    }

    /// <summary>401 without a valid key or session, 403 with a key lacking <paramref name="scope"/> (a person: the admin role gives "admin").</summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> RequireScope(string scope) => async (ctx, next) =>
    {
        var http = ctx.HttpContext;
        var caller = await ReadAccess.CallerAsync(http, http.RequestServices.GetRequiredService<HubDbContext>(), http.RequestAborted);
        if (caller is null) return Results.Problem(statusCode: 401, detail: "an API key or a signed-in session is required");
        if (!caller.Has(scope)) return Results.Problem(statusCode: 403, detail: caller.Person is null ? $"the key lacks the '{scope}' scope" : $"this person lacks the '{scope}' role");
        return await next(ctx);
    };

    /// <summary>Disabling removes the source's recurring job from the shared storage (no node fires it); enabling puts it back.</summary>
    private static async Task<IResult> SetEnabledAsync(string id, bool enabled, HubDbContext db, Hangfire.IRecurringJobManager recurring, CancellationToken ct)
    {
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return ParameterProblem.For("id", $"no source '{id}'", 404);
        row.Enabled = enabled;
        await db.SaveChangesAsync(ct);
        if (!enabled) recurring.RemoveIfExists(ScheduleSetup.JobId(id));
        else if (row.Kind == "pull" && row.Url is not null) ScheduleSetup.Schedule(recurring, row);
        return Results.NoContent();
    }

    /// <summary>The fields <c>GET /api/v1/sources</c> lists, and <c>internal</c> (a feed inside the hub's network).</summary>
    public sealed record SourceInput(string? Id, string? Name, string? Kind, string? Format, string? Layer, string? Url,
        [property: System.Text.Json.Serialization.JsonPropertyName("schedule_seconds")] int? ScheduleSeconds, int? Priority,
        [property: System.Text.Json.Serialization.JsonPropertyName("owner_org")] string? OwnerOrg,
        bool? Internal);

    private static async Task<IResult> CreateAsync(SourceInput input, HubDbContext db, DisasterHub.Core.FormatRegistry formats, DisasterHub.Core.LayerCatalogue catalogue,
        Hangfire.IRecurringJobManager recurring, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Id) || !System.Text.RegularExpressions.Regex.IsMatch(input.Id, "^[a-z0-9][a-z0-9._-]{0,63}$"))
            return ParameterProblem.For("id", "id must be 1–64 characters of a-z, 0-9, '.', '_', '-'");
        var kind = input.Kind ?? "pull";
        if (kind is not ("pull" or "push")) return ParameterProblem.For("kind", "kind must be 'pull' or 'push'");
        if (string.IsNullOrWhiteSpace(input.Format) || formats.Find(input.Format) is null)
            return ParameterProblem.For("format", $"unknown format '{input.Format}'");
        if (string.IsNullOrWhiteSpace(input.Layer) || !catalogue.IsKnown(input.Layer))
            return ParameterProblem.For("layer", $"unknown layer '{input.Layer}'");
        if (kind == "pull" && (!Uri.TryCreate(input.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            return ParameterProblem.For("url", "a pull source needs an absolute http(s) url");
        if (input.ScheduleSeconds is { } every && every is < 5 or > 86400)
            return ParameterProblem.For("schedule_seconds", "schedule_seconds must be between 5 and 86400");
        if (input.OwnerOrg is { } org && !await db.Organizations.AnyAsync(o => o.Id == org, ct))
            return ParameterProblem.For("owner_org", $"no organization '{org}'");
        if (await db.Sources.AnyAsync(s => s.Id == input.Id, ct))
            return ParameterProblem.For("id", $"a source '{input.Id}' exists", 409);
        var row = new Source
        {
            Id = input.Id, Name = input.Name ?? input.Id, Kind = kind, Format = input.Format, Layer = input.Layer, Url = input.Url,
            ScheduleSeconds = input.ScheduleSeconds, Priority = input.Priority ?? 100, OwnerOrgId = input.OwnerOrg,
            Internal = input.Internal ?? false, // true lets the feed client reach private addresses (the SSRF guard's exception)
            CreatedAt = clock.GetUtcNow(),
        };
        db.Sources.Add(row);
        await db.SaveChangesAsync(ct);
        // the recurring job lives in the shared Hangfire storage: every node's scheduler fires it, no restart
        if (kind == "pull") ScheduleSetup.Schedule(recurring, row);
        return Results.Created($"/api/v1/sources/{row.Id}", new { id = row.Id });
    }
}
