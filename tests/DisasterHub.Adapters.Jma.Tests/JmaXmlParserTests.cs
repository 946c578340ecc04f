using System.Text;
using DisasterHub.Adapters.Jma;
using DisasterHub.Core;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Jma.Tests;

public class jma_vpww_parser_should : ParserConformance<JmaWarningXmlParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("vpww-fictional.xml");
    protected override string? SampleFileName => "vpww-fictional.xml";

    private ParseResult Parse(byte[]? doc = null) => Parser.Parse(doc ?? SampleDocument, Fixtures.Context("vpww-fictional.xml"));

    [Fact]
    public void give_one_record_per_municipal_area_and_kind()
    {
        var result = Parse();
        Assert.Equal(["1720200:03", "1720200:14", "1720400:33", "1720100:none", "1720500:10"], result.Records.Select(r => r.SourceKey));
        var heavyRain = result.Records[0];
        Assert.Equal("jma-area:1720200:03", heavyRain.EntityKey);
        Assert.Equal("172022", heavyRain.MunicipalityCode);
        Assert.Equal("七尾市", heavyRain.Name);
        Assert.True(heavyRain.LocatedByCode);
        Assert.Null(heavyRain.Geometry);
        Assert.Equal("発表", heavyRain.Status);
        Assert.Equal(2, heavyRain.Severity);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), heavyRain.ReportedAt);
        Assert.Equal(TimeSpan.Zero, heavyRain.ReportedAt!.Value.Offset);
        Assert.Equal("土砂災害", (string?)heavyRain.Attrs["condition"]);
        Assert.Equal("土砂災害警戒", (string?)heavyRain.Attrs["attention"]![0]);
        Assert.Equal([2, 1, 3, 0, 0], result.Records.Select(r => r.Severity ?? -1));
        Assert.Equal(["発表", "継続", "発表", "発表警報・注意報はなし", "解除"], result.Records.Select(r => r.Status));
    }

    [Fact]
    public void mark_drills_without_changing_the_classification()
    {
        var r = Parse().Records[0];
        Assert.Equal(Classifications.Public, r.Classification);
        Assert.Equal("訓練", (string?)r.Attrs["control_status"]);
        Assert.True((bool)r.Attrs["exercise"]!);
    }

    [Fact]
    public void reject_items_with_unusable_areas_or_no_kind()
    {
        var result = Parse();
        Assert.Equal(2, result.Rejections.Count);
        Assert.Equal("/Report/Body/Warning[2]/Item[5]", result.Rejections[0].At);
        Assert.Contains("99999", result.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Equal("/Report/Body/Warning[2]/Item[6]", result.Rejections[1].At);
        Assert.Contains("without Kind", result.Rejections[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void turn_a_cancelled_telegram_into_cancellations()
    {
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleDocument).Replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>", StringComparison.Ordinal));
        var result = Parse(doc);
        Assert.All(result.Records, r =>
        {
            Assert.Equal("取消", r.Status);
            Assert.Equal(0, r.Severity);
        });
    }

    [Fact]
    public void refuse_other_jma_telegrams()
    {
        var ex = Assert.Throws<UnparseableDocumentException>(() => Parse(Fixtures.Read("vxse-fictional.xml")));
        Assert.Contains("InfoKind", ex.At, StringComparison.Ordinal);
        Assert.False(Parser.Sniff(Fixtures.Read("vxse-fictional.xml"), "vxse-fictional.xml"));
    }

    [Theory]
    [InlineData("大雨特別警報", "33", "発表", 3)]
    [InlineData("レベル４大雨危険警報", "43", "発表", 3)]
    [InlineData("レベル３大雨警報", "03", "継続", 2)]
    [InlineData("レベル２大雨注意報", "10", "発表", 1)]
    [InlineData(null, "05", "発表", 2)]
    [InlineData(null, "21", "発表", 1)]
    [InlineData("洪水警報", "04", "解除", 0)]
    public void map_kinds_to_severity(string? name, string code, string status, int expected) =>
        Assert.Equal(expected, JmaWarningXmlParser.Severity(name, code, status, landslide: false));
}

public class jma_vxko_parser_should : ParserConformance<JmaFloodForecastXmlParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("vxko-fictional.xml");

    [Fact]
    public void read_the_station_level_against_its_criteria()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        var station = Assert.Single(result.Records);
        Assert.Equal("80000000010000001", station.SourceKey);
        Assert.Equal("jma-river-station:80000000010000001", station.EntityKey);
        Assert.Equal("架空橋", station.Name);
        Assert.Equal("172022", station.MunicipalityCode); // 七尾市, from the station's place and the 石川県 forecast area
        Assert.True(station.LocatedByCode);
        Assert.Equal("氾濫危険情報", station.Status);
        Assert.Equal(3, station.Severity); // 5.25 m ≥ 氾濫危険水位 5.20 m
        Assert.Equal(5.25, (double)station.Attrs["water_level_m"]!);
        Assert.Equal("上昇", (string?)station.Attrs["quality"]);
        Assert.Equal("架空川", (string?)station.Attrs["river"]);
        Assert.Equal("40", (string?)station.Attrs["kind_code"]);
        Assert.Equal(4.8, (double)station.Attrs["criteria"]!["level3_evacuation_m"]!);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), station.ObservedAt);
    }

    [Fact]
    public void reject_a_station_it_cannot_place()
    {
        var rejection = Assert.Single(Parser.Parse(SampleDocument, Fixtures.Context()).Rejections);
        Assert.Equal("/Report/Body/MeteorologicalInfos/TimeSeriesInfo/Item[2]/Station", rejection.At);
        Assert.Contains("幻橋", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3.9, 0)]
    [InlineData(4.0, 1)]
    [InlineData(4.9, 2)]
    [InlineData(5.3, 3)]
    public void grade_levels_by_criteria(double level, int expected)
    {
        var criteria = new System.Text.Json.Nodes.JsonObject { ["level2_caution_m"] = 4.0, ["level3_evacuation_m"] = 4.8, ["level4_danger_m"] = 5.2 };
        Assert.Equal(expected, JmaFloodForecastXmlParser.Severity(level, criteria, null, null, null));
    }

    [Theory]
    [InlineData("氾濫注意情報", "20", 1)]
    [InlineData("氾濫警戒情報", "30", 2)]
    [InlineData("氾濫危険情報", "41", 3)]
    [InlineData("氾濫発生情報", "50", 3)]
    [InlineData("氾濫注意情報解除", "21", 0)]
    public void fall_back_to_the_forecast_kind(string name, string code, int expected) =>
        Assert.Equal(expected, JmaFloodForecastXmlParser.Severity(null, [], null, name, code));
}

