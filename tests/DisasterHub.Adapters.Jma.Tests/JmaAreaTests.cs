using System.Text;
using DisasterHub.Adapters.Jma;
using DisasterHub.Core;
using DisasterHub.Testing;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Jma.Tests;

/// <summary>The embedded JMA area tables (geodata/jma-*.tsv): counts, validity, and lookups keyed by table.</summary>
public class jma_area_tables_should
{
    private static readonly JmaAreas Tables = JmaAreas.Embedded;

    [Fact]
    public void hold_every_area_of_each_table_with_a_valid_geometry()
    {
        Assert.Equal(188, Tables.Count(JmaAreaTable.Seismic));
        Assert.Equal(66, Tables.Count(JmaAreaTable.Tsunami));
        Assert.Equal(1894, Tables.Count(JmaAreaTable.City));
        foreach (var table in new[] { JmaAreaTable.Seismic, JmaAreaTable.Tsunami })
        foreach (var code in Enumerable.Range(100, 900).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            if (Tables.TryGet(table, code, out var a))
            {
                Assert.True(a.Geometry.IsValid, $"{table} {code} {a.Name}");
                Assert.Equal(4326, a.Geometry.SRID);
                Assert.True(ServiceExtent.Japan.Contains(a.Geometry.EnvelopeInternal), $"{table} {code}");
            }
    }

    [Fact]
    public void key_codes_by_table_never_by_name()
    {
        Assert.True(Tables.TryGet(JmaAreaTable.Seismic, "390", out var notoSeismic));
        Assert.True(Tables.TryGet(JmaAreaTable.Tsunami, "360", out var notoCoast));
        Assert.Equal("石川県能登", notoSeismic.Name);
        Assert.Equal("石川県能登", notoCoast.Name);
        Assert.IsAssignableFrom<IPolygonal>(notoSeismic.Geometry);
        Assert.IsAssignableFrom<ILineal>(notoCoast.Geometry);
        // 771 is 鹿児島県大隅 in 地震情報／細分区域 and 種子島・屋久島地方 in 津波予報区
        Assert.True(Tables.TryGet(JmaAreaTable.Seismic, "771", out var osumi));
        Assert.True(Tables.TryGet(JmaAreaTable.Tsunami, "771", out var tanegashima));
        Assert.Equal("鹿児島県大隅", osumi.Name);
        Assert.Equal("種子島・屋久島地方", tanegashima.Name);
        Assert.True(Tables.TryGet(JmaAreaTable.Tsunami, "390", out var aichi)); // the seismic 石川県能登's code, another coast
        Assert.Equal("愛知県外海", aichi.Name);
        // 7-digit 市町村等 codes keep their leading zero (0110100 札幌市中央区)
        Assert.True(Tables.TryGet(JmaAreaTable.City, "0110100", out var sapporo));
        Assert.Equal("札幌中央区", sapporo.Name);
        Assert.Equal(43.0384, sapporo.Geometry.Coordinate.Y, 4);
    }
}

public class jma_city_placement_should
{
    private static readonly MunicipalityDirectory Directory = MunicipalityDirectory.LoadEmbedded();

    [Fact]
    public void locate_whole_municipalities_by_code_and_parts_by_the_jma_centroid()
    {
        Assert.Equal(("172022", (JmaArea?)null), JmaXml.CityPlacement("1720200", Directory));
        var (code6, placed) = JmaXml.CityPlacement("4220202", Directory); // 佐世保市宇久島: an island part of 佐世保市
        Assert.Equal("422029", code6);
        Assert.Equal("佐世保市宇久島", placed!.Name);
        Assert.Equal("POINT (129.11143 33.2708)", placed.Geometry.AsText());
        Assert.Equal((null, null), JmaXml.CityPlacement("4644300", Directory)); // 蒲生町, merged into 姶良市 in 2010
    }

    [Fact]
    public void place_only_split_or_newer_codes_of_the_jma_city_table_by_centroid()
    {
        var rows = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "jma-city-centroids.tsv")).Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')[0]).ToList();
        Assert.Equal(1894, rows.Count);
        var byCentroid = rows.Where(c => JmaXml.CityPlacement(c, Directory).Placed is not null).ToList();
        // 浜松市's 2024 wards (中央区, 浜名区, 天竜区) are newer than the municipality directory: centroid, no claim;
        // 佐世保市 and 薩摩川内市 are split into mainland and island parts: centroid, with the municipality claim
        Assert.Equal(["2213800", "2213900", "2214000", "4220201", "4220202", "4621501", "4621502"], byCentroid);
        Assert.Null(JmaXml.CityPlacement("2213800", Directory).Code6);
    }

    [Fact]
    public void place_a_warning_for_part_of_a_municipality_at_its_centroid()
    {
        var parser = new JmaWarningXmlParser();
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Fixtures.Read("vpww-fictional.xml"))
            .Replace("<Area><Name>七尾市</Name><Code>1720200</Code></Area>", "<Area><Name>佐世保市宇久島</Name><Code>4220202</Code></Area>", StringComparison.Ordinal));
        var result = new FormatRegistry([parser]).Parse(parser, doc, Fixtures.Context("vpww-fictional.xml"));
        var uku = result.Records.First(r => r.SourceKey.StartsWith("4220202:", StringComparison.Ordinal));
        Assert.Equal("422029", uku.MunicipalityCode);
        Assert.False(uku.LocatedByCode);
        Assert.Equal("POINT (129.11143 33.2708)", uku.Geometry!.AsText());
        Assert.Equal("area_centroid", (string?)uku.Attrs["location_precision"]);
        Assert.Equal("気象・地震・火山情報／市町村等", (string?)uku.Attrs["area_table"]);
    }
}

