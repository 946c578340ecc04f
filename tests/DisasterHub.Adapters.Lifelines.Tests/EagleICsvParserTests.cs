using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.Tests.TestSupport;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class eagle_i_csv_parser_conformance : ParserConformance<EagleICsvParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("eagle-i-2023-fictional.csv");
    protected override string? SampleFileName => "eaglei_outages_2023.csv";
    protected override ServiceExtent Extent => ServiceExtent.World;
    protected override IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Companions =>
        new Dictionary<string, ReadOnlyMemory<byte>> { [EagleICsvParser.CentroidsCompanion] = Fixtures.Read("fips-centroids-fictional.csv") };
}

public class eagle_i_csv_parser_should
{
    private readonly EagleICsvParser _parser = new();

    private static ParseContext World(bool centroids) => new()
    {
        ReceivedAt = Utc(2026, 11, 22, 0, 0),
        Extent = ServiceExtent.World,
        Companions = centroids
            ? new Dictionary<string, ReadOnlyMemory<byte>> { [EagleICsvParser.CentroidsCompanion] = Fixtures.Read("fips-centroids-fictional.csv") }
            : new Dictionary<string, ReadOnlyMemory<byte>>(),
    };

    [Fact]
    public void keep_the_latest_run_per_county_in_the_2024_layout()
    {
        var result = Parse(_parser, "eagle-i-2024-fictional.csv", World(true));
        Assert.Empty(result.Rejections);
        Assert.Equal(["01001", "12086", "48201", "99001"], result.Records.Select(r => r.SourceKey));
        var autauga = result.Records[0];
        Assert.Equal("us-county:01001", autauga.EntityKey);
        Assert.Equal("Autauga, Alabama", autauga.Name);
        Assert.Null(autauga.MunicipalityCode);
        Assert.False(autauga.LocatedByCode);
        Assert.Equal(Utc(2024, 8, 1, 0, 15), autauga.ObservedAt);
        Assert.Equal("line 3", autauga.Location);
        Assert.Equal("停電中", autauga.Status);
        Assert.Equal(1, autauga.Severity);
        Assert.Equal("POINT (-86.64 32.53)", Wkt(autauga));
        Assert.Equal(
            """{"fips_code":"01001","county":"Autauga","state":"Alabama","customers_out":340,"customers_served":25000,"superseded_rows":2,"location_precision":"county"}""",
            TestSupport.Json(autauga.Attrs));
        Assert.Equal(3, result.Records[1].Severity);
        Assert.Equal("復旧済", result.Records[2].Status);
        Assert.Equal(0, result.Records[2].Severity);
        Assert.Null(result.Records[3].Geometry);
    }

    [Fact]
    public void reject_counties_without_a_centroid_through_the_registry()
    {
        var registry = new FormatRegistry([_parser]);
        var withCentroids = registry.Parse(_parser, Fixtures.Read("eagle-i-2024-fictional.csv"), World(true));
        Assert.Equal(3, withCentroids.Records.Count);
        Assert.Equal(new Rejection("line 7", "no usable location"), Assert.Single(withCentroids.Rejections));

        var without = registry.Parse(_parser, Fixtures.Read("eagle-i-2024-fictional.csv"), World(false));
        Assert.Empty(without.Records);
        Assert.Equal(["line 3", "line 4", "line 5", "line 7"], without.Rejections.Select(r => r.At));
        Assert.All(without.Rejections, r => Assert.Equal("no usable location", r.Reason));

        var japan = registry.Parse(_parser, Fixtures.Read("eagle-i-2024-fictional.csv"), new ParseContext { Companions = World(true).Companions });
        Assert.Empty(japan.Records);
        Assert.Equal(3, japan.Rejections.Count(r => r.Reason == "outside service extent"));
    }

    [Fact]
    public void read_the_2023_sum_column()
    {
        var result = Parse(_parser, "eagle-i-2023-fictional.csv", World(true));
        Assert.Empty(result.Rejections);
        Assert.Equal([2500L, 75L], result.Records.Select(r => (long)r.Attrs["customers_out"]!));
        Assert.Equal([2, 1], result.Records.Select(r => r.Severity ?? -1));
        Assert.All(result.Records, r => Assert.Null(r.Attrs["customers_served"]));
        Assert.Equal(Utc(2023, 6, 1, 12, 0), result.Records[0].ObservedAt);
    }

    [Fact]
    public void reject_bad_rows_by_line_with_any_header_case()
    {
        var result = Parse(_parser, "eagle-i-bad-fictional.csv", World(true));
        Assert.Equal(
        [
            new Rejection("line 2", "fips_code 'ABC' is not a county FIPS code (up to 5 digits)"),
            new Rejection("line 3", "customers_out '-5' must be a non-negative integer"),
            new Rejection("line 4", "run_start_time '2022-01-01T00:00:00Z' is not YYYY-MM-DD HH:MM:SS (UTC)"),
            new Rejection("line 5", "customers_out '' must be a non-negative integer"),
            new Rejection("line 7", "duplicate row for fips_code 12086 at 2022-01-01 00:15:00 (line 6 kept)"),
        ], result.Rejections);
        Assert.Equal(10L, (long)Assert.Single(result.Records).Attrs["customers_out"]!);
    }

    [Fact]
    public void refuse_files_without_the_eagle_i_columns_and_bad_companions()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("fips_code,county,state,run_start_time\n"u8.ToArray(), World(false)));
        Assert.Equal("line 1", e.At);
        var badCompanion = new ParseContext
        {
            Extent = ServiceExtent.World,
            Companions = new Dictionary<string, ReadOnlyMemory<byte>> { [EagleICsvParser.CentroidsCompanion] = "fips,lon,lat\n01001,west,32\n"u8.ToArray() },
        };
        var c = Assert.Throws<UnparseableDocumentException>(() => _parser.Parse(Fixtures.Read("eagle-i-2023-fictional.csv"), badCompanion));
        Assert.Equal("fips-centroids.csv line 2", c.At);
    }
}
