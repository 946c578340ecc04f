using System.Text;
using DisasterHub.Adapters.Alerts;
using DisasterHub.Core;
using DisasterHub.Testing;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts.Tests;

public class cap_parser_should : ParserConformance<CapParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("cap-japan-fictional.cap");

    private ParseResult Parse(byte[] bytes, ParseContext? context = null) => Parser.Parse(bytes, context ?? Fixtures.Context());

    private static byte[] FixtureWith(string from, string to) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Fixtures.Read("cap-japan-fictional.cap")).Replace(from, to, StringComparison.Ordinal));

    [Fact]
    public void map_a_polygon_in_lat_lon_order_and_the_info_fields()
    {
        var result = Parse(SampleDocument);
        Assert.Empty(result.Rejections);
        var first = result.Records[0];
        Assert.Equal(Layers.EvacuationOrders, first.Layer);
        Assert.Equal("JP-FICTIONAL-0001#1", first.SourceKey);
        Assert.Equal("cap:alerts@example.invalid:JP-FICTIONAL-0001", first.EntityKey);
        Assert.Equal("架空川流域に避難指示", first.Name);
        Assert.Equal("架空町一丁目", first.Address);
        Assert.Equal("POLYGON ((139.75 35.69, 139.76 35.69, 139.76 35.7, 139.75 35.7, 139.75 35.69))", first.Geometry!.AsText());
        Assert.Equal("alert", first.Status);
        Assert.Equal(2, first.Severity);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 5, 0, TimeSpan.Zero), first.ObservedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), first.ReportedAt);
        Assert.Equal(Classifications.Public, first.Classification);
        Assert.Equal("Immediate", (string?)first.Attrs["urgency"]);
        Assert.Equal("Severe", (string?)first.Attrs["cap_severity"]);
        Assert.Equal("1.2", (string?)first.Attrs["cap_version"]);
        Assert.Equal("2026-11-23T00:00:00Z", (string?)first.Attrs["expires"]);
        Assert.Equal(["Evacuate"], first.Attrs["response_types"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("架空パラメータ", (string?)first.Attrs["parameters"]![0]!["name"]);
    }

    [Fact]
    public void place_a_jis_x0402_geocode_by_its_municipality()
    {
        var second = Parse(SampleDocument).Records[1];
        Assert.Equal("JP-FICTIONAL-0001#2", second.SourceKey);
        Assert.Null(second.Geometry);
        Assert.True(second.LocatedByCode);
        Assert.Equal("172022", second.MunicipalityCode);
        Assert.Equal(1, second.Severity);
        Assert.Equal("高齢者等避難", second.Name);

        var kept = ParseThroughRegistry();
        Assert.Equal(2, kept.Records.Count);
        Assert.IsType<MultiPolygon>(kept.Records[1].Geometry); // 七尾市's boundary (embedded N03)
        Assert.Equal("boundary", (string?)kept.Records[1].Attrs["location_precision"]);
    }

    [Fact]
    public void turn_a_cancel_into_a_cancelled_record_of_the_first_referenced_alert()
    {
        var result = Parse(Fixtures.Read("cap-cancel-fictional.cap"));
        var r = Assert.Single(result.Records);
        Assert.Equal("cancelled", r.Status);
        Assert.Equal(0, r.Severity);
        Assert.Equal("cap:alerts@example.invalid:JP-FICTIONAL-0001", r.EntityKey);
        Assert.Equal("JP-FICTIONAL-0002#1", r.SourceKey);
        Assert.Equal(Classifications.Responders, r.Classification);
        Assert.Equal(
            ["alerts@example.invalid,JP-FICTIONAL-0001,2026-11-22T09:00:00+09:00", "alerts@example.invalid,JP-FICTIONAL-0000,2026-11-22T08:00:00+09:00"],
            r.Attrs["references"]!.AsArray().Select(n => (string)n!));
        // circle "35.695,139.755 2.5": a 32-gon whose first vertex lies 2.5 km due north of the centre.
        var polygon = Assert.IsType<Polygon>(r.Geometry);
        Assert.Equal(AreaGeometry.CircleSegments + 1, polygon.Shell.NumPoints);
        Assert.Contains(polygon.Shell.Coordinates, c => Math.Abs(c.X - 139.755) < 1e-9 && Math.Abs(c.Y - (35.695 + 2.5 / 6371.0088 * 180 / Math.PI)) < 1e-6);
        Assert.True(polygon.IsValid);
        Assert.Equal(139.755, polygon.Centroid.X, 1e-4);
        Assert.Equal(35.695, polygon.Centroid.Y, 1e-4);
    }

    [Fact]
    public void reject_a_value_outside_the_enumeration_with_a_schema_style_reason()
    {
        var result = Parse(FixtureWith("<urgency>Immediate</urgency>", "<urgency>Soon</urgency>"));
        Assert.Empty(result.Records);
        var j = Assert.Single(result.Rejections);
        Assert.Equal("/alert", j.At);
        Assert.Equal("/alert/info[1]/urgency: 'Soon' is not one of Immediate, Expected, Future, Past, Unknown", j.Reason);
    }

    [Fact]
    public void reject_a_sent_time_without_zone_and_missing_required_elements()
    {
        var result = Parse(FixtureWith("<sent>2026-11-22T09:00:00+09:00</sent>", "<sent>2026-11-22T09:00:00</sent>").AsSpan().ToArray());
        Assert.Contains("/alert/sent: '2026-11-22T09:00:00' is not a dateTime with zone", Assert.Single(result.Rejections).Reason, StringComparison.Ordinal);
        var noEvent = Parse(FixtureWith("<event>避難指示</event>", ""));
        Assert.Equal("/alert/info[1]/event: required element is missing", Assert.Single(noEvent.Rejections).Reason);
    }

    [Fact]
    public void reject_only_the_info_with_a_malformed_polygon_or_code()
    {
        var badPolygon = Parse(FixtureWith("35.69,139.75 35.69,139.76", "35.69;139.75 35.69,139.76"));
        Assert.Equal(new Rejection("/alert/info[1]/area[1]/polygon[1]", "polygon: '35.69;139.75' is not a lat,lon pair"), Assert.Single(badPolygon.Rejections));
        Assert.Equal("JP-FICTIONAL-0001#2", Assert.Single(badPolygon.Records).SourceKey);

        var badCode = Parse(FixtureWith("<value>17202</value>", "<value>172023</value>"));
        Assert.Equal(new Rejection("/alert/info[2]/area[1]/geocode[1]", "municipality code 172023: check digit should be 2"), Assert.Single(badCode.Rejections));
    }

    [Fact]
    public void refuse_an_alert_of_another_namespace()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => Parse("<alert xmlns=\"urn:example:not-cap\"/>"u8.ToArray()));
        Assert.Contains("not a CAP alert", e.Reason, StringComparison.Ordinal);
        Assert.Throws<UnparseableDocumentException>(() => Parse("<alert"u8.ToArray()));
    }

    [Fact]
    public void prohibit_dtds()
    {
        var doc = "<?xml version=\"1.0\"?><!DOCTYPE alert [<!ENTITY x \"y\">]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&x;</alert>"u8.ToArray();
        Assert.Throws<UnparseableDocumentException>(() => Parse(doc));
    }

    [Fact]
    public void sniff_cap_but_not_edxl_atom_or_commons()
    {
        Assert.True(Parser.Sniff(SampleDocument, "x.cap"));
        Assert.False(Parser.Sniff(Fixtures.Read("edxlde-japan-fictional.edxlde"), null));
        Assert.False(Parser.Sniff(Fixtures.Read("cap-index-japan-fictional.atom"), null));
        Assert.False(Parser.Sniff(Fixtures.Read("lalert-evacuation-fictional.xml"), null));
    }
}

