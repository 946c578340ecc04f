using DisasterHub.Core;
using DisasterHub.Data;

namespace DisasterHub.Api.Auth;

/// <summary>
/// The classification levels a caller may read: anonymous callers get public only; a key with read:responders or
/// read:restricted (or admin) gets more. Every read path asks here, so the rule lives in one place.
/// </summary>
public static class ReadAccess
{
    public static readonly string[] PublicOnly = [Classifications.Public];

    public static async Task<string[]> LevelsAsync(HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var caller = await ApiKeys.AuthenticateAsync(db, ctx.Request.Headers.Authorization, ct);
        if (caller is null) return PublicOnly;
        if (caller.Has("read:restricted")) return [Classifications.Public, Classifications.Responders, Classifications.Restricted];
        if (caller.Has("read:responders")) return [Classifications.Public, Classifications.Responders];
        return PublicOnly;
    }

    /// <summary>"live" unless the caller names another workspace (drills).</summary>
    public static string Workspace(HttpContext ctx) =>
        ctx.Request.Query["workspace"].ToString() is { Length: > 0 } w ? w : "live";
}