public class jma_vtse_parser_should : ParserConformance<JmaTsunamiXmlParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("vtse-fictional.xml");

    private ParseResult Parse(byte[]? doc = null) => Parser.Parse(doc ?? SampleDocument, Fixtures.Context());

    [Fact]
    public void give_each_forecast_area_its_coast_grade_first_wave_and_height()
    {
        var result = Parse();
        Assert.Equal(["tsunami:360", "tsunami:361", "tsunami:350"], result.Records.Select(r => r.SourceKey));
        var noto = result.Records[0];
        Assert.Equal("jma-tsunami:360", noto.EntityKey);
        Assert.Equal("石川県能登", noto.Name);
        Assert.Equal(Layers.Warnings, noto.Layer);
        Assert.Equal("大津波警報", noto.Status);
        Assert.Equal(3, noto.Severity);
        Assert.Equal("大津波警報", (string?)noto.Attrs["grade"]);
        Assert.Equal("ただちに津波来襲と予測", (string?)noto.Attrs["first_wave_condition"]);
        Assert.Equal(5.0, (double)noto.Attrs["max_height_m"]!);
        Assert.Equal("５ｍ", (string?)noto.Attrs["max_height_description"]);
        Assert.Equal("20261122090100", (string?)noto.Attrs["event_id"]);
        Assert.Null(noto.MunicipalityCode);
        Assert.False(noto.LocatedByCode);
        Assert.Equal("area_table", (string?)noto.Attrs["located_by"]);
        Assert.Equal("津波予報区", (string?)noto.Attrs["area_table"]);
        Assert.Equal("coast", (string?)noto.Attrs["location_precision"]);
        Assert.IsAssignableFrom<ILineal>(noto.Geometry);
        // the 能登 coast, not the seismic 390 polygon: on the peninsula (lon 136.6–137.4, lat 36.7–37.6)
        var e = noto.Geometry!.EnvelopeInternal;
        Assert.True(e.MinX >= 136.6 && e.MaxX <= 137.4 && e.MinY >= 36.7 && e.MaxY <= 37.6, e.ToString());

        var kaga = result.Records[1];
        Assert.Equal(("津波警報", 2), ((string?)kaga.Attrs["grade"], kaga.Severity));
        Assert.Equal("2026-11-22T00:30:00Z", (string?)kaga.Attrs["first_wave_arrival"]);
        Assert.Equal(3.0, (double)kaga.Attrs["max_height_m"]!);
        var toyama = result.Records[2];
        Assert.Equal(("津波注意報", 1), ((string?)toyama.Attrs["grade"], toyama.Severity));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 5, 0, TimeSpan.Zero), toyama.ReportedAt);
        Assert.False(noto.Geometry.Relate(kaga.Geometry, "1********")); // neighbouring coasts touch at most at an end

        Assert.Equal(2, result.Rejections.Count);
        Assert.Contains(result.Rejections, j => j.At.EndsWith("/Forecast/Item[4]", StringComparison.Ordinal) && j.Reason.Contains("津波予報区 999", StringComparison.Ordinal));
        Assert.Contains(result.Rejections, j => j.At.EndsWith("/Station", StringComparison.Ordinal) && j.Reason.Contains("潮位観測点", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("53", "大津波警報：発表", "大津波警報", 3)]
    [InlineData("51", "津波警報", "津波警報", 2)]
    [InlineData("62", "津波注意報", "津波注意報", 1)]
    [InlineData("71", "津波予報（若干の海面変動）", "津波予報", 0)]
    [InlineData("50", "警報解除", "解除", 0)]
    [InlineData("60", "津波注意報解除", "解除", 0)]
    [InlineData("00", "津波なし", "なし", 0)]
    [InlineData(null, "大津波警報", "大津波警報", 3)]
    public void grade_the_kinds(string? code, string name, string grade, int severity) =>
        Assert.Equal((grade, (int?)severity), JmaTsunamiXmlParser.Grade(code, name));

    [Fact]
    public void turn_a_cancellation_into_one_retraction_of_the_event()
    {
        var doc = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(SampleDocument).Replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>", StringComparison.Ordinal));
        var r = Assert.Single(Parse(doc).Records);
        Assert.Equal("20261122090100", r.CancelsEvent);
        Assert.Equal("取消", r.Status);
        Assert.Equal(0, r.Severity);
        Assert.Null(r.Geometry);
        // offline nothing is stored to retract: rejected with that reason
        var offline = new FormatRegistry([Parser]).Parse(Parser, doc, Fixtures.Context());
        Assert.Equal("取消 of event 20261122090100: no stored record of that event to retract", Assert.Single(offline.Rejections).Reason);
    }
}