public class jma_vxse_parser_should : ParserConformance<JmaEarthquakeXmlParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("vxse-fictional.xml");

    private ParseResult Parse(byte[]? doc = null) => Parser.Parse(doc ?? SampleDocument, Fixtures.Context());

    [Fact]
    public void read_the_hypocentre_in_degrees_and_minutes()
    {
        var quake = Parse().Records[0];
        Assert.Equal("quake:20261122090100", quake.SourceKey);
        Assert.Equal("jma-quake:20261122090100", quake.EntityKey);
        Assert.Equal("能登半島沖", quake.Name);
        Assert.Equal("震源", quake.Status);
        Assert.Equal(2, quake.Severity); // max intensity 5+
        Assert.Equal(137.2, quake.Geometry!.Coordinate.X, 1e-9);
        Assert.Equal(37.5, quake.Geometry.Coordinate.Y, 1e-9);
        Assert.Equal(10.0, (double)quake.Attrs["depth_km"]!);
        Assert.Equal(5.8, (double)quake.Attrs["magnitude"]!);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 1, 0, TimeSpan.Zero), quake.ObservedAt);
    }

    [Fact]
    public void give_area_polygons_city_codes_and_station_points()
    {
        var result = Parse();
        Assert.Equal(
            ["quake:20261122090100", "20261122090100:area:390", "20261122090100:city:1720400", "20261122090100:station:1720420", "20261122090100:station:1720421", "20261122090100:area:380"],
            result.Records.Select(r => r.SourceKey));
        var noto = result.Records[1];
        Assert.Equal("jma-seis-area:390", noto.EntityKey);
        Assert.Equal("石川県能登", noto.Name);
        Assert.Null(noto.MunicipalityCode); // an area of the seismic table, not a municipality claim
        Assert.False(noto.LocatedByCode);
        Assert.Equal("170003", (string?)noto.Attrs["prefecture_code"]);
        Assert.Equal("地震情報／細分区域", (string?)noto.Attrs["area_table"]);
        Assert.Equal("area", (string?)noto.Attrs["location_precision"]);
        Assert.IsAssignableFrom<NetTopologySuite.Geometries.IPolygonal>(noto.Geometry);
        Assert.Equal("震度5+", noto.Status);
        var city = result.Records[2];
        Assert.Equal("jma-seis-city:1720400", city.EntityKey);
        Assert.Equal("172049", city.MunicipalityCode);
        Assert.True(city.LocatedByCode);
        Assert.Null(city.Geometry);
        Assert.Equal("震度5+", city.Status);
        Assert.Equal(2, city.Severity);
        var station = result.Records[4];
        Assert.Equal("jma-seis-station:1720421", station.EntityKey);
        Assert.Equal("172049", station.MunicipalityCode);
        Assert.Equal("震度5-", station.Status);
        // a point at 輪島市's representative point (inside the municipality), inside the 能登 polygon
        var point = Assert.IsType<NetTopologySuite.Geometries.Point>(station.Geometry);
        Assert.True(MunicipalityDirectory.LoadEmbedded().TryGetPoint("172049", out var lon, out var lat));
        Assert.Equal((lon, lat), (point.X, point.Y));
        Assert.True(noto.Geometry!.Contains(point));
        Assert.False(station.LocatedByCode);
        Assert.Equal("municipality", (string?)station.Attrs["location_precision"]);
        var toyama = result.Records[5];
        Assert.Equal("富山県東部", toyama.Name);
        Assert.Equal("160008", (string?)toyama.Attrs["prefecture_code"]);
        Assert.Equal(1, toyama.Severity);
        Assert.False(toyama.Geometry!.Intersects(noto.Geometry));
        var rejection = Assert.Single(result.Rejections);
        Assert.Contains("9990000", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void place_an_area_missing_from_the_table_by_its_prefecture()
    {
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleDocument).Replace("<Code>380</Code>", "<Code>389</Code>", StringComparison.Ordinal));
        var area = Parse(doc).Records.Single(r => r.SourceKey.EndsWith(":area:389", StringComparison.Ordinal));
        Assert.Equal("160008", area.MunicipalityCode);
        Assert.True(area.LocatedByCode);
        Assert.Null(area.Geometry);
    }

    [Fact]
    public void turn_a_cancelled_telegram_into_one_cancellation()
    {
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleDocument).Replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>", StringComparison.Ordinal));
        var r = Assert.Single(Parse(doc).Records);
        Assert.Equal("quake:20261122090100", r.SourceKey);
        Assert.Equal("20261122090100", r.CancelsEvent);
        Assert.Equal("取消", r.Status);
        Assert.Equal(0, r.Severity);
    }

    [Fact]
    public void reject_an_unreadable_hypocentre()
    {
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleDocument).Replace("+3730.0+13712.0-10000/", "不明", StringComparison.Ordinal));
        var result = Parse(doc);
        Assert.DoesNotContain(result.Records, r => r.SourceKey.StartsWith("quake:", StringComparison.Ordinal));
        Assert.Contains(result.Rejections, j => j.At.EndsWith("/Coordinate", StringComparison.Ordinal) && j.Reason.Contains("ISO 6709", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("+30.9+131.1-50000/", 30.9, 131.1, 50.0)]
    [InlineData("+3743.7+14141.9-55000/", 37.728333333333333, 141.69833333333333, 55.0)]
    [InlineData("-23.1+171.5/", -23.1, 171.5, null)]
    [InlineData("+33.3+131.5+0/", 33.3, 131.5, 0.0)]
    public void read_iso_6709(string text, double lat, double lon, double? depth)
    {
        Assert.True(JmaXml.TryParseIso6709(text, out var la, out var lo, out var d));
        Assert.Equal(lat, la, 1e-9);
        Assert.Equal(lon, lo, 1e-9);
        Assert.Equal(depth, d);
    }

    [Theory]
    [InlineData("1", 0)]
    [InlineData("2", 0)]
    [InlineData("3", 1)]
    [InlineData("4", 1)]
    [InlineData("5-", 2)]
    [InlineData("5+", 2)]
    [InlineData("6-", 3)]
    [InlineData("6+", 3)]
    [InlineData("7", 3)]
    public void grade_intensities(string intensity, int expected) => Assert.Equal(expected, JmaXml.IntensitySeverity(intensity));
}
