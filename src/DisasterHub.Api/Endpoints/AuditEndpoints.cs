using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary><c>GET /api/v1/audit</c>: every write and admin action (who — key or person —, what, when, from where), for admins.</summary>
public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        // the Admin policy is the gate (an admin key or a signed-in admin); the filter looks the key up again (a revocation counts at once)
        app.MapGet("/api/v1/audit", async (HubDbContext db, int? limit, string? action, CancellationToken ct) =>
        {
            var q = db.Audit.AsNoTracking();
            if (!string.IsNullOrEmpty(action)) q = q.Where(a => a.Action == action);
            var rows = await q.OrderByDescending(a => a.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(ct);
            return Results.Json(new
            {
                entries = rows.Select(a => new
                {
                    id = a.Id, at = a.At, organization = a.OrganizationId, key_id = a.ApiKeyId, person = a.Person, action = a.Action,
                    target = a.Target, client_address = a.ClientAddress, detail = System.Text.Json.JsonDocument.Parse(a.Detail).RootElement,
                }),
            });
        }).WithTags("Audit").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(SourcesEndpoints.RequireScope("admin"));
        return app;
    }
}
