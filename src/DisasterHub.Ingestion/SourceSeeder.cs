using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Ingestion;

/// <summary>
/// Seeds the registry tables from configuration. Configuration only seeds: a row it wrote keeps following it (a demo's
/// simulator address changes between runs), but once a row is changed through the API or the CLI
/// (<c>config_managed = false</c>) the database is the truth and configuration never overwrites it; rows created
/// through the API are never touched.
/// </summary>
public static class SourceSeeder
{
    public static async Task SeedAsync(HubDbContext db, HubOptions options, SourceCredentialProtector credentials, CancellationToken ct = default)
    {
        foreach (var o in options.Organizations)
        {
            var row = await db.Organizations.FindAsync([o.Id], ct);
            if (row is null) db.Organizations.Add(row = new Organization { Id = o.Id, Name = o.Name, Kind = o.Kind, CreatedAt = DateTimeOffset.UtcNow, ConfigManaged = true });
            else if (!row.ConfigManaged) continue;
            row.Name = o.Name;
            row.Kind = o.Kind;
            row.JurisdictionCodes = [.. o.Jurisdiction];
            row.ServiceArea = ServiceArea(o);
        }
        await db.SaveChangesAsync(ct);
        foreach (var s in options.Sources)
        {
            var row = await db.Sources.FindAsync([s.Id], ct);
            if (row is null)
                db.Sources.Add(row = new Source { Id = s.Id, Name = s.Name ?? s.Id, Kind = s.Kind, Format = s.Format, Layer = s.Layer, CreatedAt = DateTimeOffset.UtcNow, ConfigManaged = true });
            else if (!row.ConfigManaged) continue;
            row.Name = s.Name ?? s.Id;
            row.Kind = s.Kind;
            row.Format = s.Format;
            row.Layer = s.Layer;
            row.Url = s.Url is null ? null : options.Resolve(s.Url);
            row.ScheduleSeconds = s.ScheduleSeconds;
            row.ExpectedIntervalSeconds = s.ExpectedIntervalSeconds;
            row.Priority = s.Priority;
            row.Replaces = s.Replaces;
            row.OwnerOrgId = string.IsNullOrWhiteSpace(s.OwnerOrg) ? null : s.OwnerOrg;
            row.Internal = s.Internal;
            row.ExerciseWorkspace = string.IsNullOrWhiteSpace(s.ExerciseWorkspace) ? null : s.ExerciseWorkspace;
            row.Workspace = string.IsNullOrWhiteSpace(s.Workspace) ? "live" : s.Workspace;
            row.License = string.IsNullOrWhiteSpace(s.License) ? null : s.License;
            row.Attribution = string.IsNullOrWhiteSpace(s.Attribution) ? null : s.Attribution;
            // encrypted at rest; the configuration (an environment variable or secret store in production) stays its origin
            row.Credentials = s.Credentials is { IsEmpty: false } c ? credentials.Protect(c) : null;
            row.Companions = System.Text.Json.JsonSerializer.Serialize(s.Companions.ToDictionary(
                kv => kv.Key, kv => options.Resolve(kv.Value)));
            row.Follow = new SourceFollow(s.PointerUrl is { Length: > 0 } p ? options.Resolve(p) : null, s.PointerField, s.PointerStepSeconds,
                s.Telegrams, s.BackfillUrl is { Length: > 0 } b ? options.Resolve(b) : null).ToJson();
        }
        await db.SaveChangesAsync(ct);
        foreach (var drill in options.Sources.Select(s => s.ExerciseWorkspace).Where(w => !string.IsNullOrWhiteSpace(w) && w != "live").Distinct())
            await db.Database.ExecuteSqlInterpolatedAsync($"INSERT INTO workspace (name, kind) VALUES ({drill}, 'drill') ON CONFLICT (name) DO NOTHING", ct);
    }

    public static Task<List<Source>> PullSourcesAsync(HubDbContext db, CancellationToken ct) =>
        db.Sources.AsNoTracking().Where(s => s.Kind == "pull" && s.Enabled && s.Url != null).ToListAsync(ct);

    /// <summary>An organization's configured service area (GeoJSON Polygon or MultiPolygon) as a MultiPolygon in WGS84.</summary>
    private static NetTopologySuite.Geometries.MultiPolygon? ServiceArea(OrganizationConfig o)
    {
        if (string.IsNullOrWhiteSpace(o.ServiceArea)) return null;
        return TryServiceArea(o.ServiceArea, out var area, out var why) ? area : throw new InvalidOperationException($"Hub:Organizations {o.Id}: ServiceArea {why}");
    }

    /// <summary>A GeoJSON Polygon or MultiPolygon as a MultiPolygon in WGS84, or why not.</summary>
    public static bool TryServiceArea(string geoJson, out NetTopologySuite.Geometries.MultiPolygon? area, out string why)
    {
        area = null;
        System.Text.Json.Nodes.JsonNode? node;
        try { node = System.Text.Json.Nodes.JsonNode.Parse(geoJson); }
        catch (System.Text.Json.JsonException e) { why = $"is not JSON: {e.Message}"; return false; }
        if (!DisasterHub.Adapters.Sensors.GeoJsonGeometry.TryRead(node, out var g, out var reason)) { why = $"is not a GeoJSON geometry: {reason}"; return false; }
        area = g switch
        {
            NetTopologySuite.Geometries.MultiPolygon m => m,
            NetTopologySuite.Geometries.Polygon p => p.Factory.CreateMultiPolygon([p]),
            _ => null,
        };
        if (area is null) { why = $"must be a Polygon or MultiPolygon, not {g!.GeometryType}"; return false; }
        area.SRID = 4326;
        why = "";
        return true;
    }
}
