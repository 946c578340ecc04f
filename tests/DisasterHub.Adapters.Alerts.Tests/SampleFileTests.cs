using DisasterHub.Adapters.Alerts;
using DisasterHub.Core;
using DisasterHub.Testing;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts.Tests;

/// <summary>Golden values from the real samples in ../shared/samples (cap/, lalert-commons/).</summary>
public class alert_samples_should
{
    private static readonly FormatRegistry Registry = new(AlertFormats.All);

    private static ParseContext Context(string file, ServiceExtent? extent = null, bool xsd = false) => new()
    {
        ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
        FileName = Path.GetFileName(file),
        Extent = extent ?? ServiceExtent.Japan,
        Companions = xsd
            ? new Dictionary<string, ReadOnlyMemory<byte>> { ["cap12.xsd"] = SampleFiles.Read("cap/cap12.xsd"), ["cap11.xsd"] = SampleFiles.Read("cap/cap11.xsd") }
            : new Dictionary<string, ReadOnlyMemory<byte>>(),
    };

    private static (IFeedParser Parser, ParseResult Result) Read(string file, ServiceExtent? extent = null, bool xsd = false)
    {
        var bytes = SampleFiles.Read(file);
        var parser = Registry.Detect(bytes, Path.GetFileName(file)) ?? throw new InvalidOperationException($"{file} not recognised");
        return (parser, Registry.Parse(parser, bytes, Context(file, extent, xsd)));
    }

    [SampleFact]
    public void recognise_every_sample_as_a_known_alert_format()
    {
        var expected = new Dictionary<string, string>
        {
            ["cap/43b080713727.cap"] = "cap", ["cap/australia.cap"] = "cap", ["cap/canada.cap"] = "cap",
            ["cap/earthquake-iso8859-1.cap"] = "cap", ["cap/earthquake.cap"] = "cap", ["cap/invalid.cap"] = "cap",
            ["cap/no_optional_fields.cap"] = "cap", ["cap/noaa_errors.cap"] = "cap", ["cap/wcatwc-warning.cap"] = "cap",
            ["cap/weather.cap"] = "cap", ["cap/bushfire_valid.edxlde"] = "edxl-de",
            ["cap/weather.atom"] = "cap-atom", ["cap/weather_index.atom"] = "cap-atom",
            ["lalert-commons/lgdis-template-commons_damage_information.xml"] = "lalert-damage",
            ["lalert-commons/lgdis-template-commons_disaster_response_headquarters.xml"] = "lalert-evacuation",
            ["lalert-commons/lgdis-template-commons_evacuation.xml"] = "lalert-evacuation",
            ["lalert-commons/lgdis-template-commons_shelter.xml"] = "lalert-shelter",
            ["lalert-commons/publiccommons-py-sample1.xml"] = "lalert-evacuation",
            ["lalert-commons/publiccommons-py-sample3.xml"] = "lalert-evacuation",
            ["lalert-commons/publiccommons-py-soap1.xml"] = "lalert-evacuation",
        };
        foreach (var (file, format) in expected)
        {
            var bytes = SampleFiles.Read(file);
            Assert.Equal(format, Registry.Detect(bytes, Path.GetFileName(file))?.Format);
            Registry.Parse(Registry.Find(format)!, bytes, Context(file, ServiceExtent.World)); // no UnparseableDocumentException
        }
        Assert.All(SampleFiles.In("cap").Where(f => f.EndsWith(".xsd", StringComparison.Ordinal)),
            f => Assert.Null(Registry.Detect(SampleFiles.Read(f), Path.GetFileName(f))));
    }

    [SampleFact]
    public void read_the_12_areas_of_the_soap_evacuation_order()
    {
        var (parser, result) = Read("lalert-commons/publiccommons-py-soap1.xml");
        Assert.Equal("lalert-evacuation", parser.Format);
        Assert.Empty(result.Rejections);
        Assert.Equal(12, result.Records.Count);
        Assert.Equal(
            ["一ツ橋一丁目", "一ツ橋二丁目", "猿楽町一丁目", "猿楽町二丁目", "外神田一丁目", "外神田二丁目", "外神田六丁目", "丸の内一丁目", "岩本町二丁目", "岩本町三丁目", "九段南三丁目", "九段南四丁目"],
            result.Records.Select(r => r.Name));
        Assert.All(result.Records, r =>
        {
            Assert.Equal("131016", r.MunicipalityCode);
            Assert.Equal("高齢者等避難", r.Status);
            Assert.Equal("避難準備", (string?)r.Attrs["original_sort"]);
            Assert.Equal("発令", (string?)r.Attrs["issue_or_lift"]);
            Assert.Equal(1, r.Severity);
        });
        var first = result.Records[0];
        Assert.Equal("74ee219a-970d-417f-a9ab-a9ff1d3fe316:131010001001", first.SourceKey);
        Assert.Equal("lalert-area:131010001001", first.EntityKey);
        Assert.Equal("131010001001", (string?)first.Attrs["oaza_code"]);
        var centre = Assert.IsType<Point>(first.Geometry);
        Assert.Equal(139.756685, centre.X, 1e-6);
        Assert.Equal(35.691634, centre.Y, 1e-6);
        Assert.Equal(new DateTimeOffset(2013, 4, 10, 9, 55, 0, TimeSpan.Zero), first.ObservedAt);
        Assert.Equal(new DateTimeOffset(2013, 4, 10, 9, 54, 0, TimeSpan.Zero), first.ReportedAt);
        Assert.Equal("Test", (string?)first.Attrs["distribution_status"]);
        Assert.Equal("4", (string?)first.Attrs["pcxml_version"]);
        Assert.Equal("試験災害", (string?)first.Attrs["disaster_name"]);
        var last = result.Records[^1];
        Assert.Equal("POINT (139.738057 35.690945)", last.Geometry!.AsText());
    }

