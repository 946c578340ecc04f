using DisasterHub.Core;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Data;

public static class OrganizationStore
{
    /// <summary>Organizations that write anywhere: national agencies and the hub's operator.</summary>
    private static readonly string[] Unrestricted = ["national", "operator"];

    /// <summary>The organization's jurisdiction, or null when it is not restricted.</summary>
    public static async Task<Jurisdiction?> JurisdictionAsync(HubDbContext db, string organizationId, CancellationToken ct)
    {
        var org = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId)
            .Select(o => new { o.Kind, o.JurisdictionCodes, o.ServiceArea }).FirstOrDefaultAsync(ct);
        if (org is null) return new Jurisdiction(organizationId, [], null); // unknown org: nowhere
        if (Unrestricted.Contains(org.Kind)) return null;
        return new Jurisdiction(organizationId, org.JurisdictionCodes, org.ServiceArea);
    }
}
