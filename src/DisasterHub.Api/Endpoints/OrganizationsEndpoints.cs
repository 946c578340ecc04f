using System.Text.Json;
using System.Text.Json.Serialization;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// The organizations of the registry: who they are and where they may write (jurisdiction codes, service area).
/// Listing is public (names and kinds are what every map attribution shows); changes are the operator's (Admin), go
/// through <see cref="OrganizationRegistry"/> like <c>./hub orgs</c>, and are audited.
/// </summary>
public static class OrganizationsEndpoints
{
    public sealed record OrganizationInput(string? Id, string? Name, string? Kind, string[]? Jurisdiction,
        [property: JsonPropertyName("service_area")] JsonElement? ServiceArea)
    {
        public OrganizationChange ToChange() => new(Id, Name, Kind, Jurisdiction,
            ServiceArea is not { } a ? null : a.ValueKind == JsonValueKind.Null ? "" : a.GetRawText());
    }

    public static IEndpointRouteBuilder MapOrganizations(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/v1/organizations").WithTags("Organizations").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        read.MapGet("", async (HubDbContext db, CancellationToken ct) =>
            Results.Json(new { organizations = (await db.Organizations.AsNoTracking().OrderBy(o => o.Id).ToListAsync(ct)).Select(View) }));
        read.MapGet("/{id}", async (string id, HubDbContext db, CancellationToken ct) =>
            await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, ct) is { } o ? Results.Json(View(o)) : ParameterProblem.For("id", $"no organization '{id}'", 404));

        var admin = app.MapGroup("/api/v1/organizations").WithTags("Organizations").RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(SourcesEndpoints.RequireScope("admin"));
        admin.MapPost("", async (OrganizationInput input, OrganizationRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, error) = await registry.CreateAsync(input.ToChange(), ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "organizations.create", row!.Id, input, ct);
            return Results.Created($"/api/v1/organizations/{row.Id}", View(row));
        });
        admin.MapPatch("/{id}", async (string id, OrganizationInput input, OrganizationRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (row, error) = await registry.UpdateAsync(id, input.ToChange(), ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "organizations.update", id, input, ct);
            return Results.Json(View(row!));
        });
        admin.MapDelete("/{id}", async (string id, OrganizationRegistry registry, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            if (await registry.DeleteAsync(id, ct) is { } error) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "organizations.delete", id, null, ct);
            return Results.NoContent();
        });
        return app;
    }

    private static object View(Organization o) => new
    {
        id = o.Id, name = o.Name, kind = o.Kind, jurisdiction = o.JurisdictionCodes,
        service_area = o.ServiceArea is null ? null : new
        {
            type = "MultiPolygon",
            coordinates = o.ServiceArea.Geometries.Cast<NetTopologySuite.Geometries.Polygon>().Select(p =>
                new[] { p.ExteriorRing }.Concat(p.InteriorRings).Select(r => r.Coordinates.Select(c => new[] { c.X, c.Y }))),
        },
        created_at = o.CreatedAt,
    };
}
