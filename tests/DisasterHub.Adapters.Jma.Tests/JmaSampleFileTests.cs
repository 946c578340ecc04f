using DisasterHub.Adapters.Jma;
using DisasterHub.Core;
using DisasterHub.Testing;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Jma.Tests;

/// <summary>The real JMA samples in ../shared/samples (skipped when absent), through the registry with the embedded directory.</summary>
public class jma_samples_should
{
    private static readonly FormatRegistry Registry = new(JmaFormats.All);

    private static ParseContext Context(string file) => new()
    {
        ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
        FileName = Path.GetFileName(file),
        Companions = new Dictionary<string, ReadOnlyMemory<byte>> { ["amedastable.json"] = SampleFiles.Read("jma-bosai-json/amedastable.json") },
    };

    private static ParseResult Parse(string relative, string expectedFormat)
    {
        var bytes = SampleFiles.Read(relative);
        var parser = Registry.Detect(bytes, Path.GetFileName(relative));
        Assert.NotNull(parser);
        Assert.Equal(expectedFormat, parser.Format);
        return Registry.Parse(parser, bytes, Context(relative));
    }

    [SampleFact]
    public void detect_every_sample_and_give_these_counts()
    {
        var expected = new Dictionary<string, (string Format, int Accepted, int Rejected)>
        {
            ["15_08_05_130412_VPWW53.xml"] = ("jma-vpww", 53, 0),
            ["15_14_01_170216_VPWW53.xml"] = ("jma-vpww", 65, 0),
            ["15_15_01_220314_VPWW54.xml"] = ("jma-vpww", 26, 0),
            ["15_16_03_241226_VPWW55.xml"] = ("jma-vpww", 11, 0),
            ["16_01_01_220728_VXKOii.xml"] = ("jma-vxko", 0, 3), // template telegram: ○○ places, one code for every station
            ["16_02_02_220728_VXKOii.xml"] = ("jma-vxko", 1, 0),
            ["16_05_01_210630_VXKOii.xml"] = ("jma-vxko", 0, 1), // headline only
            ["17_02_03_190529_VXWW50.xml"] = ("jma-vpww", 19, 0),
            ["32-35_01_01_100806_VXSE51.xml"] = ("jma-vxse", 37, 0),
            ["32-35_01_02_240613_VXSE52.xml"] = ("jma-vxse", 1, 0),
            ["32-35_01_03_100514_VXSE53.xml"] = ("jma-vxse", 0, 1), // Fiji: outside the Japan extent
            ["32-35_04_01_100831_VXSE51.xml"] = ("jma-vxse", 5, 0),
            ["32-35_04_04_240613_VXSE53.xml"] = ("jma-vxse", 213, 10), // + 19 area polygons; 蒲生町 (merged 2010), いちき串木野市 JMA code 4699900 in neither table
            ["32-35_06_06_100915_VXSE53.xml"] = ("jma-vxse", 0, 1), // 取消: located from the store by the hub
            ["32-35_10_01_220510_VXSE51.xml"] = ("jma-vxse", 0, 1), // 取消
            ["38-39_02_04_250206_VTSE41.xml"] = ("jma-vtse", 3, 0), // three 津波予報区 on their coasts
            ["amedas-map-20210224150000.json"] = ("jma-amedas", 1295, 0),
            ["amedastable.json"] = ("jma-amedas-table", 1295, 0),
            ["quake-list.json"] = ("jma-quake-list", 216, 2),
        };
        var files = SampleFiles.In("jma-xml").Concat(SampleFiles.In("jma-bosai-json")).ToList();
        Assert.Equal(expected.Count, files.Count);
        foreach (var f in files)
        {
            var (format, accepted, rejected) = expected[Path.GetFileName(f)];
            var result = Parse(f, format);
            Assert.True(accepted == result.Records.Count && rejected == result.Rejections.Count,
                $"{f}: {result.Records.Count} accepted, {result.Rejections.Count} rejected: {string.Join("; ", result.Rejections.Take(3))}");
        }
    }

