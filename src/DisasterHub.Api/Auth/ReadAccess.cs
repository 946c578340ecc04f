using DisasterHub.Core;
using DisasterHub.Data;

namespace DisasterHub.Api.Auth;

/// <summary>
/// The classification levels a caller may read: anonymous callers get public only; a key with read:responders or
/// read:restricted (or admin) gets more. Every read path asks here, so the rule lives in one place.
/// </summary>
public static class ReadAccess
{
    /// <summary>The caller's levels and the attributes hidden from it, under this hub's sharing rules.</summary>
    public static async Task<Clearance> LevelsAsync(HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var policy = ctx.RequestServices.GetRequiredService<ClassificationPolicy>();
        var caller = await ApiKeys.AuthenticateAsync(db, ctx.Request.Headers.Authorization, ct);
        return policy.ClearanceUpTo(caller switch
        {
            null => Classifications.Public,
            _ when caller.Has("read:restricted") => Classifications.Restricted,
            _ when caller.Has("read:responders") => Classifications.Responders,
            _ => Classifications.Public,
        });
    }

    /// <summary>"live" unless the caller names another workspace (drills).</summary>
    public static string Workspace(HttpContext ctx) =>
        ctx.Request.Query["workspace"].ToString() is { Length: > 0 } w ? w : "live";
}
