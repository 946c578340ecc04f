using DisasterHub.Adapters.Jma;
using DisasterHub.Core;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Jma.Tests;

public class jma_quake_list_parser_should : ParserConformance<JmaQuakeListParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("quake-list-fictional.json");
    protected override string? SampleFileName => "list.json";

    private ParseResult Parse() => Parser.Parse(SampleDocument, Fixtures.Context("list.json"));

    [Fact]
    public void keep_the_latest_report_of_each_earthquake()
    {
        var result = Parse();
        Assert.Equal(["quake:20261122090100", "quake:20261122080100"], result.Records.Select(r => r.SourceKey));
        var q = result.Records[0];
        Assert.Equal("jma-quake:20261122090100", q.EntityKey);
        Assert.Equal("震源", q.Status);
        Assert.Equal(2, q.Severity);
        Assert.Equal("POINT (137.2 37.5)", q.Geometry!.AsText());
        Assert.Equal(10.0, (double)q.Attrs["depth_km"]!);
        Assert.Equal(5.8, (double)q.Attrs["magnitude"]!);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 10, 0, TimeSpan.Zero), q.ReportedAt);
        Assert.Equal("a.json", (string?)q.Attrs["earlier_reports"]![0]!["detail_json"]);
    }

    [Fact]
    public void place_an_intensity_report_without_hypocentre_in_the_strongest_prefecture()
    {
        var q = Parse().Records[1];
        Assert.Null(q.Geometry);
        Assert.True(q.LocatedByCode);
        Assert.Equal("170003", q.MunicipalityCode); // 石川県 (maxi 3) beats 富山県 (maxi 2)
        Assert.Equal("震度3", q.Status);
        Assert.Equal(1, q.Severity);
    }

    [Fact]
    public void reject_entries_that_cannot_be_placed()
    {
        var result = Parse();
        Assert.Equal(["/3/cod", "/4/cod"], result.Rejections.Select(r => r.At));
        Assert.Contains("no hypocentre", result.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("ISO 6709", result.Rejections[1].Reason, StringComparison.Ordinal);
    }
}

public class jma_amedas_parser_should : ParserConformance<AmedasMapParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("amedas-map-20261122090000.json");
    protected override string? SampleFileName => "amedas-map-20261122090000.json";

    protected override IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Companions =>
        new Dictionary<string, ReadOnlyMemory<byte>> { ["amedastable.json"] = Fixtures.Read("amedastable-fictional.json") };

    private ParseResult Parse() => Parser.Parse(SampleDocument, new ParseContext
    {
        ReceivedAt = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero),
        FileName = SampleFileName,
        Companions = Companions,
    });

    [Fact]
    public void place_stations_from_the_table_and_grade_hourly_rain()
    {
        var result = Parse();
        Assert.Equal(["56001", "56002", "56003"], result.Records.Select(r => r.SourceKey));
        var s = result.Records[0];
        Assert.Equal("jma-amedas:56001", s.EntityKey);
        Assert.Equal("架空七尾", s.Name);
        Assert.Equal(136.96, s.Geometry!.Coordinate.X, 1e-9);
        Assert.Equal(37.05, s.Geometry.Coordinate.Y, 1e-9);
        Assert.Equal(32.5, (double)s.Attrs["precipitation_1h"]!);
        Assert.Equal(120.0, (double)s.Attrs["precipitation_24h"]!); // flag 1 準正常 is usable
        Assert.Equal(1, (int)s.Attrs["quality"]!["precipitation_24h"]!);
        Assert.Equal(2, s.Severity);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), s.ObservedAt); // file name, JST
        Assert.Equal(3, result.Records[2].Severity); // 50 mm/h
    }

    [Fact]
    public void null_values_whose_quality_flag_is_bad()
    {
        var s = Parse().Records[1];
        Assert.Null(s.Attrs["precipitation_1h"]);
        Assert.Null(s.Attrs["precipitation_10m"]);
        Assert.Equal(4, (int)s.Attrs["quality"]!["precipitation_1h"]!);
        Assert.Null(s.Severity);
    }

    [Fact]
    public void reject_stations_missing_from_the_table()
    {
        var rejection = Assert.Single(Parse().Rejections);
        Assert.Equal("/56999", rejection.At);
        Assert.Contains("station table", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void refuse_the_document_without_the_station_table()
    {
        var ex = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(SampleDocument, Fixtures.Context(SampleFileName)));
        Assert.Contains("--with amedastable.json", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void use_the_receipt_time_when_the_file_name_has_none()
    {
        var r = Parser.Parse(SampleDocument, new ParseContext { ReceivedAt = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero), FileName = "latest.json", Companions = Companions });
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero), r.Records[0].ObservedAt);
    }

    [Fact]
    public void not_claim_the_station_table()
    {
        Assert.False(Parser.Sniff(Fixtures.Read("amedastable-fictional.json"), "amedastable.json"));
        Assert.True(new AmedasTableParser().Sniff(Fixtures.Read("amedastable-fictional.json"), "amedastable.json"));
        Assert.False(new AmedasTableParser().Sniff(SampleDocument, SampleFileName));
    }
}

public class jma_amedas_table_parser_should : ParserConformance<AmedasTableParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("amedastable-fictional.json");
    protected override string? SampleFileName => "amedastable.json";

    [Fact]
    public void give_one_station_record_each()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context("amedastable.json"));
        Assert.Equal(3, result.Records.Count);
        var s = result.Records[1];
        Assert.Equal("56002", s.SourceKey);
        Assert.Equal("station", s.Status);
        Assert.Null(s.Severity);
        Assert.Equal("POINT (136.9 37.4)", s.Geometry!.AsText());
        Assert.Equal("Kaku Wajima", (string?)s.Attrs["name_en"]);
    }
}
