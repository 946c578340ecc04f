using DisasterHub.Adapters.Shelters;
using DisasterHub.Core;

namespace DisasterHub.Core.Tests;

/// <summary>The real files in ../shared/samples (skipped when absent).</summary>
public class shelter_samples_should
{
    private static readonly FormatRegistry Registry = new(ShelterFormats.All);

    private static ParseResult Parse(string relative, string expectedFormat)
    {
        var bytes = SampleFiles.Read(relative);
        var parser = Registry.Detect(bytes, Path.GetFileName(relative));
        Assert.NotNull(parser);
        Assert.Equal(expectedFormat, parser.Format);
        return Registry.Parse(parser, bytes, Fixtures.Context(Path.GetFileName(relative)));
    }

    [SampleFact]
    public void detect_and_parse_every_shelter_sample()
    {
        var files = SampleFiles.In("shelters-gsi").Concat(SampleFiles.In("shelters-digital-agency")).ToList();
        Assert.Equal(5, files.Count);
        foreach (var f in files)
        {
            var bytes = SampleFiles.Read(f);
            var parser = Registry.Detect(bytes, Path.GetFileName(f));
            Assert.True(parser is not null, $"no format detected for {f}");
            var result = Registry.Parse(parser, bytes, Fixtures.Context(Path.GetFileName(f)));
            Assert.True(result.Records.Count > 0, $"{f}: nothing accepted");
            Assert.True(result.Rejections.Count == 0, $"{f}: {string.Join("; ", result.Rejections)}");
        }
    }

    [SampleFact]
    public void read_the_chiyoda_emergency_sites_exactly()
    {
        var result = Parse("shelters-gsi/gsi-emergency-131016-chiyoda.geojson", "gsi-shelter-geojson");
        Assert.Equal(28, result.Records.Count);
        var first = result.Records[0];
        Assert.Equal("神田一橋中学校", first.Name);
        Assert.Equal("131016", first.MunicipalityCode);
        Assert.Equal("E1310100005201", first.SourceKey);
        Assert.Equal("E1310100005201", first.EntityKey);
        Assert.Equal("E1310100005201", (string?)first.Attrs["common_id"]);
        Assert.Equal("東京都千代田区一ツ橋2-6-14", first.Address);
        Assert.Equal(139.756774, first.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(35.694133, first.Geometry.Coordinate.Y, 1e-6);
        Assert.Equal(["flood", "landslide", "earthquake", "inland_flood"], first.Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("emergency_site", (string?)first.Attrs["kind"]);
        Assert.True((bool)first.Attrs["same_address_as_shelter"]!);
    }

    [SampleFact]
    public void read_the_chiyoda_shelters_as_kind_shelter()
    {
        var result = Parse("shelters-gsi/gsi-shelter-131016-chiyoda.geojson", "gsi-shelter-geojson");
        Assert.Equal(15, result.Records.Count);
        var first = result.Records[0];
        Assert.Equal(("神田一橋中学校", "E1310100005112", "shelter"), (first.Name, first.EntityKey, (string?)first.Attrs["kind"]));
        Assert.Null(first.Attrs["hazards"]);
    }

    [SampleFact]
    public void read_the_nanao_reference_csv_exactly()
    {
        var result = Parse("shelters-digital-agency/nanao-reference_data-emergency-sites.csv", "da-shelter-csv");
        Assert.Equal(112, result.Records.Count);
        Assert.Equal("utf-8", result.Encoding);
        var first = result.Records[0];
        Assert.Equal("御祓地区コミュニティセンター", first.Name);
        Assert.Equal("CC0000000504", first.SourceKey);
        Assert.Equal("172022", first.MunicipalityCode);
        Assert.Equal("172022:御祓地区コミュニティセンター", first.EntityKey);
        Assert.Equal(37.04826, first.Geometry!.Coordinate.Y, 1e-9);
        Assert.Equal(136.96136, first.Geometry.Coordinate.X, 1e-9);
        Assert.Equal(["flood", "landslide", "storm_surge", "earthquake", "tsunami", "inland_flood"], first.Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(191, (int)first.Attrs["capacity"]!);
        Assert.Equal("line 2", first.Location);
    }

    [SampleFact]
    public void read_evacuees_and_the_header_timestamp_from_the_nanao_open_shelter_csv()
    {
        var result = Parse("shelters-digital-agency/nanao-open_shelter_2024-01-09-1800.csv", "da-shelter-csv");
        Assert.Equal(29, result.Records.Count);
        var sanno = result.Records.Single(r => r.Name == "山王小学校");
        Assert.Equal(180, (int)sanno.Attrs["evacuees"]!);
        Assert.Equal(new DateTimeOffset(2024, 1, 9, 9, 0, 0, TimeSpan.Zero), sanno.ObservedAt);
        Assert.Equal("開設", sanno.Status);
        Assert.Equal("172022", sanno.MunicipalityCode);
        Assert.Equal("袖ケ江", (string?)sanno.Attrs["district"]);
        Assert.All(result.Records, r => Assert.Equal("172022", r.MunicipalityCode));
    }

    [SampleFact]
    public void transform_the_nanao_epsg_6675_geojson_onto_its_latitude_and_longitude()
    {
        var result = Parse("shelters-digital-agency/nanao-open_shelter-latest.geojson", "da-shelter-geojson");
        var r = Assert.Single(result.Records);
        Assert.Equal("EPSG:6675", r.SourceCrs);
        Assert.Equal(37.03364, r.Geometry!.Coordinate.Y, 1e-5);
        Assert.Equal(136.96987, r.Geometry.Coordinate.X, 1e-5);
        Assert.True(ServiceExtent.Rectangle(136.8, 36.9, 137.2, 37.3).Contains(r.Geometry.EnvelopeInternal), "inside 七尾市's rough bbox");
        Assert.Equal(40, (int)r.Attrs["evacuees"]!);
        Assert.Equal(new DateTimeOffset(2024, 9, 2, 9, 0, 0, TimeSpan.Zero), r.ObservedAt);
        Assert.Equal("矢田郷地区コミュニティセンター", r.Name);
        Assert.Equal("172022", r.MunicipalityCode);
    }
}