public class edxl_de_cap_parser_should : ParserConformance<EdxlDeCapParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("edxlde-japan-fictional.edxlde");

    [Fact]
    public void read_each_embedded_alert_and_prefix_rejections_with_the_content_object_path()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        var r = Assert.Single(result.Records);
        Assert.Equal("JP-FICTIONAL-DE-A#1", r.SourceKey);
        Assert.Equal("POINT (136.96136 37.04826)", r.Geometry!.AsText());
        Assert.Equal(3, r.Severity);
        Assert.Equal("/EDXLDistribution/contentObject[1]/xmlContent/embeddedXMLContent/alert/info[1]", r.Location);
        Assert.Equal(2, result.Rejections.Count);
        Assert.Equal("/EDXLDistribution/contentObject[2]/xmlContent/embeddedXMLContent/alert", result.Rejections[0].At);
        Assert.Equal("/EDXLDistribution/contentObject[2]/xmlContent/embeddedXMLContent/alert/info[1]/severity: 'Huge' is not one of Extreme, Severe, Moderate, Minor, Unknown", result.Rejections[0].Reason);
        Assert.Equal("/EDXLDistribution/contentObject[3]", result.Rejections[1].At);
        Assert.Contains("nonXMLContent", result.Rejections[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void leave_commons_envelopes_to_the_lalert_formats()
    {
        Assert.False(Parser.Sniff(Fixtures.Read("lalert-evacuation-fictional.xml"), null));
        var e = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(Fixtures.Read("lalert-evacuation-fictional.xml"), Fixtures.Context()));
        Assert.Contains("lalert", e.Reason, StringComparison.Ordinal);
    }
}

public class cap_atom_parser_should : ParserConformance<CapAtomParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("cap-index-japan-fictional.atom");

    [Fact]
    public void read_embedded_alerts_and_index_summaries_but_not_link_only_entries()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        Assert.Empty(result.Rejections);
        Assert.Equal(["JP-FICTIONAL-ATOM-A1#1", "https://alerts.example.invalid/cap/A2"], result.Records.Select(r => r.SourceKey));
        Assert.Equal("/feed/entry[1]/content/alert/info[1]", result.Records[0].Location);

        var summary = result.Records[1];
        Assert.Equal("cap-atom:https://alerts.example.invalid/cap/A2", summary.EntityKey);
        Assert.Equal("土砂災害警戒", summary.Name);
        Assert.Equal("架空山周辺", summary.Address);
        Assert.Equal(3, summary.Severity);
        Assert.Equal("alert", summary.Status);
        Assert.Equal("131016", summary.MunicipalityCode);
        Assert.False(summary.LocatedByCode);
        Assert.Equal("POLYGON ((139.74 35.68, 139.75 35.68, 139.75 35.69, 139.74 35.68))", summary.Geometry!.AsText());
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 4, 0, TimeSpan.Zero), summary.ObservedAt);
        Assert.True((bool)summary.Attrs["summary_only"]!);
        Assert.Equal("/feed/entry[2]", summary.Location);
    }

    [Fact]
    public void list_the_links_of_entries_that_do_not_embed_their_alert()
    {
        Assert.Equal(
            [new Uri("https://alerts.example.invalid/cap/A2.xml"), new Uri("https://alerts.example.invalid/cap/A3.xml")],
            CapAtomFeed.AlertLinks(SampleDocument));
    }
}