    [SampleFact]
    public void read_templates_and_head_only_messages_as_known_formats_with_no_records()
    {
        foreach (var file in new[]
                 {
                     "lalert-commons/lgdis-template-commons_damage_information.xml", "lalert-commons/lgdis-template-commons_disaster_response_headquarters.xml",
                     "lalert-commons/lgdis-template-commons_evacuation.xml", "lalert-commons/lgdis-template-commons_shelter.xml",
                     "lalert-commons/publiccommons-py-sample1.xml", "lalert-commons/publiccommons-py-sample3.xml",
                 })
        {
            var (_, result) = Read(file);
            Assert.Empty(result.Records);
            Assert.Empty(result.Rejections);
        }
    }

    [SampleFact]
    public void reject_invalid_cap_with_schema_reasons()
    {
        var (_, invalid) = Read("cap/invalid.cap", ServiceExtent.World);
        Assert.Empty(invalid.Records);
        Assert.Equal(new Rejection("/alert", "/alert/scope: required element is missing"), Assert.Single(invalid.Rejections));

        var (_, noaa) = Read("cap/noaa_errors.cap", ServiceExtent.World);
        Assert.Empty(noaa.Records);
        var j = Assert.Single(noaa.Rejections);
        Assert.Equal("/alert", j.At);
        Assert.StartsWith("/alert/info[1]/urgency: '' is not one of Immediate, Expected, Future, Past, Unknown; /alert/info[1]/severity: '' is not one of", j.Reason, StringComparison.Ordinal);
        Assert.Contains("/alert/info[1]/certainty: ''", j.Reason, StringComparison.Ordinal);
    }

    [SampleFact]
    public void reject_invalid_cap_against_the_supplied_xsd_with_the_line()
    {
        var (_, invalid) = Read("cap/invalid.cap", ServiceExtent.World, xsd: true);
        var j = Assert.Single(invalid.Rejections);
        Assert.Equal("/alert", j.At);
        Assert.StartsWith("/alert/info (line 9): ", j.Reason, StringComparison.Ordinal);
        Assert.Contains("scope", j.Reason, StringComparison.Ordinal);

        var (_, noaa) = Read("cap/noaa_errors.cap", ServiceExtent.World, xsd: true);
        Assert.StartsWith("/alert/info/urgency (line 17): ", Assert.Single(noaa.Rejections).Reason, StringComparison.Ordinal);

        // The valid samples stay valid against the XSDs.
        foreach (var file in new[] { "cap/australia.cap", "cap/canada.cap", "cap/earthquake.cap", "cap/earthquake-iso8859-1.cap", "cap/bushfire_valid.edxlde" })
            Assert.DoesNotContain(Read(file, ServiceExtent.World, xsd: true).Result.Rejections, r => r.Reason.Contains("line", StringComparison.Ordinal));
    }

    [SampleFact]
    public void reject_foreign_alerts_outside_the_japan_extent()
    {
        var (_, result) = Read("cap/australia.cap");
        Assert.Empty(result.Records);
        Assert.Equal(2, result.Rejections.Count);
        Assert.All(result.Rejections, j => Assert.Equal("outside service extent", j.Reason));
        Assert.Equal(["/alert/info[1]", "/alert/info[2]"], result.Rejections.Select(j => j.At));
    }

    [SampleFact]
    public void turn_a_circle_into_a_32_gon_and_a_zero_radius_into_a_point()
    {
        var (_, australia) = Read("cap/australia.cap", ServiceExtent.World);
        var polygon = Assert.IsType<Polygon>(australia.Records[0].Geometry);
        Assert.Equal(33, polygon.Shell.NumPoints);
        Assert.Contains(polygon.Shell.Coordinates, c => Math.Abs(c.X - 147.0598) < 1e-6 && Math.Abs(c.Y - -35.1639699) < 1e-6);
        Assert.Equal(0, australia.Records[0].Severity);
        Assert.Equal("Yerong Creek Structure Fire", australia.Records[0].Name);

        var (_, quake) = Read("cap/earthquake.cap", ServiceExtent.World);
        Assert.Equal("POINT (-173.274 -16.053)", Assert.Single(quake.Records).Geometry!.AsText());
        Assert.Null(quake.Records[0].Severity);
    }

