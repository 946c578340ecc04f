using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.Tests.TestSupport;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class fdma_damage_json_parser_conformance : ParserConformance<FdmaDamageJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("fdma-damage-fictional.json");
    protected override string? SampleFileName => "fdma-damage-fictional.json";
}

public class fdma_damage_csv_parser_conformance : ParserConformance<FdmaDamageCsvParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("fdma-damage-full-fictional.csv");
    protected override string? SampleFileName => "fdma-damage-full-fictional.csv";
}

public class fdma_damage_json_parser_should
{
    private readonly FdmaDamageJsonParser _parser = new();

    [Fact]
    public void map_every_item_of_a_municipality()
    {
        var result = Parse(_parser, "fdma-damage-fictional.json");
        Assert.Empty(result.Rejections);
        var r = result.Records[0];
        Assert.Equal(Layers.Damage, r.Layer);
        Assert.Equal("172022", r.SourceKey);
        Assert.Equal("damage:172022", r.EntityKey);
        Assert.Equal("172022", r.MunicipalityCode);
        Assert.Equal("石川県七尾市", r.Name);
        Assert.True(r.LocatedByCode);
        Assert.Null(r.Geometry);
        Assert.Equal("報告", r.Status);
        Assert.Equal(2, r.Severity);
        Assert.Equal(Classifications.Public, r.Classification);
        Assert.Equal(Utc(2026, 11, 22, 0, 30), r.ObservedAt);
        Assert.Equal(Utc(2026, 11, 22, 1, 0), r.ReportedAt);
        Assert.Equal("/municipalities/0", r.Location);
        Assert.Equal(
            """
            {"report_no":3,"disaster_name":"令和8年架空豪雨災害","reporter":"架空県危機管理課","deaths":0,"missing":0,"injured_serious":1,"injured_minor":3,
            "houses_destroyed_buildings":2,"houses_destroyed_households":2,"houses_destroyed_persons":5,"houses_half_destroyed_buildings":4,"houses_half_destroyed_households":3,"houses_half_destroyed_persons":8,
            "houses_partially_damaged_buildings":15,"inundation_above_floor_buildings":0,"inundation_above_floor_households":0,"inundation_above_floor_persons":0,
            "inundation_below_floor_buildings":7,"inundation_below_floor_households":7,"inundation_below_floor_persons":16,"non_residential_public":1,"non_residential_other":3,
            "fires_buildings":1,"fires_hazardous_materials":0,"fires_other":0,"affected_households":9,"affected_persons":21,"roads":4,"bridges":1,"landslides":2,
            "water_supply_households":1200,"electricity_households":2400,"headquarters_type":"災害対策本部","headquarters_established_at":"2026-11-21T13:00:00Z","notes":"架空の備考：避難所3か所開設"}
            """.ReplaceLineEndings(""),
            TestSupport.Json(r.Attrs));
    }

    [Fact]
    public void grade_severity_from_human_and_housing_damage()
    {
        var records = Parse(_parser, "fdma-damage-fictional.json").Records;
        Assert.Equal(["172022", "172049", "173843", "174611"], records.Select(r => r.MunicipalityCode));
        Assert.Equal([2, 3, 1, 0], records.Select(r => r.Severity ?? -1));
        Assert.Equal("輪島市（架空）", records[1].Name);
        Assert.Equal(Utc(2026, 11, 22, 1, 0), records[1].ObservedAt); // falls back to reported_at
        Assert.Equal(3L, (long)records[2].Attrs["inundation_below_floor_buildings"]!); // a bare number is 棟
        Assert.Equal(40L, (long)records[3].Attrs["firefighters_dispatched"]!); // not damage
    }

    [Fact]
    public void place_every_municipality_through_the_registry()
    {
        var result = ParseThroughRegistry(_parser, "fdma-damage-fictional.json");
        Assert.Empty(result.Rejections);
        Assert.Equal(4, result.Records.Count);
        Assert.Equal("MultiPolygon", result.Records[1].Geometry!.GeometryType); // the municipality's boundary
        Assert.True(result.Records[1].Geometry!.Covers(new NetTopologySuite.Geometries.Point(136.86190, 37.34466)));
    }

    [Fact]
    public void reject_bad_municipalities_with_json_pointers()
    {
        var result = Parse(_parser, "fdma-damage-bad-fictional.json");
        Assert.Equal(
            ["/municipalities/0/deaths", "/municipalities/1/municipality_code", "/municipalities/2/observed_at", "/municipalities/3/houses_destroyed/棟", "/municipalities/4/fires/建物", "/municipalities/6"],
            result.Rejections.Select(r => r.At));
        Assert.Equal("must be a non-negative integer, got -1", result.Rejections[0].Reason);
        Assert.Equal("municipality code 172023: check digit should be 2", result.Rejections[1].Reason);
        Assert.Contains("with a zone offset", result.Rejections[2].Reason, StringComparison.Ordinal);
        Assert.Equal("duplicate id '174611' (first at /municipalities/5)", result.Rejections[5].Reason);
        Assert.Equal("174611", Assert.Single(result.Records).SourceKey);
    }

