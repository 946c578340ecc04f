using DisasterHub.Adapters.Alerts;
using DisasterHub.Core;
using DisasterHub.Testing;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts.Tests;

public class lalert_evacuation_parser_should : ParserConformance<LAlertEvacuationParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("lalert-evacuation-fictional.xml");

    private ParseResult Parse() => Parser.Parse(SampleDocument, Fixtures.Context());

    [Fact]
    public void give_one_record_per_detail_and_area_with_the_2021_terms()
    {
        var result = Parse();
        Assert.Equal(["架空町一丁目", "架空町二丁目", "架空浜"], result.Records.Select(r => r.Name));
        var first = result.Records[0];
        Assert.Equal("fictional-doc-0001:172022:架空町一丁目", first.SourceKey);
        Assert.Equal("lalert-area:172022:架空町一丁目", first.EntityKey);
        Assert.Equal("172022", first.MunicipalityCode);
        Assert.Equal("避難指示", first.Status);
        Assert.Equal("避難勧告", (string?)first.Attrs["original_sort"]);
        Assert.Equal("発令", (string?)first.Attrs["issue_or_lift"]);
        Assert.Equal(2, first.Severity);
        Assert.Equal(60, (int)first.Attrs["households"]!);
        Assert.Equal(150, (int)first.Attrs["head_count"]!);
        Assert.Equal(100, (int)first.Attrs["detail_households"]!);
        Assert.Equal(120, (int)first.Attrs["total_households"]!);
        Assert.Equal("架空豪雨", (string?)first.Attrs["disaster_name"]);
        Assert.Equal("Test", (string?)first.Attrs["distribution_status"]);
        Assert.Equal("3", (string?)first.Attrs["pcxml_version"]);
        Assert.Equal("POLYGON ((136.96 37.04, 136.97 37.04, 136.97 37.05, 136.96 37.05, 136.96 37.04))", first.Geometry!.AsText());
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 50, 0, TimeSpan.Zero), first.ObservedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 58, 0, TimeSpan.Zero), first.ReportedAt);
    }

    [Fact]
    public void place_an_area_without_geometry_by_its_code_and_read_a_time_without_zone_as_jst()
    {
        var second = Parse().Records[1];
        Assert.Null(second.Geometry);
        Assert.True(second.LocatedByCode);
        Assert.Equal("172022", second.MunicipalityCode);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 50, 0, TimeSpan.Zero), second.ObservedAt);
    }

    [Fact]
    public void give_a_lift_severity_zero_and_a_circle_with_radius_a_polygon()
    {
        var third = Parse().Records[2];
        Assert.Equal("避難指示", third.Status);
        Assert.Equal("解除", (string?)third.Attrs["issue_or_lift"]);
        Assert.Equal(0, third.Severity);
        var polygon = Assert.IsType<Polygon>(third.Geometry);
        Assert.Equal(136.95, polygon.Centroid.X, 1e-4);
        Assert.Equal(37.06, polygon.Centroid.Y, 1e-4);
    }

    [Fact]
    public void reject_an_unknown_sort()
    {
        var j = Assert.Single(Parse().Rejections);
        Assert.Equal("/EDXLDistribution/contentObject/xmlContent/embeddedXMLContent/Report/EvacuationOrder/Detail[3]/Sort", j.At);
        Assert.Equal("'避難注意' is not one of 避難準備, 高齢者等避難, 避難勧告, 避難指示, 緊急安全確保, 警戒区域", j.Reason);
    }

    [Theory]
    [InlineData("避難準備", "高齢者等避難")]
    [InlineData("避難準備・高齢者等避難開始", "高齢者等避難")]
    [InlineData("避難勧告", "避難指示")]
    [InlineData("避難指示（緊急）", "避難指示")]
    [InlineData("緊急安全確保", "緊急安全確保")]
    [InlineData("警戒区域", "警戒区域")]
    public void map_sort_words(string sort, string status) => Assert.Equal(status, LAlertEvacuationParser.NormalizeSort(sort));

    [Fact]
    public void refuse_a_shelter_message()
    {
        Assert.False(Parser.Sniff(Fixtures.Read("lalert-shelter-fictional.xml"), null));
        var e = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(Fixtures.Read("lalert-shelter-fictional.xml"), Fixtures.Context()));
        Assert.Contains("lalert-shelter", e.Reason, StringComparison.Ordinal);
    }
}