    [SampleFact]
    public void read_the_tokyo_warnings_exactly()
    {
        var result = Parse("jma-xml/15_14_01_170216_VPWW53.xml", "jma-vpww");
        var shinjuku = result.Records.Single(r => r.SourceKey == "1310400:33");
        Assert.Equal("jma-area:1310400:33", shinjuku.EntityKey);
        Assert.Equal("新宿区", shinjuku.Name);
        Assert.Equal("131041", shinjuku.MunicipalityCode);
        Assert.Equal("発表", shinjuku.Status);
        Assert.Equal(3, shinjuku.Severity);
        Assert.Equal("大雨特別警報", (string?)shinjuku.Attrs["kind_name"]);
        Assert.Equal("土砂災害", (string?)shinjuku.Attrs["condition"]);
        Assert.Equal(new DateTimeOffset(2017, 1, 26, 8, 20, 0, TimeSpan.Zero), shinjuku.ReportedAt);
        Assert.Equal("boundary", (string?)shinjuku.Attrs["location_precision"]); // 新宿区's boundary (embedded N03)
        var arakawa = result.Records.Where(r => r.SourceKey.StartsWith("1311800:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["1311800:03", "1311800:04"], arakawa.Select(r => r.SourceKey));
        Assert.All(arakawa, r => Assert.Equal(2, r.Severity));
        var chiyoda = result.Records.Single(r => r.SourceKey == "1310100:none");
        Assert.Equal("発表警報・注意報はなし", chiyoda.Status);
        Assert.Equal(0, chiyoda.Severity);
        Assert.Empty(result.Rejections);
        var aogashima = result.Records.Single(r => r.MunicipalityCode == "134023"); // island village: boundary from the s0010 edition
        Assert.Equal("青ヶ島村", aogashima.Name);
        Assert.Equal("MultiPolygon", aogashima.Geometry!.GeometryType);
        Assert.True(aogashima.Geometry.Covers(new NetTopologySuite.Geometries.Point(139.76745, 32.45831)), aogashima.Geometry.AsText());
    }

    [SampleFact]
    public void read_the_new_per_hazard_telegram()
    {
        var result = Parse("jma-xml/15_16_03_241226_VPWW55.xml", "jma-vpww");
        var wakkanai = result.Records.Single(r => r.SourceKey == "0121400:43");
        Assert.Equal("012149", wakkanai.MunicipalityCode);
        Assert.Equal(3, wakkanai.Severity);
        Assert.Equal("警戒レベル４相当", (string?)wakkanai.Attrs["significancy"]);
        var replaced = result.Records.Single(r => r.SourceKey == "0121400:03");
        Assert.Equal("切替", replaced.Status);
        Assert.Equal(0, replaced.Severity);
        Assert.Equal(1, result.Records.Single(r => r.SourceKey == "0151200:10").Severity);
    }

    [SampleFact]
    public void read_the_landslide_alert_per_municipality()
    {
        var result = Parse("jma-xml/17_02_03_190529_VXWW50.xml", "jma-vpww");
        var matsumae = result.Records.Single(r => r.SourceKey == "0133100:landslide");
        Assert.Equal("松前町", matsumae.Name);
        Assert.Equal("013315", matsumae.MunicipalityCode);
        Assert.Equal("解除", matsumae.Status);
        Assert.Equal(0, matsumae.Severity);
    }

    [SampleFact]
    public void read_a_river_station_level()
    {
        var station = Assert.Single(Parse("jma-xml/16_02_02_220728_VXKOii.xml", "jma-vxko").Records);
        Assert.Equal("89090400010000021", station.SourceKey);
        Assert.Equal("潮見橋", station.Name);
        Assert.Equal("412066", station.MunicipalityCode); // 武雄市
        Assert.Equal("氾濫警戒情報", station.Status);
        Assert.Equal(2.53, (double)station.Attrs["water_level_m"]!);
        Assert.Equal("六角川", (string?)station.Attrs["river"]);
        Assert.Equal(3.1, (double)station.Attrs["criteria"]!["level4_danger_m"]!);
        Assert.Equal(1, station.Severity); // 2.53 m ≥ 氾濫注意水位 2.50 m
        Assert.Equal(new DateTimeOffset(2021, 8, 13, 6, 0, 0, TimeSpan.Zero), station.ObservedAt);
    }

    [SampleFact]
    public void read_the_hypocentre_and_intensities_of_the_osumi_quake()
    {
        var result = Parse("jma-xml/32-35_04_04_240613_VXSE53.xml", "jma-vxse");
        var quake = result.Records.Single(r => r.SourceKey == "quake:20100125161517");
        Assert.Equal("大隅半島東方沖", quake.Name);
        Assert.Equal(131.1, quake.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(30.9, quake.Geometry.Coordinate.Y, 1e-6);
        Assert.Equal(5.3, (double)quake.Attrs["magnitude"]!);
        Assert.Equal(50.0, (double)quake.Attrs["depth_km"]!);
        Assert.Equal("震源", quake.Status);
        Assert.Equal(1, quake.Severity); // 最大震度4
        Assert.Equal(new DateTimeOffset(2010, 1, 25, 7, 15, 0, TimeSpan.Zero), quake.ObservedAt);

        var kanoya = result.Records.Single(r => r.SourceKey == "20100125161517:city:4620300");
        Assert.Equal("jma-seis-city:4620300", kanoya.EntityKey);
        Assert.Equal("鹿屋市", kanoya.Name);
        Assert.Equal("462039", kanoya.MunicipalityCode);
        Assert.Equal("震度4", kanoya.Status);
        Assert.Equal(1, kanoya.Severity);
        Assert.Equal("boundary", (string?)kanoya.Attrs["location_precision"]); // 鹿屋市's boundary (embedded N03)
        var station = result.Records.Single(r => r.SourceKey == "20100125161517:station:4620333");
        Assert.Equal("鹿屋市串良町岡崎＊", station.Name);
        Assert.Equal("462039", station.MunicipalityCode);
        // no coordinates in the telegram: a point at 鹿屋市 (its representative point, not its boundary when imported)
        Assert.Equal("POINT (130.86661 31.42396)", station.Geometry!.AsText());
        Assert.False(station.LocatedByCode);
        Assert.Equal("municipality", (string?)station.Attrs["location_precision"]);
        var osumi = result.Records.Single(r => r.SourceKey == "20100125161517:area:771");
        Assert.Equal("鹿児島県大隅", osumi.Name);
        Assert.Equal("震度4", osumi.Status);
        Assert.True(osumi.Geometry!.Contains(station.Geometry));
    }

    [SampleFact]
    public void read_intensity_flash_areas_by_prefecture()
    {
        var result = Parse("jma-xml/32-35_01_01_100806_VXSE51.xml", "jma-vxse");
        var chubu = result.Records.Single(r => r.SourceKey == "20090811050711:area:442");
        Assert.Equal("静岡県中部", chubu.Name);
        Assert.Null(chubu.MunicipalityCode);
        Assert.Equal("220001", (string?)chubu.Attrs["prefecture_code"]);
        Assert.Equal("震度6-", chubu.Status);
        Assert.Equal(3, chubu.Severity);
        Assert.Equal("area", (string?)chubu.Attrs["location_precision"]);
        Assert.IsAssignableFrom<NetTopologySuite.Geometries.IPolygonal>(chubu.Geometry);
        Assert.All(result.Records, r => Assert.Equal("area", (string?)r.Attrs["location_precision"]));
        Assert.Equal(result.Records.Count, result.Records.Select(r => r.Geometry!.AsText()).Distinct().Count());
    }

    // 鹿児島県 (with the Satsunan islands down to 与論島) and 宮崎県, as lon/lat boxes
    private static readonly Envelope Kagoshima = new(128.3, 131.4, 26.9, 32.4);
    private static readonly Envelope Miyazaki = new(130.6, 131.95, 31.3, 32.9);

    [SampleFact]
    public void give_each_intensity_area_of_the_osumi_flash_its_own_polygon()
    {
        var result = Parse("jma-xml/32-35_04_01_100831_VXSE51.xml", "jma-vxse");
        Assert.Empty(result.Rejections);
        var expected = new (string Code, string Name, string Intensity, int Severity, Envelope Pref, string PrefCode)[]
        {
            ("771", "鹿児島県大隅", "4", 1, Kagoshima, "460001"),
            ("776", "鹿児島県種子島", "4", 1, Kagoshima, "460001"),
            ("770", "鹿児島県薩摩", "3", 1, Kagoshima, "460001"),
            ("762", "宮崎県南部平野部", "3", 1, Miyazaki, "450006"),
            ("763", "宮崎県南部山沿い", "3", 1, Miyazaki, "450006"),
        };
        Assert.Equal(expected.Select(e => "20100125161221:area:" + e.Code), result.Records.Select(r => r.SourceKey));
        for (var i = 0; i < expected.Length; i++)
        {
            var (code, name, intensity, severity, pref, prefCode) = expected[i];
            var r = result.Records[i];
            Assert.Equal("jma-seis-area:" + code, r.EntityKey);
            Assert.Equal(name, r.Name);
            Assert.Equal(code, (string?)r.Attrs["code"]);
            Assert.Equal(intensity, (string?)r.Attrs["intensity"]);
            Assert.Equal("震度" + intensity, r.Status);
            Assert.Equal(severity, r.Severity);
            Assert.Null(r.MunicipalityCode);
            Assert.Equal(prefCode, (string?)r.Attrs["prefecture_code"]);
            Assert.Equal("地震情報／細分区域", (string?)r.Attrs["area_table"]);
            Assert.IsAssignableFrom<NetTopologySuite.Geometries.IPolygonal>(r.Geometry);
            Assert.True(pref.Contains(r.Geometry!.EnvelopeInternal), $"{name}: {r.Geometry.EnvelopeInternal} outside {pref}");
            // its own polygon: none of the other areas' interiors overlap it
            foreach (var other in result.Records.Where(o => o != r))
                Assert.False(r.Geometry.Relate(other.Geometry, "T********"), $"{name} overlaps {other.Name}");
        }
        // 種子島 (with 屋久島) lies south of the 大隅 peninsula
        var tanegashima = result.Records[1].Geometry!.EnvelopeInternal;
        Assert.True(tanegashima.MaxY < 31.0, tanegashima.ToString()); // with 屋久島 and 口永良部島
        Assert.True(result.Records[0].Geometry!.EnvelopeInternal.MinY > 30.9);
    }

    [SampleFact]
    public void place_the_lifted_tsunami_advisories_on_the_kagoshima_coast()
    {
        var result = Parse("jma-xml/38-39_02_04_250206_VTSE41.xml", "jma-vtse");
        Assert.Empty(result.Rejections);
        var expected = new[] { ("771", "種子島・屋久島地方"), ("772", "奄美群島・トカラ列島"), ("773", "鹿児島県西部") };
        Assert.Equal(expected.Select(e => "tsunami:" + e.Item1), result.Records.Select(r => r.SourceKey));
        foreach (var (r, (code, name)) in result.Records.Zip(expected))
        {
            Assert.Equal("jma-tsunami:" + code, r.EntityKey);
            Assert.Equal(name, r.Name);
            Assert.Equal(Layers.Warnings, r.Layer);
            Assert.Equal("津波注意報解除", r.Status);
            Assert.Equal(0, r.Severity);
            Assert.Equal("解除", (string?)r.Attrs["grade"]);
            Assert.True((bool)r.Attrs["lifted"]!);
            Assert.Equal("60", (string?)r.Attrs["kind_code"]);
            Assert.Equal("津波注意報", (string?)r.Attrs["last_kind_name"]);
            Assert.Equal(code, (string?)r.Attrs["area_code"]);
            Assert.Equal("20151114055157 20151114061750", (string?)r.Attrs["event_id"]);
            Assert.Equal("津波予報区", (string?)r.Attrs["area_table"]);
            Assert.Null(r.MunicipalityCode);
            Assert.IsAssignableFrom<NetTopologySuite.Geometries.ILineal>(r.Geometry);
            Assert.True(Kagoshima.Contains(r.Geometry!.EnvelopeInternal), $"{name}: {r.Geometry.EnvelopeInternal}");
            Assert.Equal(new DateTimeOffset(2015, 11, 13, 22, 20, 0, TimeSpan.Zero), r.ReportedAt);
        }
        Assert.Equal(3, result.Records.Select(r => r.Geometry!.AsText()).Distinct().Count());
        // 771 here is the tsunami table's 種子島・屋久島地方 (south of lat 31), not the seismic 鹿児島県大隅
        Assert.True(result.Records[0].Geometry!.EnvelopeInternal.MaxY < 31.0);
        Assert.True(result.Records[1].Geometry!.EnvelopeInternal.MaxY < 30.1); // 奄美・トカラ (口之島 at 30.0°N)
    }

    [SampleFact]
    public void mark_the_drill_hypocentre()
    {
        var quake = Assert.Single(Parse("jma-xml/32-35_01_02_240613_VXSE52.xml", "jma-vxse").Records);
        Assert.Equal("POINT (138.5 34.8)", quake.Geometry!.AsText());
        Assert.True((bool)quake.Attrs["exercise"]!);
        Assert.Equal("訓練", (string?)quake.Attrs["control_status"]);
        Assert.Null(quake.Severity);
    }

    [SampleFact]
    public void read_the_quake_list_per_earthquake()
    {
        var result = Parse("jma-bosai-json/quake-list.json", "jma-quake-list");
        var oita = result.Records[0];
        Assert.Equal("quake:20210226184229", oita.SourceKey);
        Assert.Equal("大分県中部", oita.Name);
        Assert.Equal("POINT (131.5 33.3)", oita.Geometry!.AsText());
        Assert.Equal(1.6, (double)oita.Attrs["magnitude"]!);
        Assert.Equal(0, oita.Severity);

        // 2021-02-13 福島県沖: 11 reports; the latest (震源要素更新, M7.3, degrees+minutes) keeps the earlier 最大震度6強.
        var fukushima = result.Records.Single(r => r.SourceKey == "quake:20210213230800");
        Assert.Equal(141 + 41.9 / 60, fukushima.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(37 + 43.7 / 60, fukushima.Geometry.Coordinate.Y, 1e-6);
        Assert.Equal(7.3, (double)fukushima.Attrs["magnitude"]!);
        Assert.Equal(55.0, (double)fukushima.Attrs["depth_km"]!);
        Assert.Equal("6+", (string?)fukushima.Attrs["max_intensity"]);
        Assert.Equal(3, fukushima.Severity);
        Assert.Equal(10, fukushima.Attrs["earlier_reports"]!.AsArray().Count);
        Assert.Equal(new DateTimeOffset(2021, 2, 13, 16, 10, 0, TimeSpan.Zero), fukushima.ReportedAt);
    }

    [SampleFact]
    public void read_an_amedas_station_with_rainfall()
    {
        var result = Parse("jma-bosai-json/amedas-map-20210224150000.json", "jma-amedas");
        var koide = result.Records.Single(r => r.SourceKey == "54616");
        Assert.Equal("小出", koide.Name);
        Assert.Equal(138 + 57.8 / 60, koide.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(37 + 13.6 / 60, koide.Geometry.Coordinate.Y, 1e-6);
        Assert.Equal(2.5, (double)koide.Attrs["precipitation_1h"]!);
        Assert.Equal(0.5, (double)koide.Attrs["precipitation_10m"]!);
        Assert.Equal(20.0, (double)koide.Attrs["precipitation_24h"]!);
        Assert.Equal(225.0, (double)koide.Attrs["snow"]!);
        Assert.Equal(0, koide.Severity);
        Assert.Equal(new DateTimeOffset(2021, 2, 24, 6, 0, 0, TimeSpan.Zero), koide.ObservedAt);
    }
}
