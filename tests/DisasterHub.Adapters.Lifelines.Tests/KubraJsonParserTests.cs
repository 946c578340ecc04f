using DisasterHub.Core;
using NetTopologySuite.Geometries;
using static DisasterHub.Adapters.Lifelines.Tests.TestSupport;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class kubra_json_parser_conformance : ParserConformance<KubraJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("kubra-thematic-fictional.json");
    protected override string? SampleFileName => "thematic_areas.json";
}

public class kubra_json_parser_should
{
    private readonly KubraJsonParser _parser = new();

    [Fact]
    public void read_leaf_thematic_areas_located_by_code_or_geometry()
    {
        var result = Parse(_parser, "kubra-thematic-fictional.json");
        Assert.Empty(result.Rejections);
        Assert.Equal(["172022", "17205", "district-42", "district-43"], result.Records.Select(r => r.SourceKey));
        Assert.Equal(["/file_data/areas/0", "/file_data/areas/1/areas/0", "/file_data/areas/1/areas/1", "/file_data/areas/1/areas/2"], result.Records.Select(r => r.Location));
        Assert.Equal(["power-area:172022", "power-area:172057", "kubra-area:district-42", "kubra-area:district-43"], result.Records.Select(r => r.EntityKey));
        Assert.Equal([true, true, false, false], result.Records.Select(r => r.LocatedByCode));
        Assert.Equal([2, 2, 3, 0], result.Records.Select(r => r.Severity ?? -1));
        Assert.All(result.Records, r => Assert.Equal(Utc(2026, 11, 22, 0, 5), r.ObservedAt));

        var nanao = result.Records[0];
        Assert.Equal("172022", nanao.MunicipalityCode);
        Assert.Equal("七尾市（架空）", nanao.Name);
        Assert.Equal(
            """{"kubra_key":"172022","customers_out":2400,"customers_served":27000,"outages":12,"percent_customers_out":8.9,"restoration_eta":"2026-11-22T11:00:00Z"}""",
            TestSupport.Json(nanao.Attrs));
        Assert.Equal("ETR-NULL", (string?)result.Records[1].Attrs["etr_status"]);
        Assert.Equal("POINT (136.9 37.05)", Wkt(result.Records[2]));
        Assert.Equal("POLYGON ((136.95 37.2, 136.97 37.2, 136.97 37.22, 136.95 37.22, 136.95 37.2))", Wkt(result.Records[3]));
        Assert.Equal("復旧済", result.Records[3].Status);
    }

    [Fact]
    public void read_cluster_files_as_incident_points()
    {
        var result = Parse(_parser, "kubra-cluster-fictional.json");
        Assert.Empty(result.Rejections);
        var first = result.Records[0];
        Assert.Equal("incident:INC-0001", first.SourceKey);
        Assert.Equal("kubra-incident:INC-0001", first.EntityKey);
        Assert.Equal("POINT (137.25 37.43)", Wkt(first));
        Assert.Equal(Utc(2026, 11, 22, 0, 0), first.ObservedAt); // no date_generated: time of receipt
        Assert.Equal(
            """{"kubra_id":"INC-0001","customers_out":35,"outages":1,"etr_status":"ETR-NULL","cause":"Tree contact (fictional)","crew_status":"Dispatched","start_time":"2026-11-21T21:10:00Z"}""",
            TestSupport.Json(first.Attrs));
        var cluster = result.Records[1];
        Assert.Equal("incident:c-0002", cluster.SourceKey);
        Assert.Equal("LINESTRING (136.93 37.12, 136.94 37.13)", Wkt(cluster));
        Assert.True((bool)cluster.Attrs["cluster"]!);
        Assert.Equal("2026-11-22T06:30:00Z", (string?)cluster.Attrs["restoration_eta"]);
    }

    [Fact]
    public void read_the_summary_file_as_known_but_without_records()
    {
        var result = Parse(_parser, "kubra-summary-fictional.json");
        Assert.Empty(result.Records);
        Assert.Empty(result.Rejections);
        Assert.True(_parser.Sniff(Fixtures.Read("kubra-summary-fictional.json"), "data.json"));
    }

    [Fact]
    public void reject_bad_areas_and_leave_unlocatable_ones_to_the_registry()
    {
        var raw = Parse(_parser, "kubra-bad-fictional.json");
        Assert.Equal(["/file_data/areas/1/cust_a", "/file_data/areas/2/geom/p/0", "/file_data/areas/3/etr", "/file_data/areas/4/cust_a", "/file_data/areas/6"],
            raw.Rejections.Select(r => r.At));
        Assert.Equal("cust_a.val must be a non-negative integer, got -3", raw.Rejections[0].Reason);
        Assert.Equal("'_p~iF~ps|' is not a valid Google encoded polyline", raw.Rejections[1].Reason);
        Assert.Equal("customers affected 500 exceed customers served 100", raw.Rejections[3].Reason);
        Assert.Equal("duplicate id 'd-4' (first at /file_data/areas/5)", raw.Rejections[4].Reason);
        Assert.Equal(["zip-92101", "d-4"], raw.Records.Select(r => r.SourceKey));

        var kept = ParseThroughRegistry(_parser, "kubra-bad-fictional.json");
        Assert.Equal("d-4", Assert.Single(kept.Records).SourceKey);
        Assert.Contains(new Rejection("/file_data/areas/0", "no usable location"), kept.Rejections);
    }

    [Fact]
    public void decode_google_polylines()
    {
        Assert.True(Polyline.TryDecode("_p~iF~ps|U_ulLnnqC_mqNvxq`@", out var cs));
        Assert.Equal(3, cs.Count);
        Assert.Equal(-120.2, cs[0].X, 1e-9);
        Assert.Equal(38.5, cs[0].Y, 1e-9);
        Assert.Equal(-126.453, cs[2].X, 1e-9);
        Assert.Equal(43.252, cs[2].Y, 1e-9);
        Assert.Equal("_p~iF~ps|U_ulLnnqC_mqNvxq`@", Polyline.Encode([new Coordinate(-120.2, 38.5), new Coordinate(-120.95, 40.7), new Coordinate(-126.453, 43.252)]));
        Assert.False(Polyline.TryDecode("_p~iF", out _));
        Assert.False(Polyline.TryDecode("", out _));
    }

    [Fact]
    public void refuse_documents_without_file_data()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"areas\":[]}"u8.ToArray(), Fixtures.Context()));
        Assert.Equal("/file_data", e.At);
    }
}
