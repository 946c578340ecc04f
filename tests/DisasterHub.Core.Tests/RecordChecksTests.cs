using DisasterHub.Core;
using DisasterHub.Core.Checks;
using NetTopologySuite.Geometries;

namespace DisasterHub.Core.Tests;

public sealed class record_checks_should
{
    private static readonly GeometryFactory F = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    private static FeatureRecord Shelter(double lon, double lat, string code = "172022", string key = "s") =>
        new() { Layer = Layers.Shelters, SourceKey = key, MunicipalityCode = code, Geometry = F.CreatePoint(new Coordinate(lon, lat)) };

    private static ParseResult Run(Jurisdiction? jurisdiction, params FeatureRecord[] records)
    {
        var result = new ParseResult { Format = "test" };
        result.Records.AddRange(records);
        RecordChecks.Standard().Run(result, new CheckContext
        {
            Extent = ServiceExtent.Japan, ReceivedAt = DateTimeOffset.UtcNow, Boundaries = MunicipalBoundaries.LoadEmbedded(), Jurisdiction = jurisdiction,
        });
        return result;
    }

    [Fact]
    public void run_in_the_documented_order()
    {
        Assert.Equal(["location", "duplicate-id", "text", "times", "geometry", "extent", "boundary-agreement", "entity-owner", "jurisdiction"],
            RecordChecks.Standard().Checks.Select(c => c.Name));
    }

    [Fact]
    public void check_a_jurisdiction_by_geometry_not_only_by_code()
    {
        var nanao = new Jurisdiction("nanao-city", ["172022"], null);
        var boundaries = MunicipalBoundaries.LoadEmbedded();
        // claims 七尾市 but stands in 千代田区: the code is in the jurisdiction, the geometry is not
        var why = nanao.Check(Shelter(139.7671, 35.6812), boundaries);
        Assert.NotNull(why);
        Assert.Contains("outside the jurisdiction of nanao-city", why, StringComparison.Ordinal);
        Assert.Contains("131016 千代田区", why, StringComparison.Ordinal);
        Assert.Null(nanao.Check(Shelter(136.96136, 37.04826), boundaries));
        // a polygon from 七尾市 to 金沢市
        var wide = new FeatureRecord { Layer = Layers.EvacuationOrders, SourceKey = "p", MunicipalityCode = "172022",
            Geometry = F.CreatePolygon([new(136.7, 36.6), new(137.0, 36.6), new(137.0, 37.2), new(136.7, 37.2), new(136.7, 36.6)]) };
        Assert.NotNull(nanao.Check(wide, boundaries));
        // a prefecture's jurisdiction covers its municipalities' areas
        Assert.Null(new Jurisdiction("ishikawa", ["170003"], null).Check(Shelter(136.6562, 36.5613, "172014"), boundaries));
    }

    [Fact]
    public void tell_metres_on_the_ground()
    {
        // 1' of latitude ≈ 1,853 m; 1' of longitude at 35° ≈ 1,518 m
        Assert.Equal(1853, GeoDistance.Metres(new Coordinate(139, 35), new Coordinate(139, 35 + 1.0 / 60)), 5.0);
        Assert.Equal(1518, GeoDistance.Metres(new Coordinate(139, 35), new Coordinate(139 + 1.0 / 60, 35)), 5.0);
    }

    [Fact]
    public void reject_a_record_far_from_its_claimed_municipality_but_keep_one_within_the_tolerance()
    {
        var result = Run(null, Shelter(139.7671, 35.6812, key: "tokyo"), Shelter(136.96136, 37.04826, key: "nanao"), Shelter(137.0000, 37.0600, key: "bay"));
        Assert.Equal(["nanao", "bay"], result.Records.Select(r => r.SourceKey));
        Assert.StartsWith("location disagrees with municipality_code 172022 七尾市: ", Assert.Single(result.Rejections).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void refuse_an_entity_key_of_another_municipality()
    {
        var r = Shelter(136.96136, 37.04826);
        r.EntityKey = "E1310100005112";
        r.Attrs["common_id"] = "E1310100005112";
        var result = Run(null, r);
        Assert.Equal("entity E1310100005112 belongs to municipality 131016 千代田区, not to the record's municipality 172022 七尾市", Assert.Single(result.Rejections).Reason);
        var own = Shelter(136.96136, 37.04826);
        own.EntityKey = "172022:御祓地区コミュニティセンター";
        Assert.Empty(Run(null, own).Rejections);
    }
}
