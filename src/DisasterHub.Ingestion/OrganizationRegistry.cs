using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Ingestion;

/// <summary>A create or a change of an organization; null = not given. <c>ServiceArea</c> is GeoJSON text.</summary>
public sealed record OrganizationChange(string? Id = null, string? Name = null, string? Kind = null, IReadOnlyList<string>? Jurisdiction = null, string? ServiceArea = null);

/// <summary>
/// The one path that creates, changes and deletes organizations, shared by <c>/api/v1/organizations</c> and
/// <c>./hub orgs</c>: kinds the schema knows, jurisdiction codes the hub's municipality directory knows (each bad one
/// named by its pointer), a service area that is a GeoJSON (Multi)Polygon. A change made here is never overwritten by
/// configuration.
/// </summary>
public sealed class OrganizationRegistry(HubDbContext db, MunicipalityDirectory municipalities, TimeProvider clock)
{
    public static readonly string[] Kinds = ["national", "prefecture", "municipality", "public_institution", "app_developer", "operator"];
    private static readonly Regex IdPattern = new("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    public async Task<(Organization? Row, RegistryError? Error)> CreateAsync(OrganizationChange input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Id) || !IdPattern.IsMatch(input.Id))
            return (null, new("id", "id must be 1–64 characters of a-z, 0-9, '.', '_', '-'"));
        var row = new Organization { Id = input.Id, Name = input.Name ?? input.Id, Kind = input.Kind ?? "", CreatedAt = clock.GetUtcNow() };
        if (Apply(row, input) is { } error) return (null, error);
        if (await db.Organizations.AnyAsync(o => o.Id == input.Id, ct)) return (null, new("id", $"an organization '{input.Id}' exists", 409));
        db.Organizations.Add(row);
        await db.SaveChangesAsync(ct);
        return (row, null);
    }

    public async Task<(Organization? Row, RegistryError? Error)> UpdateAsync(string id, OrganizationChange change, CancellationToken ct)
    {
        if (change.Id is { } newId && newId != id) return (null, new("id", "an organization's id cannot change"));
        var row = await db.Organizations.SingleOrDefaultAsync(o => o.Id == id, ct);
        if (row is null) return (null, new("id", $"no organization '{id}'", 404));
        if (Apply(row, change) is { } error)
        {
            db.ChangeTracker.Clear();
            return (null, error);
        }
        row.ConfigManaged = false;
        await db.SaveChangesAsync(ct);
        return (row, null);
    }

    /// <summary>Refused (409) while the organization owns sources, keys or people: they would lose their owner.</summary>
    public async Task<RegistryError?> DeleteAsync(string id, CancellationToken ct)
    {
        var row = await db.Organizations.SingleOrDefaultAsync(o => o.Id == id, ct);
        if (row is null) return new("id", $"no organization '{id}'", 404);
        if (await db.Sources.AnyAsync(s => s.OwnerOrgId == id, ct)) return new("id", $"organization '{id}' owns sources: give them another owner or delete them first", 409);
        if (await db.ApiKeys.AnyAsync(k => k.OrganizationId == id, ct)) return new("id", $"organization '{id}' has API keys", 409);
        return await RegistryError.RemoveAsync(db, row, $"organization '{id}' still has people or records that name it", ct);
    }

    private RegistryError? Apply(Organization row, OrganizationChange c)
    {
        if (c.Name is not null) row.Name = c.Name;
        if (c.Kind is not null) row.Kind = c.Kind;
        if (!Kinds.Contains(row.Kind)) return new("kind", $"kind must be one of {string.Join(", ", Kinds)}");
        if (c.Jurisdiction is not null)
        {
            for (var i = 0; i < c.Jurisdiction.Count; i++)
                if (c.Jurisdiction[i] is not { Length: 6 } code || municipalities.Get(code) is null)
                    return new($"/jurisdiction/{i}", $"'{c.Jurisdiction[i]}' is not a municipality code the hub knows (6 digits, with the check digit: 七尾市 = 172022)", 422);
            row.JurisdictionCodes = [.. c.Jurisdiction];
        }
        if (c.ServiceArea is not null)
        {
            if (c.ServiceArea.Length == 0) row.ServiceArea = null;
            else if (SourceSeeder.TryServiceArea(c.ServiceArea, out var area, out var why)) row.ServiceArea = area;
            else return new("service_area", why, 422);
        }
        return null;
    }
}
