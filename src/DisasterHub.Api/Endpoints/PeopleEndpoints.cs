using DisasterHub.Api.Auth;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// People who sign in, for the operator (Admin): list, add (with a password the admin sets and tells them), and change
/// name, organization, roles, disable / enable, or set a new password. Through <see cref="PeopleRegistry"/> (Identity's
/// UserManager) like <c>./hub people</c> and <c>Hub:People</c>; every change audited, never with the password.
/// </summary>
public static class PeopleEndpoints
{
    public sealed record PersonInput(string? Email, string? Name, string? Organization, string[]? Roles, string? Password, bool? Disabled);

    public static IEndpointRouteBuilder MapPeople(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/people").WithTags("People").RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(SourcesEndpoints.RequireScope("admin"));
        admin.MapGet("", async (PeopleRegistry people, HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Json(new { people = (await people.ListAsync()).Select(View) });
        });
        admin.MapPost("", async (PersonInput input, PeopleRegistry people, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var config = new PersonConfig { Email = input.Email?.Trim() ?? "", Name = input.Name, Organization = input.Organization ?? "", Roles = [.. input.Roles ?? []], Password = input.Password ?? "" };
            var (person, error) = await people.CreateAsync(config, ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            await SourcesEndpoints.AuditAsync(ctx, db, "people.add", person!.Email!, new { organization = config.Organization, roles = config.Roles }, ct);
            var view = (await people.ListAsync()).Single(p => p.Id == person.Id);
            return Results.Created($"/api/v1/people/{person.Id}", View(view));
        });
        admin.MapPatch("/{id}", async (string id, PersonInput input, PeopleRegistry people, HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var (view, error) = await people.UpdateAsync(id, new PersonChange(input.Name, input.Organization, input.Roles, input.Disabled, input.Password), ct);
            if (error is not null) return SourcesEndpoints.Problem(error);
            // what changed, never the password itself
            await SourcesEndpoints.AuditAsync(ctx, db, "people.update", view!.Email, new
            {
                name = input.Name, organization = input.Organization, roles = input.Roles, disabled = input.Disabled, password_reset = input.Password is not null ? true : (bool?)null,
            }, ct);
            return Results.Json(View(view));
        });
        return app;
    }

    private static object View(PersonView p) => new
    {
        id = p.Id, email = p.Email, name = p.Name, organization = p.Organization, roles = p.Roles, disabled = p.Disabled,
        locked_until = p.LockedUntil, totp = p.Totp, created_at = p.CreatedAt,
    };
}
