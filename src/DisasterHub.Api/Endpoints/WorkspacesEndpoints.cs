using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/workspaces</c>: live and the drills (訓練), so the officers' map can switch between them. Every read
/// path already takes <c>?workspace=</c>; this only says which names exist.
/// </summary>
public static class WorkspacesEndpoints
{
    public static IEndpointRouteBuilder MapWorkspaces(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/workspaces", async (NpgsqlDataSource db, CancellationToken ct) =>
        {
            var list = await DrillStore.ListAsync(db, ct);
            return Results.Json(new { workspaces = list.Select(w => new { name = w.Name, kind = w.Kind, created_at = w.CreatedAt }) });
        }).WithTags("Workspaces").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