    [Fact]
    public void refuse_a_document_without_municipalities_or_with_a_bad_report_time()
    {
        Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"report_no\":1}"u8.ToArray(), Fixtures.Context()));
        var e = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("{\"reported_at\":\"yesterday\",\"municipalities\":[]}"u8.ToArray(), Fixtures.Context()));
        Assert.Equal("/reported_at", e.At);
    }
}

public class fdma_damage_csv_parser_should
{
    private readonly FdmaDamageCsvParser _parser = new();

    [Fact]
    public void read_the_full_header_set()
    {
        var result = Parse(_parser, "fdma-damage-full-fictional.csv");
        Assert.Equal("utf-8-bom", result.Encoding);
        Assert.Empty(result.Rejections);
        Assert.Equal(["172022", "172049", "172057", "174611"], result.Records.Select(r => r.SourceKey));
        Assert.Equal(["line 2", "line 4", "line 5", "line 6"], result.Records.Select(r => r.Location));
        Assert.Equal([1, 3, 2, 0], result.Records.Select(r => r.Severity ?? -1));
        var r = result.Records[0];
        Assert.Equal("七尾市", r.Name);
        Assert.Equal("damage:172022", r.EntityKey);
        Assert.True(r.LocatedByCode);
        Assert.Equal("報告", r.Status);
        Assert.Equal(Utc(2026, 11, 22, 6, 0), r.ObservedAt); // 2026/11/22 15:00 JST
        Assert.Equal(Utc(2026, 11, 22, 6, 0), r.ReportedAt);
        Assert.Equal(
            """
            {"report_no":5,"disaster_name":"令和8年架空豪雨災害","reporter":"架空県危機管理課","deaths":0,"missing":0,"injured_serious":0,"injured_minor":2,"houses_destroyed_buildings":0,
            "houses_half_destroyed_buildings":3,"houses_half_destroyed_households":3,"houses_half_destroyed_persons":7,"inundation_below_floor_buildings":1024,"roads":5,"water_supply_households":1500,
            "fire_corps_dispatched":120,"headquarters_type":"災害対策本部","headquarters_established_at":"2026-11-21T13:00:00Z","notes":"架空の備考, カンマと\n改行あり"}
            """.ReplaceLineEndings(""),
            TestSupport.Json(r.Attrs));
        Assert.Equal(Utc(2026, 11, 22, 6, 10), result.Records[1].ObservedAt); // zoned ISO accepted too
    }

    [Fact]
    public void accept_a_header_subset_in_shift_jis()
    {
        var result = Parse(_parser, "fdma-damage-subset-sjis-fictional.csv");
        Assert.Equal("shift_jis", result.Encoding);
        Assert.Empty(result.Rejections);
        var nanao = result.Records[0];
        Assert.Equal("""{"deaths":0,"missing":0,"injured_serious":1,"injured_minor":0,"houses_destroyed_buildings":2,"inundation_above_floor_buildings":0,"affected_households":4}""", TestSupport.Json(nanao.Attrs));
        Assert.Equal(2, nanao.Severity);
        var wajima = result.Records[1];
        Assert.Equal("172049", wajima.MunicipalityCode); // full-width digits
        Assert.Equal(3, wajima.Severity);
        Assert.Equal(Utc(2026, 11, 22, 0, 0), wajima.ObservedAt); // no 報告日時: time of receipt
        Assert.Null(wajima.ReportedAt);
    }

    [Fact]
    public void reject_bad_rows_by_line()
    {
        var result = Parse(_parser, "fdma-damage-bad-fictional.csv");
        Assert.Equal(
        [
            new Rejection("line 2", "municipality code 172023: check digit should be 2"),
            new Rejection("line 3", "死者 '-1' must be a non-negative integer"),
            new Rejection("line 4", "報告日時 '令和8年11月22日' is not a date and time (ISO 8601 with zone, or yyyy/MM/dd HH:mm in JST)"),
            new Rejection("line 5", "全壊_棟 '多数' must be a non-negative integer"),
            new Rejection("line 6", "本部設置日時 '昨夜' is not a date and time"),
            new Rejection("line 8", "duplicate id '174637' (first at line 7)"),
        ], result.Rejections);
        Assert.Equal("174637", Assert.Single(result.Records).SourceKey);
    }

    [Fact]
    public void refuse_a_csv_without_a_code_column()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("市区町村名,死者\n七尾市,0\n"u8.ToArray(), Fixtures.Context()));
        Assert.Equal("line 1", e.At);
    }
}
