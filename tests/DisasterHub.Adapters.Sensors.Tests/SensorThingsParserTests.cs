using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DisasterHub.Adapters.Sensors;
using DisasterHub.Core;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Sensors.Tests;

public class sensorthings_parser_should : ParserConformance<SensorThingsParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("nanao-river-things-page1.json");
    protected override byte[] ForeignDocument => """{"type":"FeatureCollection","features":[]}"""u8.ToArray();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static ParseResult Parse(string fixture, SensorThresholds? thresholds = null) =>
        new SensorThingsParser(thresholds ?? SensorThresholds.CreateDefault()).Parse(Fixtures.Read(fixture), Fixtures.Context(fixture));

    private static ParseResult ThroughRegistry(string fixture)
    {
        var parser = new SensorThingsParser();
        return new FormatRegistry([parser]).Parse(parser, Fixtures.Read(fixture), Fixtures.Context(fixture));
    }

    private static DateTimeOffset Utc(int day, int hour, int minute, int second = 0) => new(2026, 11, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public void make_one_record_per_thing_with_its_location_and_latest_observations()
    {
        var result = Parse("nanao-river-things-page1.json");
        Assert.Equal("utf-8", result.Encoding);
        Assert.Empty(result.Rejections);
        Assert.Equal(["thing:101", "thing:102"], result.Records.Select(r => r.SourceKey));

        var r = result.Records[0];
        Assert.Equal(Layers.Sensors, r.Layer);
        Assert.Equal("sta-thing:101", r.EntityKey);
        Assert.Equal("172022", r.MunicipalityCode);
        Assert.Equal("仮想川 七尾大橋水位観測所", r.Name);
        Assert.Equal("POINT (136.9612 37.0431)", r.Geometry!.AsText());
        Assert.Equal(4326, r.Geometry.SRID);
        Assert.False(r.LocatedByCode);
        Assert.Equal(2, r.Severity);
        Assert.Equal("warning", r.Status);
        Assert.Equal(Utc(22, 0, 0), r.ObservedAt);
        Assert.Equal(Utc(22, 0, 1), r.ReportedAt);
        Assert.Equal("/value/0", r.Location);
        Assert.Equal(
            """{"thing_id":"101","description":"仮想川の水位・雨量観測所（架空のテスト用データ）","self_link":"https://sta.river.example.jp/v1.1/Things(101)","river":"仮想川","location_id":"201","location_name":"七尾大橋","observations":{"七尾大橋 水位":{"value":2.62,"unit":"m","phenomenon_time":"2026-11-22T00:00:00Z","result_time":"2026-11-22T00:01:00Z","observed_property":"water_level","datastream_id":"301","severity":2,"level":"warning","thresholds":{"caution":2,"warning":2.5,"critical":3}},"七尾大橋 時間雨量":{"value":34.5,"unit":"mm/h","phenomenon_time":"2026-11-22T00:00:00Z","phenomenon_start":"2026-11-21T23:00:00Z","result_time":"2026-11-22T00:00:30Z","observed_property":"rainfall","datastream_id":"302","severity":2,"level":"warning","thresholds":{"caution":20,"warning":30,"critical":50,"unit":"mm/h"}}}}""",
            r.Attrs.ToJsonString(Relaxed));
    }

    [Fact]
    public void read_vnd_geo_json_features_five_digit_codes_and_japanese_river_thresholds()
    {
        var r = Parse("nanao-river-things-page1.json").Records[1];
        Assert.Equal("thing:102", r.SourceKey);
        Assert.Equal("sta-thing:102", r.EntityKey);
        Assert.Equal("172022", r.MunicipalityCode);
        Assert.Equal("仮想川 和倉水位観測所", r.Name);
        Assert.Equal(136.9155, r.Geometry!.Coordinate.X, 1e-6);
        Assert.Equal(37.0905, r.Geometry.Coordinate.Y, 1e-6);
        // 1.35 m: above 水防団待機水位 1.2, below 氾濫注意水位 1.7.
        Assert.Equal(0, r.Severity);
        Assert.Equal("normal", r.Status);
        Assert.Equal(Utc(22, 0, 0), r.ObservedAt);
        Assert.Null(r.ReportedAt);
        var obs = r.Attrs["observations"]!["和倉 水位"]!;
        Assert.Equal(1.35, (double)obs["value"]!);
        Assert.Equal("standby", (string?)obs["level"]);
        Assert.Equal("""{"standby":1.2,"caution":1.7,"warning":2.1,"critical":2.5}""", obs["thresholds"]!.ToJsonString());
    }

    [Fact]
    public void leave_severity_unknown_without_thresholds_and_convert_units_for_dose_rate()
    {
        var result = Parse("nanao-river-things-page2.json");
        Assert.Empty(result.Rejections);
        Assert.Equal(["thing:103", "thing:104"], result.Records.Select(r => r.SourceKey));

        var river = result.Records[0];
        Assert.Null(river.Severity);
        Assert.Equal("observed", river.Status);
        Assert.Equal("POINT (136.8601 37.1032)", river.Geometry!.AsText());
        Assert.Equal(
            """{"value":0.88,"unit":"m","phenomenon_time":"2026-11-22T00:00:00Z","observed_property":"Water Level","datastream_id":"304"}""",
            river.Attrs["observations"]!["中島 水位"]!.ToJsonString());

        // 260 nSv/h = 0.26 µSv/h ≥ 0.23 → caution; "+0900" offsets are read.
        var post = result.Records[1];
        Assert.Equal("七尾 仮想モニタリングポスト", post.Name);
        Assert.Equal(1, post.Severity);
        Assert.Equal("caution", post.Status);
        Assert.Equal(Utc(21, 23, 50), post.ObservedAt);
        Assert.Equal("""{"caution":0.23,"warning":1,"critical":20,"unit":"µSv/h"}""", post.Attrs["observations"]!["空間線量率"]!["thresholds"]!.ToJsonString(Relaxed));
    }

    [Fact]
    public void use_configured_thresholds_by_observed_property_but_prefer_the_stations_own()
    {
        var options = SensorThresholds.CreateDefault();
        options.Set("Water Level", new ThresholdLevels(0.5, 0.8, 1.2, "m"));
        var page2 = Parse("nanao-river-things-page2.json", options);
        Assert.Equal(2, page2.Records[0].Severity); // 0.88 m ≥ 0.8

        options.Set("water_level", new ThresholdLevels(10, 20, 30, "m"));
        var page1 = Parse("nanao-river-things-page1.json", options);
        Assert.Equal(2, (int)page1.Records[0].Attrs["observations"]!["七尾大橋 水位"]!["severity"]!); // flood_levels 2.0/2.5/3.0 win
        Assert.Equal(0, page1.Records[1].Severity); // the Datastream's thresholds win

        var none = new SensorThingsParser(new SensorThresholds()).Parse(Fixtures.Read("nanao-river-things-page2.json"), Fixtures.Context());
        Assert.All(none.Records, r => Assert.Null(r.Severity));
    }

    [Fact]
    public void evaluate_threshold_levels()
    {
        var levels = new ThresholdLevels(2.0, 2.5, 3.0, "m", Standby: 1.5);
        Assert.Equal(0, levels.Evaluate(1.0));
        Assert.Equal("normal", levels.LevelWord(1.0));
        Assert.Equal("standby", levels.LevelWord(1.5));
        Assert.Equal(1, levels.Evaluate(2.0));
        Assert.Equal(2, levels.Evaluate(2.99));
        Assert.Equal(3, levels.Evaluate(3.0));
        Assert.Null(new ThresholdLevels(null, null, null).Evaluate(5));
        Assert.Equal(0.26, SensorThresholds.InUnitOf(260, "nSv/h", "µSv/h")!.Value, 1e-12);
        Assert.Equal(0.26, SensorThresholds.InUnitOf(0.26, "μSv/h", "uSv/h")!.Value, 1e-12);
        Assert.Null(SensorThresholds.InUnitOf(3, "°C", "m"));
        Assert.Equal(new ThresholdLevels(1.7, 2.1, 2.5, null, 1.2),
            ThresholdLevels.FromJson(System.Text.Json.Nodes.JsonNode.Parse("""{"水防団待機水位":1.2,"氾濫注意水位":"1.7","避難判断水位":2.1,"氾濫危険水位":2.5}""")));
    }

    [Fact]
    public void give_the_next_page_link_and_none_on_the_last_page()
    {
        var next = SensorThingsPage.NextLink(Fixtures.Read("nanao-river-things-page1.json"));
        Assert.Equal(new Uri("https://sta.river.example.jp/v1.1/Things?$expand=Locations,Datastreams/Observations($top=1;$orderby=phenomenonTime%20desc)&$skip=2&$top=2"), next);
        Assert.Equal([next!], Parser.FollowLinks(Fixtures.Read("nanao-river-things-page1.json"), new Uri("https://sta.river.example.jp/v1.1/Things")));
        Assert.Null(SensorThingsPage.NextLink(Fixtures.Read("nanao-river-things-page2.json")));
        Assert.Empty(Parser.FollowLinks(Fixtures.Read("nanao-river-things-page2.json"), new Uri("https://sta.river.example.jp/v1.1/Things")));

        // Relative links (not allowed by 18-088, but seen) resolve against the document; junk gives none.
        Assert.Equal(new Uri("https://sta.example.jp/v1.1/Things?$skip=2"),
            SensorThingsPage.NextLink("""{"value":[],"@iot.nextLink":"/v1.1/Things?$skip=2"}"""u8, new Uri("https://sta.example.jp/v1.1/Things")));
        Assert.Null(SensorThingsPage.NextLink("""{"value":[],"@iot.nextLink":"/v1.1/Things?$skip=2"}"""u8));
        Assert.Null(SensorThingsPage.NextLink("""{"value":[],"@iot.nextLink":"file:///etc/passwd"}"""u8));
        Assert.Null(SensorThingsPage.NextLink("""{"value":[],"@iot.nextLink":42}"""u8));
        Assert.Null(SensorThingsPage.NextLink("{\"value\":["u8));
    }

    [Fact]
    public void follow_both_pages_to_every_station_once()
    {
        var records = Parse("nanao-river-things-page1.json").Records.Concat(Parse("nanao-river-things-page2.json").Records).ToList();
        Assert.Equal(["thing:101", "thing:102", "thing:103", "thing:104"], records.Select(r => r.SourceKey));
        Assert.All(records, r => Assert.True(r.Geometry!.Coordinate.Y is > 37.0 and < 37.11 && r.Geometry.Coordinate.X is > 136.85 and < 136.98, r.SourceKey));
    }

    [Fact]
    public void reject_broken_entities_where_they_are()
    {
        var raw = Parse("nanao-river-broken.json");
        Assert.Equal(["/value/1/Locations/0/encodingType", "/value/2/Locations/0/location", "/value/3", "/value/4", "/value/6"], raw.Rejections.Select(j => j.At));
        Assert.Contains("unsupported encodingType 'text/plain'", raw.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("out of range", raw.Rejections[1].Reason, StringComparison.Ordinal);
        Assert.Contains("neither @iot.id nor name", raw.Rejections[2].Reason, StringComparison.Ordinal);
        Assert.Contains("entity object", raw.Rejections[3].Reason, StringComparison.Ordinal);
        Assert.Contains("duplicate entity thing:505", raw.Rejections[4].Reason, StringComparison.Ordinal);

        var kept = ThroughRegistry("nanao-river-broken.json");
        Assert.Equal(["thing:505", "thing:506"], kept.Records.Select(r => r.SourceKey));
        Assert.Equal(new Rejection("/value/0", "no usable location"), kept.Rejections[^1]);
        // A Thing without a Location but with a municipality code is placed at the municipality.
        var byCode = kept.Records[1];
        Assert.True(byCode.LocatedByCode);
        Assert.Equal("boundary", (string?)byCode.Attrs["location_precision"]);
    }

    [Fact]
    public void refuse_malformed_json_and_json_that_is_not_sensorthings()
    {
        var broken = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse("""{"value": [ {"@iot.id": 1,"""u8.ToArray(), Fixtures.Context()));
        Assert.Contains("malformed JSON", broken.Reason, StringComparison.Ordinal);
        var foreign = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse("""{"shelters":[{"id":"1"}]}"""u8.ToArray(), Fixtures.Context()));
        Assert.Contains("not a SensorThings document", foreign.Reason, StringComparison.Ordinal);
        Assert.Throws<UnparseableDocumentException>(() => Parser.Parse("\"just a string\""u8.ToArray(), Fixtures.Context()));
    }

    [Theory]
    [InlineData("""{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[136.9,37.0]},"properties":{"name":"x"}}]}""")]
    [InlineData("""{"shelters":[{"id":"1","status":"開設"}],"municipality_code":"172022"}""")]
    [InlineData("""{"value":[{"a":1}]}""")]
    [InlineData("""{"value":[]}""")]
    [InlineData("""{"name":"x","version":1}""")]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"56901":{"temp":[5.1,0],"precipitation1h":[12,0]}}""")]
    [InlineData("""[{"ctt":"20240101161000","eid":"20240101161018","anm":"石川県能登地方","mag":"7.6"}]""")]
    [InlineData("""["http://example.org/not-an-observation","error"]""")]
    [InlineData("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>")]
    [InlineData("ID,名称,緯度,経度\n1,x,37,136\n")]
    public void not_sniff_documents_without_sensorthings_markers(string document)
    {
        Assert.False(Parser.Sniff(Encoding.UTF8.GetBytes(document), "doc.json"));
    }

    [Fact]
    public void sniff_annotations_even_in_a_cut_head()
    {
        var head = Fixtures.Read("nanao-river-things-page1.json").AsSpan(0, 200);
        Assert.True(Parser.Sniff(head, null));
        Assert.True(Parser.Sniff("""{"value":[],"@iot.count":0}"""u8, "Things"));
    }
}
