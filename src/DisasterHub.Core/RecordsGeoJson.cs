using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace DisasterHub.Core;

/// <summary>
/// Records as the hub would store them, as a GeoJSON FeatureCollection: the EEI header fields and the layer
/// attributes in <c>properties</c> (what <c>./hub validate FILE --records</c> prints).
/// </summary>
public static class RecordsGeoJson
{
    public static JsonObject Collection(IEnumerable<FeatureRecord> records) => new()
    {
        ["type"] = "FeatureCollection",
        ["features"] = new JsonArray([.. records.Select(r => (JsonNode)Feature(r))]),
    };

    public static JsonObject Feature(FeatureRecord r) => new()
    {
        ["type"] = "Feature",
        ["id"] = r.SourceKey,
        ["geometry"] = r.Geometry is null ? null : Geometry(r.Geometry),
        ["properties"] = new JsonObject
        {
            ["layer"] = r.Layer,
            ["source_key"] = r.SourceKey,
            ["entity_key"] = r.EntityKey,
            ["municipality_code"] = r.MunicipalityCode,
            ["name"] = r.Name,
            ["address"] = r.Address,
            ["status"] = r.Status,
            ["severity"] = r.Severity,
            ["observed_at"] = r.ObservedAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["reported_at"] = r.ReportedAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["classification"] = r.Classification,
            ["source_crs"] = r.SourceCrs,
            ["located_by_code"] = r.LocatedByCode,
            ["location"] = r.Location,
            ["attrs"] = r.Attrs.DeepClone(),
        },
    };

    /// <summary>GeoJSON geometry (RFC 7946), coordinates as stored (lon, lat).</summary>
    public static JsonObject Geometry(Geometry g) => g switch
    {
        Point p => new() { ["type"] = "Point", ["coordinates"] = Position(p.Coordinate) },
        LineString l => new() { ["type"] = "LineString", ["coordinates"] = Positions(l.Coordinates) },
        Polygon p => new() { ["type"] = "Polygon", ["coordinates"] = Rings(p) },
        MultiPoint m => new() { ["type"] = "MultiPoint", ["coordinates"] = Positions(m.Coordinates) },
        MultiLineString m => new() { ["type"] = "MultiLineString", ["coordinates"] = new JsonArray([.. m.Geometries.Select(l => (JsonNode)Positions(l.Coordinates))]) },
        MultiPolygon m => new() { ["type"] = "MultiPolygon", ["coordinates"] = new JsonArray([.. m.Geometries.Select(p => (JsonNode)Rings((Polygon)p))]) },
        GeometryCollection c => new() { ["type"] = "GeometryCollection", ["geometries"] = new JsonArray([.. c.Geometries.Select(x => (JsonNode)Geometry(x))]) },
        _ => throw new ArgumentException($"unsupported geometry {g.GeometryType}", nameof(g)),
    };

    private static JsonArray Position(Coordinate c) => [c.X, c.Y];

    private static JsonArray Positions(Coordinate[] cs) => [.. cs.Select(c => (JsonNode)Position(c))];

    private static JsonArray Rings(Polygon p) => [Positions(p.ExteriorRing.Coordinates), .. p.InteriorRings.Select(r => (JsonNode)Positions(r.Coordinates))];
}
