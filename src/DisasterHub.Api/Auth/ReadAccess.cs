using DisasterHub.Core;
using DisasterHub.Data;

namespace DisasterHub.Api.Auth;

/// <summary>
/// The classification levels a caller may read: anonymous callers get public only; a key with read:responders or
/// read:restricted (or admin) gets more. Every read path asks here, so the rule lives in one place.
/// </summary>
public static class ReadAccess
{
    /// <summary>
    /// The request's caller: null for anonymous requests and for keys <see cref="KeyVerifier"/> already found invalid
    /// (no database lookup for either); a key found valid is checked against the store again, so a revocation counts
    /// at once.
    /// </summary>
    public static async Task<Caller?> CallerAsync(HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var resolved = ctx.Resolved();
        // no Authorization header: the signed-in person, if any (the session cookie; the policy scheme picked it)
        if (!resolved.Presented) return People.CallerOf(ctx.User);
        if (ctx.Features.Get<ResolvedCaller>() is not null && resolved.Caller is null) return null;
        return await ApiKeys.AuthenticateAsync(db, ctx.Request.Headers.Authorization, ct);
    }

    /// <summary>
    /// The caller's levels and the attributes hidden from it, under this hub's sharing rules. The answer depends on
    /// the key or session, so it varies on Authorization and Cookie, and one computed above public is private to the caller: no shared
    /// cache may hand a responders' answer to the public.
    /// </summary>
    public static async Task<Clearance> LevelsAsync(HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        Levels(ctx, await CallerAsync(ctx, db, ct));

    /// <summary>As <see cref="LevelsAsync"/>, for a caller the endpoint has already looked up (no second key lookup).</summary>
    public static Clearance Levels(HttpContext ctx, Caller? caller)
    {
        var policy = ctx.RequestServices.GetRequiredService<ClassificationPolicy>();
        var clearance = policy.ClearanceUpTo(caller switch
        {
            null => Classifications.Public,
            _ when caller.Has("read:restricted") => Classifications.Restricted,
            _ when caller.Has("read:responders") => Classifications.Responders,
            _ => Classifications.Public,
        });
        ctx.Response.Headers.Vary = "Authorization, Cookie";
        if (clearance.Levels.Length > 1) ctx.Response.Headers.CacheControl = "private";
        return clearance;
    }

    /// <summary>"live" unless the caller names another workspace (drills).</summary>
    public static string Workspace(HttpContext ctx) =>
        ctx.Request.Query["workspace"].ToString() is { Length: > 0 } w ? w : "live";
}
