using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Sensors;

/// <summary>
/// Reads a GeoJSON (RFC 7946) geometry, or a Feature's geometry, into an NTS geometry with SRID 4326. SensorThings
/// carries locations this way (<c>encodingType</c> application/geo+json or application/vnd.geo+json).
/// </summary>
public static class GeoJsonGeometry
{
    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    public static Point Point(double lon, double lat) => Factory.CreatePoint(new Coordinate(lon, lat));

    /// <summary>False with a reason when the node is not a usable GeoJSON geometry.</summary>
    public static bool TryRead(JsonNode? node, out Geometry? geometry, out string error)
    {
        geometry = null;
        error = "";
        try
        {
            geometry = Read(node, 0);
            return true;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
        catch (ArgumentException e)
        {
            error = "invalid GeoJSON geometry: " + e.Message;
            return false;
        }
    }

    private static Geometry Read(JsonNode? node, int depth)
    {
        if (node is not JsonObject o) throw new FormatException("GeoJSON must be an object");
        if (depth > 8) throw new FormatException("GeoJSON nested too deeply");
        var type = o["type"]?.GetValueKind() == JsonValueKind.String ? (string)o["type"]! : null;
        switch (type)
        {
            case "Feature":
                if (o["geometry"] is null) throw new FormatException("GeoJSON Feature without a geometry");
                return Read(o["geometry"], depth + 1);
            case "GeometryCollection":
                if (o["geometries"] is not JsonArray parts) throw new FormatException("GeometryCollection without 'geometries'");
                return Factory.CreateGeometryCollection(parts.Select(p => Read(p, depth + 1)).ToArray());
            case null:
                throw new FormatException("GeoJSON without a 'type'");
        }
        var c = o["coordinates"] ?? throw new FormatException($"GeoJSON {type} without 'coordinates'");
        return type switch
        {
            "Point" => Factory.CreatePoint(Position(c)),
            "MultiPoint" => Factory.CreateMultiPointFromCoords(Positions(c, 1)),
            "LineString" => Factory.CreateLineString(Positions(c, 2)),
            "MultiLineString" => Factory.CreateMultiLineString(Array(c).Select(l => Factory.CreateLineString(Positions(l, 2))).ToArray()),
            "Polygon" => Polygon(c),
            "MultiPolygon" => Factory.CreateMultiPolygon(Array(c).Select(Polygon).ToArray()),
            _ => throw new FormatException($"unsupported GeoJSON type '{type}'"),
        };
    }

    private static Polygon Polygon(JsonNode? rings)
    {
        var list = Array(rings).Select(r => Ring(Positions(r, 4))).ToList();
        if (list.Count == 0) throw new FormatException("Polygon without rings");
        return Factory.CreatePolygon(list[0], list.Skip(1).ToArray());
    }

    private static LinearRing Ring(Coordinate[] cs)
    {
        if (!cs[0].Equals2D(cs[^1])) throw new FormatException("Polygon ring is not closed (first and last positions differ)");
        return Factory.CreateLinearRing(cs);
    }

    private static JsonArray Array(JsonNode? node) => node as JsonArray ?? throw new FormatException("GeoJSON coordinates must be arrays");

    private static Coordinate[] Positions(JsonNode? node, int min)
    {
        var cs = Array(node).Select(Position).ToArray();
        if (cs.Length < min) throw new FormatException($"GeoJSON needs at least {min} positions here, got {cs.Length}");
        return cs;
    }

    private static Coordinate Position(JsonNode? node)
    {
        if (node is not JsonArray { Count: >= 2 } a || a[0]?.GetValueKind() != JsonValueKind.Number || a[1]?.GetValueKind() != JsonValueKind.Number)
            throw new FormatException($"GeoJSON position must be [lon, lat], got {node?.ToJsonString() ?? "null"}");
        var lon = a[0]!.GetValue<double>();
        var lat = a[1]!.GetValue<double>();
        if (!double.IsFinite(lon) || !double.IsFinite(lat) || lon is < -180 or > 180 || lat is < -90 or > 90)
            throw new FormatException($"GeoJSON position [{lon}, {lat}] is out of range (lon -180..180, lat -90..90)");
        return new Coordinate(lon, lat);
    }
}
