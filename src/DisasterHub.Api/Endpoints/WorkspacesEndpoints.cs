using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/workspaces</c>: live and the drills (訓練), so the officers' map can switch between them. Every read
/// path already takes <c>?workspace=</c>; this only says which names exist —
/// those the caller may open (<see cref="WorkspaceGate"/>).
/// </summary>
public static class WorkspacesEndpoints
{
    public static IEndpointRouteBuilder MapWorkspaces(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/workspaces", async (HttpContext ctx, NpgsqlDataSource db, CancellationToken ct) =>
        {
            var list = await DrillStore.ListAsync(db, ct);
            var caller = WorkspaceGate.CallerOf(ctx);
            var admin = caller?.Scopes.Contains("admin") == true;
            ctx.Response.Headers.Vary = "Authorization, Cookie";
            // only the drills this caller may open (WorkspaceGate refuses the others on every path); members_only tells
            // the map a drill is not open to everyone
            return Results.Json(new
            {
                workspaces = list.Where(w => DrillStore.MayOpen(w.Members, caller?.OrganizationId, admin))
                    .Select(w => new { name = w.Name, kind = w.Kind, created_at = w.CreatedAt, members_only = w.Members.Length > 0 }),
            });
        }).WithTags("Workspaces").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
