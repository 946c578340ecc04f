using System.Text;
using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.Tests.TestSupport;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class power_push_json_parser_conformance : ParserConformance<PowerPushJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("power-push-fictional.json");
    protected override string? SampleFileName => "power-push-fictional.json";
}

public class power_push_json_parser_should
{
    private readonly PowerPushJsonParser _parser = new();

    [Fact]
    public void map_an_area_given_by_municipality_code()
    {
        var result = Parse(_parser, "power-push-fictional.json");
        Assert.Empty(result.Rejections);
        Assert.Equal(4, result.Records.Count);
        var r = result.Records[0];
        Assert.Equal(Layers.PowerOutages, r.Layer);
        Assert.Equal("架空電力パワーグリッド:NANAO-01", r.SourceKey);
        Assert.Equal("power-area:172022", r.EntityKey);
        Assert.Equal("172022", r.MunicipalityCode);
        Assert.Equal("七尾市（架空）", r.Name);
        Assert.True(r.LocatedByCode);
        Assert.Null(r.Geometry);
        Assert.Equal("停電中", r.Status);
        Assert.Equal(2, r.Severity);
        Assert.Equal(Utc(2026, 11, 22, 0, 0), r.ObservedAt);
        Assert.Equal(Utc(2026, 11, 22, 0, 0), r.ReportedAt);
        Assert.Equal("/areas/0", r.Location);
        Assert.Equal(
            """{"utility":"架空電力パワーグリッド","area_id":"NANAO-01","customers_out":1234,"customers_served":27000,"cause":"倒木による断線（架空）","restoration_eta":"2026-11-22T09:00:00Z","eta_revision":3,"obstacles":"道路寸断により作業車両が進入困難（架空）"}""",
            TestSupport.Json(r.Attrs));
    }

    [Fact]
    public void map_an_area_given_by_polygon_with_its_own_time()
    {
        var r = Parse(_parser, "power-push-fictional.json").Records[1];
        Assert.Equal("架空電力パワーグリッド:WAJIMA-P1", r.SourceKey);
        Assert.Equal("power-area:架空電力パワーグリッド:WAJIMA-P1", r.EntityKey);
        Assert.Null(r.MunicipalityCode);
        Assert.False(r.LocatedByCode);
        Assert.Equal("POLYGON ((136.89 37.38, 136.91 37.38, 136.91 37.4, 136.89 37.4, 136.89 37.38))", Wkt(r));
        Assert.Equal(4326, r.Geometry!.SRID);
        Assert.Equal(3, r.Severity); // 80 % of customers out
        Assert.Equal(Utc(2026, 11, 21, 23, 45), r.ObservedAt);
        Assert.Equal("""{"utility":"架空電力パワーグリッド","area_id":"WAJIMA-P1","customers_out":800,"customers_served":1000}""", TestSupport.Json(r.Attrs));
    }

    [Fact]
    public void mark_restored_areas_and_compute_check_digits()
    {
        var records = Parse(_parser, "power-push-fictional.json").Records;
        Assert.Equal("復旧済", records[2].Status);
        Assert.Equal(0, records[2].Severity);
        Assert.Equal("173843", records[3].MunicipalityCode);
        Assert.Equal(3, records[3].Severity); // 15,000 out, served unknown
        Assert.Equal("2026-11-23T00:00:00Z", (string?)records[3].Attrs["restoration_eta"]);
        Assert.Equal(1, (long)records[3].Attrs["eta_revision"]!);
    }

    [Fact]
    public void place_code_located_areas_at_the_municipality_boundary_through_the_registry()
    {
        var result = ParseThroughRegistry(_parser, "power-push-fictional.json");
        Assert.Empty(result.Rejections);
        var nanao = result.Records[0];
        // 七尾市's (embedded, simplified N03) boundary, which holds its representative point
        Assert.Equal("MultiPolygon", nanao.Geometry!.GeometryType);
        Assert.True(nanao.Geometry.Covers(new NetTopologySuite.Geometries.Point(136.98440, 37.13100)));
        Assert.Equal("boundary", (string?)nanao.Attrs["location_precision"]);
    }

    [Fact]
    public void reject_bad_areas_with_json_pointers()
    {
        var result = Parse(_parser, "power-push-bad-fictional.json");
        Assert.Equal(
            ["/areas/0/customers_out", "/areas/1/customers_out", "/areas/2/restoration_eta", "/areas/3/municipality_code", "/areas/4", "/areas/5/polygon", "/areas/6/polygon", "/areas/8", "/areas/9"],
            result.Rejections.Select(r => r.At));
        Assert.Equal("must be a non-negative integer, got -5", result.Rejections[0].Reason);
        Assert.Equal("customers_out 120 exceeds customers_served 100", result.Rejections[1].Reason);
        Assert.Contains("with a zone offset", result.Rejections[2].Reason, StringComparison.Ordinal);
        Assert.Equal("municipality code 172023: check digit should be 2", result.Rejections[3].Reason);
        Assert.Equal("an area needs municipality_code or polygon", result.Rejections[4].Reason);
        Assert.StartsWith("invalid polygon: Self-intersection", result.Rejections[5].Reason, StringComparison.Ordinal);
        Assert.Equal("a ring must be closed (first position = last position)", result.Rejections[6].Reason);
        Assert.Equal("duplicate id '架空電力:GOOD' (first at /areas/7)", result.Rejections[7].Reason);
        Assert.Equal("must be an object", result.Rejections[8].Reason);
        Assert.Equal("架空電力:GOOD", Assert.Single(result.Records).SourceKey);
    }

    [Fact]
    public void refuse_malformed_or_too_deep_json_and_a_missing_utility()
    {
        Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"utility\":\"x\",\"areas\":["u8.ToArray(), Fixtures.Context()));
        var deep = "{\"utility\":\"x\",\"areas\":[" + new string('[', 100) + new string(']', 100) + "]}";
        Assert.Throws<UnparseableDocumentException>(() => _parser.Parse(Encoding.UTF8.GetBytes(deep), Fixtures.Context()));
        var e = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"areas\":[]}"u8.ToArray(), Fixtures.Context()));
        Assert.Equal("/utility", e.At);
        var t = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"utility\":\"x\",\"observed_at\":\"2026-11-22 09:00\",\"areas\":[]}"u8.ToArray(), Fixtures.Context()));
        Assert.Equal("/observed_at", t.At);
    }

    [Fact]
    public void require_an_observation_time_somewhere()
    {
        var result = _parser.Parse("""{"utility":"x","areas":[{"id":"a","municipality_code":"172022","customers_out":1}]}"""u8.ToArray(), Fixtures.Context());
        Assert.Empty(result.Records);
        Assert.Equal(new Rejection("/areas/0/observed_at", "observed_at is required (on the document or the area)"), Assert.Single(result.Rejections));
    }

    [Theory]
    [InlineData(0, null, 0)]
    [InlineData(1, null, 1)]
    [InlineData(999, null, 1)]
    [InlineData(1000, null, 2)]
    [InlineData(10000, null, 3)]
    [InlineData(5, 100, 1)]
    [InlineData(10, 100, 2)]
    [InlineData(50, 100, 3)]
    [InlineData(1000, 1_000_000, 2)]
    public void grade_severity_by_count_or_share(int customersOut, int? served, int severity) =>
        Assert.Equal(severity, PowerOutage.Severity(customersOut, served));
}
