using System.Text.Json.Nodes;
using DisasterHub.Adapters.Sensors;

namespace DisasterHub.Adapters.Sensors.Tests;

/// <summary>GeoJsonGeometry: GeoJSON4STJ's reading plus the checks a feed needs (Feature unwrapped, positions on Earth).</summary>
public sealed class geojson_geometry_should
{
    private static (bool Ok, NetTopologySuite.Geometries.Geometry? Geometry, string Error) Read(string json)
    {
        var ok = GeoJsonGeometry.TryRead(JsonNode.Parse(json), out var g, out var error);
        return (ok, g, error);
    }

    [Fact]
    public void read_points_polygons_and_a_features_geometry_in_wgs84()
    {
        var point = Read("""{"type":"Point","coordinates":[136.96136,37.04826]}""");
        Assert.True(point.Ok, point.Error);
        Assert.Equal((136.96136, 37.04826, 4326), (point.Geometry!.Coordinate.X, point.Geometry.Coordinate.Y, point.Geometry.SRID));
        var polygon = Read("""{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[136.9,37.0],[137.0,37.0],[137.0,37.1],[136.9,37.0]]]}}""");
        Assert.True(polygon.Ok, polygon.Error);
        Assert.Equal("Polygon", polygon.Geometry!.GeometryType);
        var multi = Read("""{"type":"MultiLineString","coordinates":[[[136.9,37.0],[137.0,37.1]],[[136.8,37.0],[136.85,37.05]]]}""");
        Assert.Equal(2, multi.Geometry!.NumGeometries);
    }

    [Theory]
    [InlineData("""{"type":"Point","coordinates":[200,37]}""", "out of range")]
    [InlineData("""{"type":"Point","coordinates":[136.9,95]}""", "out of range")]
    [InlineData("""{"type":"Polygon","coordinates":[[[136.9,37.0],[137.0,37.0],[137.0,37.1],[136.95,37.05]]]}""", "invalid GeoJSON geometry")]
    [InlineData("""{"type":"LineString","coordinates":[[136.9,37.0]]}""", "invalid GeoJSON geometry")]
    [InlineData("""{"type":"Blob","coordinates":[1,2]}""", "invalid GeoJSON geometry")]
    [InlineData("""{"coordinates":[1,2]}""", "without a 'type'")]
    [InlineData("""{"type":"Feature","properties":{}}""", "without a geometry")]
    [InlineData("""[1,2]""", "must be an object")]
    public void refuse_what_is_not_a_usable_geometry_with_a_reason(string json, string reason)
    {
        var (ok, g, error) = Read(json);
        Assert.False(ok);
        Assert.Null(g);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
