using DisasterHub.Core;
using NetTopologySuite.IO;
using Npgsql;

namespace DisasterHub.Data;

public static class OrganizationStore
{
    /// <summary>Organizations that write anywhere: national agencies and the hub's operator.</summary>
    private static readonly string[] Unrestricted = ["national", "operator"];

    /// <summary>The organization's jurisdiction, or null when it is not restricted.</summary>
    public static async Task<Jurisdiction?> JurisdictionAsync(NpgsqlDataSource db, string organizationId, CancellationToken ct)
    {
        await using var c = db.CreateCommand("SELECT kind, jurisdiction_codes, ST_AsBinary(service_area) FROM organization WHERE id = @id");
        c.Parameters.AddWithValue("id", organizationId);
        await using var r = await c.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return new Jurisdiction(organizationId, [], null); // unknown org: nowhere
        if (Unrestricted.Contains(r.GetString(0))) return null;
        var area = r.IsDBNull(2) ? null : new WKBReader().Read(r.GetFieldValue<byte[]>(2));
        return new Jurisdiction(organizationId, r.GetFieldValue<string[]>(1), area);
    }
}