    [SampleFact]
    public void read_a_cap_polygon_in_lat_lon_order_and_follow_update_references()
    {
        var (_, canada) = Read("cap/canada.cap", ServiceExtent.World);
        Assert.Equal(2, canada.Records.Count);
        var en = canada.Records[0];
        Assert.Equal("2.49.0.1.124.6bddbc91.2012#1", en.SourceKey);
        Assert.Equal("cap:cap@ec.gc.ca:2.49.0.1.124.a3f342a4.2012", en.EntityKey);
        Assert.Equal("update", en.Status);
        Assert.Equal(0, en.Severity);
        Assert.Equal(2, en.Attrs["references"]!.AsArray().Count);
        Assert.Equal("Windsor - Leamington - Essex County; Chatham-Kent - Rondeau Park", en.Address);
        // The two area polygons ("42.3481,-82.9314 …") are merged; x = lon, y = lat.
        var env = en.Geometry!.EnvelopeInternal;
        Assert.Equal(-83.1224, env.MinX, 1e-9);
        Assert.Equal(-81.5498, env.MaxX, 1e-9);
        Assert.Equal(41.7134, env.MinY, 1e-9);
        Assert.Equal(42.651, env.MaxY, 1e-9);
        Assert.Contains(en.Geometry.Coordinates, c => c.X == -82.9314 && c.Y == 42.3481);
        Assert.Equal("veille d'orages violents", canada.Records[1].Name);
    }

    [SampleFact]
    public void read_the_bushfire_envelope_alerts()
    {
        var (parser, world) = Read("cap/bushfire_valid.edxlde", ServiceExtent.World);
        Assert.Equal("edxl-de", parser.Format);
        Assert.Equal(7, world.Records.Count);
        Assert.Empty(world.Rejections);
        Assert.Equal("tag:www.rfs.nsw.gov.au2011-10-18:40500#1", world.Records[0].SourceKey);
        Assert.Equal("POINT (151.9576 -30.546)", world.Records[0].Geometry!.AsText());
        Assert.Equal("/EDXLDistribution/contentObject[7]/xmlContent/embeddedXMLContent/cap:alert/info[1]".Replace("cap:", "", StringComparison.Ordinal), world.Records[6].Location);

        var (_, japan) = Read("cap/bushfire_valid.edxlde");
        Assert.Equal(7, japan.Rejections.Count(j => j.Reason == "outside service extent"));
    }

    [SampleFact]
    public void read_the_iso_8859_1_alert()
    {
        var (_, result) = Read("cap/earthquake-iso8859-1.cap", ServiceExtent.World);
        Assert.Equal("iso-8859-1", result.Encoding);
        var r = Assert.Single(result.Records);
        Assert.Equal("EQ 4.6 Usulután, Usulután, El Salvador - PRELIMINARY REPORT", r.Name);
        Assert.Equal(new DateTimeOffset(2012, 10, 14, 22, 40, 56, TimeSpan.Zero), r.ObservedAt);
    }

    [SampleFact]
    public void read_the_atom_feeds()
    {
        var embedded = SampleFiles.Read("cap/weather.atom");
        var (_, feed) = Read("cap/weather.atom", ServiceExtent.World);
        // The embedded NWS alert is placed only by FIPS6/UGC codes, which the hub cannot resolve.
        Assert.Equal(new Rejection("/feed/entry/content/alert/info[1]", "no usable location"), Assert.Single(feed.Rejections));
        Assert.Empty(CapAtomFeed.AlertLinks(embedded));

        var index = SampleFiles.Read("cap/weather_index.atom");
        var raw = new CapAtomParser().Parse(index, Context("weather_index.atom", ServiceExtent.World));
        Assert.Equal(2, raw.Records.Count);
        var first = raw.Records[0];
        Assert.Equal("http://www.weather.gov/alerts-beta/wwacapget.php?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT", first.SourceKey);
        Assert.Equal("Middlesex; New Haven; New London; Southern Middlesex; Southern New London; Washington", first.Address);
        Assert.Null(first.Severity);
        Assert.Null(first.Geometry);
        Assert.Equal("FIPS6", (string?)first.Attrs["geocodes"]![0]!["name"]);
        Assert.Equal(
            [new Uri("http://www.weather.gov/alerts-beta/wwacapget.php?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT"),
             new Uri("http://www.weather.gov/alerts-beta/wwacapget.php?x=DC20100830203300LWXAirQualityAlertLWX20100901040000DC")],
            CapAtomFeed.AlertLinks(index));
    }
}
