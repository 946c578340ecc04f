using DisasterHub.Api.Http;
using DisasterHub.Api.Auth;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using System.Text.Json.Serialization;
using Hangfire;
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
                    // a follower's settings and companion files, to callers with a key or session, redacted like url
                    follow = showUrls ? Redacted(SourceFollow.Of(s)) : null,
                    companions = showUrls ? System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(s.Companions)?
                        .ToDictionary(kv => kv.Key, kv => FeedFetcher.Redact(kv.Value)) : null,
                    license = s.License,
                    attribution = s.Attribution,
                    exercise_workspace = s.ExerciseWorkspace,
                    schedule_seconds = s.ScheduleSeconds,
                    expected_interval_seconds = s.ExpectedIntervalSeconds,
                    priority = s.Priority,
                    // each document is the source's complete set: what a pull no longer holds is withdrawn
                    replaces = s.Replaces,
                    owner_org = s.OwnerOrgId,
                    enabled = s.Enabled,
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
        admin.MapPost("", async (SourceInput input, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, error) = await registry.CreateAsync(input.ToChange(), ct);
            if (error is not null) return Problem(error);
            await AuditAsync(ctx, db, "sources.create", row!.Id, input.ForAudit(), ct);
            // the recurring job lives in the shared Hangfire storage: every node's scheduler fires it, no restart
            return Results.Created($"/api/v1/sources/{row.Id}", new { id = row.Id });
        });
        admin.MapPatch("/{id}", async (string id, SourceInput input, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, error) = await registry.UpdateAsync(id, input.ToChange(), ct);
            if (error is not null) return Problem(error);
            await AuditAsync(ctx, db, "sources.update", id, input.ForAudit(), ct);
            return Results.NoContent();
        });
        admin.MapDelete("/{id}", async (string id, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
            await registry.DeleteAsync(id, ct) is { } error ? Problem(error) : await AuditedAsync(ctx, db, "sources.delete", id, Results.NoContent(), ct));
        admin.MapPost("/{id}/disable", (string id, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) => SetEnabledAsync(id, false, registry, ctx, db, ct));
        admin.MapPost("/{id}/enable", (string id, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) => SetEnabledAsync(id, true, registry, ctx, db, ct));
        // every current feature of the source withdrawn (kept in history): a retired or wrong registry off the map
        admin.MapPost("/{id}/withdraw", async (string id, HubDbContext db, IngestPipeline pipeline, HttpContext ctx, CancellationToken ct) =>
        {
            var row = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
            if (row is null) return ParameterProblem.For("id", $"no source '{id}'", 404);
            var done = await pipeline.WithdrawAllAsync(row, ct);
            var answer = new { id, withdrawn = done.Sum(w => w.Withdrawn), workspaces = done.ToDictionary(w => w.Workspace, w => w.Withdrawn) };
            await AuditAsync(ctx, db, "sources.withdraw", id, answer, ct);
            return Results.Ok(answer);
        });
        // a pull now, on whichever node takes the job first (not only this one)
        admin.MapPost("/{id}/run", async (string id, HubDbContext db, Hangfire.IBackgroundJobClient jobs, HttpContext ctx, CancellationToken ct) =>
        {
            var row = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
            if (row is null) return ParameterProblem.For("id", $"no source '{id}'", 404);
            if (row.Kind != "pull" || row.Url is null) return ParameterProblem.For("id", $"source '{id}' is not a pull source", 409);
            var job = jobs.Enqueue<PullFeedJob>(j => j.RunAsync(id, null, CancellationToken.None));
            return await AuditedAsync(ctx, db, "sources.run", id, Results.Accepted($"/api/v1/sources/{id}", new { id, job }), ct);
        });
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
    private static async Task<IResult> SetEnabledAsync(string id, bool enabled, SourceRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var (_, error) = await registry.SetEnabledAsync(id, enabled, ct);
        return error is not null ? Problem(error) : await AuditedAsync(ctx, db, enabled ? "sources.enable" : "sources.disable", id, Results.NoContent(), ct);
    }

    private static SourceFollow Redacted(SourceFollow f) => f with
    {
        PointerUrl = f.PointerUrl is { } p ? FeedFetcher.Redact(p) : null,
        BackfillUrl = f.BackfillUrl is { } b ? FeedFetcher.Redact(b) : null,
    };

    public static IResult Problem(RegistryError e) => ParameterProblem.For(e.Field, e.Detail, e.Status);

    private static async Task<IResult> AuditedAsync(HttpContext ctx, HubDbContext db, string action, string id, IResult result, CancellationToken ct)
    {
        await AuditAsync(ctx, db, action, id, null, ct);
        return result;
    }

    /// <summary>Who changed the registry, and what they sent (never the feed's credentials: <see cref="SourceInput.ForAudit"/>).</summary>
    public static async Task AuditAsync(HttpContext ctx, HubDbContext db, string action, string id, object? input, CancellationToken ct)
    {
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        var (keyId, person) = caller?.AuditActor ?? (null, null);
        db.Audit.Add(new AuditEntry
        {
            At = DateTimeOffset.UtcNow, OrganizationId = caller?.OrganizationId, ApiKeyId = keyId, Person = person, Action = action, Target = id,
            ClientAddress = ctx.Connection.RemoteIpAddress?.ToString() ?? "", Detail = input is null ? "{}" : System.Text.Json.JsonSerializer.Serialize(input),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The fields <c>GET /api/v1/sources</c> lists, <c>internal</c> (a feed inside the hub's network), <c>workspace</c>,
    /// and what only a writer gives: <c>credentials</c> (stored encrypted, never listed or audited), <c>follow</c>,
    /// <c>companions</c>, <c>exercise_workspace</c>.
    /// </summary>
    public sealed record SourceInput(string? Id, string? Name, string? Kind, string? Format, string? Layer, string? Url,
        [property: JsonPropertyName("schedule_seconds")] int? ScheduleSeconds, int? Priority,
        [property: JsonPropertyName("owner_org")] string? OwnerOrg,
        bool? Internal, string? Workspace = null,
        [property: JsonPropertyName("expected_interval_seconds")] int? ExpectedIntervalSeconds = null,
        string? License = null, string? Attribution = null,
        [property: JsonPropertyName("exercise_workspace")] string? ExerciseWorkspace = null,
        Dictionary<string, string>? Companions = null, SourceFollow? Follow = null, SourceCredentials? Credentials = null,
        bool? Replaces = null)
    {
        public SourceChange ToChange() => new(Id, Name, Kind, Format, Layer, Url, ScheduleSeconds, Priority, OwnerOrg, Internal, Workspace,
            ExpectedIntervalSeconds, License, Attribution, ExerciseWorkspace, Companions, Follow, Credentials, Replaces);

        /// <summary>What the audit log keeps of it: everything but the credentials' values (only that they were set or removed).</summary>
        public object ForAudit() => new
        {
            input = this with { Credentials = null },
            credentials = Credentials is null ? null : Credentials.IsEmpty ? "removed" : "set",
        };
    }
}