public class lalert_shelter_parser_should : ParserConformance<LAlertShelterParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("lalert-shelter-fictional.xml");

    protected override bool AllowsRecordsWithoutGeometry => true;

    [Fact]
    public void give_one_record_per_information()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        Assert.Equal(2, result.Records.Count);
        var open = result.Records[0];
        Assert.Equal(Layers.Shelters, open.Layer);
        Assert.Equal("172022:架空第一小学校", open.SourceKey);
        Assert.Equal("172022:架空第一小学校", open.EntityKey);
        Assert.Equal("架空第一小学校", open.Name);
        Assert.Equal("石川県七尾市架空町1-1", open.Address);
        Assert.Equal("開設", open.Status);
        Assert.Equal("POINT (136.96136 37.04826)", open.Geometry!.AsText());
        Assert.Equal(120, (int)open.Attrs["evacuees"]!);
        Assert.Equal(20, (int)open.Attrs["evacuees_voluntary"]!);
        Assert.Equal(45, (int)open.Attrs["households"]!);
        Assert.Equal(300, (int)open.Attrs["capacity"]!);
        Assert.Equal("空き", (string?)open.Attrs["congestion"]);
        Assert.Equal("shelter", (string?)open.Attrs["kind"]);
        Assert.Equal("0767-00-0000", (string?)open.Attrs["phone"]);
        Assert.Equal("2026-11-21T23:00:00Z", (string?)open.Attrs["opened_or_closed_at"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 30, 0, TimeSpan.Zero), open.ObservedAt);
        Assert.Equal("4", (string?)open.Attrs["pcxml_version"]);

        var notOpen = result.Records[1];
        Assert.Equal("172022:架空公民館", notOpen.EntityKey);
        Assert.Equal("未開設", notOpen.Status);
        Assert.Equal("emergency_site", (string?)notOpen.Attrs["kind"]);
        Assert.Null(notOpen.Geometry);
        Assert.False(notOpen.LocatedByCode);

        var j = Assert.Single(result.Rejections);
        Assert.EndsWith("/Shelter/Informations/Information[3]/Sort", j.At, StringComparison.Ordinal);
        Assert.Equal("'満員' is not one of 未開設, 開設, 閉鎖, 不明, 常設", j.Reason);
    }

    [Fact]
    public void leave_shelters_without_coordinates_to_the_registry_lookup()
    {
        var kept = ParseThroughRegistry();
        Assert.Equal("172022:架空第一小学校", Assert.Single(kept.Records).SourceKey);
        Assert.Contains(kept.Rejections, j => j.Reason == "no usable location");
    }
}

public class lalert_damage_parser_should : ParserConformance<LAlertDamageParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("lalert-damage-fictional.xml");

    [Fact]
    public void map_damage_items_to_the_fdma_keys()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        var r = Assert.Single(result.Records);
        Assert.Equal(Layers.Damage, r.Layer);
        Assert.Equal("damage:172022", r.EntityKey);
        Assert.Equal("fictional-doc-0003", r.SourceKey);
        Assert.True(r.LocatedByCode);
        Assert.Equal(3, r.Severity);
        Assert.Equal(1, (long)r.Attrs["deaths"]!);
        Assert.Equal(0, (long)r.Attrs["missing"]!);
        Assert.Equal(2, (long)r.Attrs["injured_serious"]!);
        Assert.Equal(3, (long)r.Attrs["houses_destroyed_buildings"]!);
        Assert.Equal(3, (long)r.Attrs["houses_destroyed_households"]!);
        Assert.Equal(10, (long)r.Attrs["inundation_below_floor_buildings"]!);
        Assert.Equal(4, (long)r.Attrs["roads"]!);
        Assert.Equal("田_冠水", (string?)r.Attrs["other_items"]![0]!["type"]);
        Assert.Equal(1.5, (double)r.Attrs["other_items"]![0]!["value"]!);
        var j = Assert.Single(result.Rejections);
        Assert.Equal("橋りょう: '多数' is not a non-negative number", j.Reason);
    }
}
