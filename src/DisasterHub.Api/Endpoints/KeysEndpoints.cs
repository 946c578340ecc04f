using DisasterHub.Api.Auth;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// API keys, for the operator (Admin): list (never a secret or its hash), create — the token is in this one answer and
/// nowhere else, only its SHA-256 is stored — and revoke (at once: every request looks the key up again). Through
/// <see cref="KeyRegistry"/> like <c>./hub keys</c>; every change audited with the key or person acting.
/// </summary>
public static class KeysEndpoints
{
    public sealed record KeyInput(string? Organization, string[]? Scopes, string? Label);

    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/keys").WithTags("Keys").RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(SourcesEndpoints.RequireScope("admin"));
        admin.MapGet("", async (KeyRegistry keys, HttpContext ctx, CancellationToken ct) =>
        {
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Json(new { keys = (await keys.ListAsync(ct)).Select(View) });
        });
        admin.MapPost("", async (KeyInput input, KeyRegistry keys, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, token, error) = await keys.CreateAsync(input.Organization, input.Scopes, input.Label, ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "keys.create", row!.Id, new { organization = row.OrganizationId, scopes = row.Scopes, label = row.Label }, ct);
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/keys/{row.Id}", new { key = View(row), token });
        });
        admin.MapPost("/{id}/revoke", async (string id, KeyRegistry keys, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, error) = await keys.RevokeAsync(id, ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "keys.revoke", id, null, ct);
            return Results.Json(View(row!));
        });
        return app;
    }

    private static object View(ApiKey k) => new
    {
        id = k.Id, organization = k.OrganizationId, label = k.Label, scopes = k.Scopes, created_at = k.CreatedAt, revoked_at = k.RevokedAt,
    };
}
