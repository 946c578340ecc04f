using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace DisasterHub.Adapters.Sensors;

/// <summary>
/// Reads a GeoJSON (RFC 7946) geometry, or a Feature's geometry, into an NTS geometry with SRID 4326. SensorThings
/// carries locations this way (<c>encodingType</c> application/geo+json or application/vnd.geo+json); the
/// reporting-status collection takes a drawn area this way. The reading is NetTopologySuite.IO.GeoJSON4STJ's; this
/// class adds what a feed needs on top: one Feature unwrapped, a depth cap, and every position finite and on Earth.
/// </summary>
public static class GeoJsonGeometry
{
    private const int MaxDepth = 16;
    private static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(4326);
    private static readonly JsonSerializerOptions Options = new() { MaxDepth = MaxDepth, Converters = { new GeoJsonConverterFactory(Factory) } };

    public static Point Point(double lon, double lat) => Factory.CreatePoint(new Coordinate(lon, lat));

    /// <summary>False with a reason when the node is not a usable GeoJSON geometry.</summary>
    public static bool TryRead(JsonNode? node, out Geometry? geometry, out string error)
    {
        geometry = null;
        error = "";
        if (node is not JsonObject o)
        {
            error = "GeoJSON must be an object";
            return false;
        }
        var type = o["type"]?.GetValueKind() == JsonValueKind.String ? (string)o["type"]! : null;
        if (type is null)
        {
            error = "GeoJSON without a 'type'";
            return false;
        }
        if (type == "Feature")
        {
            if (o["geometry"] is not JsonObject inner)
            {
                error = "GeoJSON Feature without a geometry";
                return false;
            }
            o = inner;
        }
        try
        {
            geometry = o.Deserialize<Geometry>(Options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            error = "invalid GeoJSON geometry: " + (e.InnerException?.Message ?? e.Message);
            return false;
        }
        if (geometry is null || geometry.IsEmpty)
        {
            geometry = null;
            error = "GeoJSON geometry is empty";
            return false;
        }
        foreach (var c in geometry.Coordinates)
            if (!double.IsFinite(c.X) || !double.IsFinite(c.Y) || c.X is < -180 or > 180 || c.Y is < -90 or > 90)
            {
                geometry = null;
                error = $"GeoJSON position [{c.X}, {c.Y}] is out of range (lon -180..180, lat -90..90)";
                return false;
            }
        geometry.SRID = 4326;
        return true;
    }
}
