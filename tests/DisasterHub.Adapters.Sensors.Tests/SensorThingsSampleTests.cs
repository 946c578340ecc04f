using DisasterHub.Adapters.Sensors;
using DisasterHub.Core;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Sensors.Tests;

/// <summary>The OGC 18-088 examples (re-serialized from the standard's AsciiDoc; located outside Japan, so the world extent).</summary>
public class sensorthings_samples_should
{
    private static readonly SensorThingsParser Parser = new();

    private static ParseResult Parse(string name)
    {
        var context = new ParseContext
        {
            ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
            FileName = name,
            Extent = ServiceExtent.World,
        };
        return new FormatRegistry([Parser]).Parse(Parser, SampleFiles.Read("sensorthings/" + name), context);
    }

    [SampleFact]
    public void be_sniffed_and_read_as_known_every_one()
    {
        var files = SampleFiles.In("sensorthings").ToList();
        Assert.Equal(16, files.Count);
        foreach (var file in files)
        {
            var bytes = SampleFiles.Read(file);
            Assert.True(Parser.Sniff(bytes, Path.GetFileName(file)), file);
            var result = Parse(Path.GetFileName(file)); // must not throw
            Assert.Equal("sensorthings", result.Format);
        }
    }

    [SampleFact]
    public void give_these_counts()
    {
        var expected = new Dictionary<string, (int Accepted, int Rejected)>
        {
            ["18-088-example-Datastream.json"] = (1, 0),
            ["18-088-example-FeatureOfInterest.json"] = (1, 0),
            ["18-088-example-HistoricalLocations-collection.json"] = (0, 0),
            ["18-088-example-Location.json"] = (1, 0),
            ["18-088-example-Observation.json"] = (0, 0),
            ["18-088-example-ObservedProperty.json"] = (0, 0),
            ["18-088-example-Sensor.json"] = (0, 0),
            ["18-088-example-Thing.json"] = (0, 1),
            ["18-088-sec10-example0.json"] = (0, 1),
            ["18-088-sec10-example1.json"] = (0, 0),
            ["18-088-sec10-example2.json"] = (1, 0),
            ["18-088-sec10-example3.json"] = (0, 1),
            ["18-088-sec13-example0.json"] = (0, 0),
            ["18-088-sec13-example1.json"] = (0, 0),
            ["18-088-sec13-example2.json"] = (0, 0),
            ["18-088-sec13-example3.json"] = (0, 0),
        };
        foreach (var (name, (accepted, rejected)) in expected)
        {
            var result = Parse(name);
            Assert.True(accepted == result.Records.Count && rejected == result.Rejections.Count,
                $"{name}: {result.Records.Count} accepted, {result.Rejections.Count} rejected: " + string.Join("; ", result.Rejections.Select(r => $"{r.At}: {r.Reason}")));
        }
    }

    [SampleFact]
    public void read_the_location_example()
    {
        var r = Assert.Single(Parse("18-088-example-Location.json").Records);
        Assert.Equal("location:1", r.SourceKey);
        Assert.Equal("sta-location:1", r.EntityKey);
        Assert.Equal("CCIT", r.Name);
        Assert.Equal(-114.06, r.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(51.05, r.Geometry.Coordinate.Y, 1e-6);
        Assert.Equal("location", r.Status);
        Assert.Null(r.Severity);
        Assert.Equal("Calgary Center for Innvative Technologies", (string?)r.Attrs["description"]);
        Assert.Equal("http://example.org/v1.1/Locations(1)", (string?)r.Attrs["self_link"]);
        Assert.Equal("/", r.Location);
        Assert.Empty(Parse("18-088-example-Location.json").Rejections);
    }

    [SampleFact]
    public void place_a_datastream_by_its_observed_area_and_a_feature_of_interest_by_its_feature()
    {
        var ds = Assert.Single(Parse("18-088-example-Datastream.json").Records);
        Assert.Equal("datastream:1", ds.SourceKey);
        Assert.Equal("sta-datastream:1", ds.EntityKey);
        Assert.Equal("oven temperature", ds.Name);
        Assert.Equal("POLYGON ((100 0, 101 0, 101 1, 100 1, 100 0))", ds.Geometry!.AsText());
        Assert.Equal("station", ds.Status);
        Assert.Equal("observed_area", (string?)ds.Attrs["location_source"]);

        var foi = Assert.Single(Parse("18-088-example-FeatureOfInterest.json").Records);
        Assert.Equal("feature:1", foi.SourceKey);
        Assert.Equal("Weather Station YYC.", foi.Name);
        Assert.Equal("POINT (-114.06 51.05)", foi.Geometry!.AsText());
    }

    [SampleFact]
    public void reject_things_without_a_location_and_read_the_deep_insert()
    {
        Assert.Equal([new Rejection("/", "no usable location")], Parse("18-088-example-Thing.json").Rejections);

        var oven = Assert.Single(Parse("18-088-sec10-example2.json").Records);
        Assert.Equal("thing:name:oven", oven.SourceKey);
        Assert.Equal("oven", oven.Name);
        Assert.Equal("POINT (10 10)", oven.Geometry!.AsText());
        Assert.Null(oven.Severity); // DewPoint Temperature has no thresholds
        Assert.Equal("observed", oven.Status);
        Assert.Equal(new DateTimeOffset(2012, 6, 26, 9, 42, 2, TimeSpan.Zero), oven.ObservedAt);
        Assert.Equal(
            """{"value":70.4,"unit":"°C","phenomenon_time":"2012-06-26T09:42:02Z","observed_property":"DewPoint Temperature"}""",
            oven.Attrs["observations"]!["oven temperature"]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    [SampleFact]
    public void give_the_next_link_of_collection_samples()
    {
        Assert.Equal(new Uri("http://example.org/v1.1/Things(1)/HistoricalLocations?$skip=2&$top=2"),
            SensorThingsPage.NextLink(SampleFiles.Read("sensorthings/18-088-example-HistoricalLocations-collection.json")));
        Assert.Equal(new Uri("http://example.org/v1.1/Datastreams(1)/Observations?$resultFormat=dataArray&$skip=3"),
            SensorThingsPage.NextLink(SampleFiles.Read("sensorthings/18-088-sec13-example0.json")));
        Assert.Null(SensorThingsPage.NextLink(SampleFiles.Read("sensorthings/18-088-example-Thing.json")));
    }
}
