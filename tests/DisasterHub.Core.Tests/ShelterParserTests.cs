using System.Text;
using System.Text.Json.Nodes;
using DisasterHub.Adapters.Shelters;
using DisasterHub.Core;

namespace DisasterHub.Core.Tests;

public class gsi_shelter_csv_parser_should : ParserConformance<GsiShelterCsvParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("gsi-emergency-fictional.csv");

    private ParseResult Parse(string fixture) => Parser.Parse(Fixtures.Read(fixture), Fixtures.Context(fixture));

    [Fact]
    public void reject_rows_without_usable_coordinates_by_physical_line()
    {
        var result = Parse("gsi-emergency-fictional.csv");
        Assert.Equal("utf-8-bom", result.Encoding);
        Assert.Equal(["line 3", "line 7", "line 8"], result.Rejections.Select(r => r.At));
        Assert.Contains("missing coordinates", result.Rejections[0].Reason, StringComparison.Ordinal);
        Assert.Contains("not numbers", result.Rejections[1].Reason, StringComparison.Ordinal);
        Assert.Contains("0,0", result.Rejections[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void map_the_gsi_columns()
    {
        var first = Parse("gsi-emergency-fictional.csv").Records[0];
        Assert.Equal("E1310100901201", first.SourceKey);
        Assert.Equal("E1310100901201", first.EntityKey);
        Assert.Equal("131016", first.MunicipalityCode);
        Assert.Equal("架空第一公園", first.Name);
        Assert.Equal("東京都千代田区架空町1-1", first.Address);
        Assert.Null(first.Status);
        Assert.Equal("POINT (139.75 35.69)", first.Geometry!.AsText());
        Assert.Equal(
            """{"kind":"emergency_site","common_id":"E1310100901201","hazards":["flood","earthquake","large_fire"],"same_address_as_shelter":true,"notes":"架空データ"}""",
            first.Attrs.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    [Fact]
    public void keep_quoted_commas_and_newlines_and_report_the_starting_line()
    {
        var third = Parse("gsi-emergency-fictional.csv").Records.Single(r => r.SourceKey == "E1310100903201");
        Assert.Equal("架空第三校庭, 北側", third.Name);
        Assert.Equal("line 4", third.Location);
        Assert.Equal("備考に\n改行あり", (string?)third.Attrs["notes"]);
    }

    [Fact]
    public void fix_swapped_latitude_and_longitude_and_say_so()
    {
        var swapped = Parse("gsi-emergency-fictional.csv").Records.Single(r => r.SourceKey == "E1310100904201");
        Assert.Equal("POINT (139.753 35.693)", swapped.Geometry!.AsText());
        Assert.True((bool)swapped.Attrs["coordinates_swapped"]!);
    }

    [Fact]
    public void read_older_headers_and_repair_or_reject_codes()
    {
        var result = Parse("gsi-emergency-old-headers-fictional.csv");
        Assert.Equal(["092011", "011011"], result.Records.Select(r => r.MunicipalityCode));
        Assert.Equal(["092011:1", "011011:3"], result.Records.Select(r => r.SourceKey));
        Assert.Equal("092011:架空宇都宮広場", result.Records[0].EntityKey);
        Assert.Equal(["earthquake", "large_fire"], result.Records[0].Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(new Rejection("line 3", "municipality code 131017: check digit should be 6"), Assert.Single(result.Rejections));
    }

    [Fact]
    public void read_the_shelter_file_as_kind_shelter()
    {
        var result = Parse("gsi-shelter-fictional.csv");
        Assert.Equal(2, result.Records.Count);
        var first = result.Records[0];
        Assert.Equal("shelter", (string?)first.Attrs["kind"]);
        Assert.Null(first.Attrs["hazards"]);
        Assert.True((bool)first.Attrs["same_address_as_emergency_site"]!);
        Assert.Equal("要配慮者", (string?)first.Attrs["accepted_persons"]);
    }

    [Fact]
    public void read_cp932_files()
    {
        var text = Encoding.UTF8.GetString(Fixtures.Read("gsi-shelter-fictional.csv")).Replace("\n", "\r\n", StringComparison.Ordinal);
        var result = Parser.Parse(TextDecoding.Cp932.GetBytes(text), Fixtures.Context());
        Assert.Equal("shift_jis", result.Encoding);
        Assert.Equal(["架空第一小学校", "架空第二中学校"], result.Records.Select(r => r.Name));
    }
}

public class gsi_shelter_geojson_parser_should : ParserConformance<GsiShelterGeoJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("gsi-emergency-fictional.geojson");

    [Fact]
    public void reject_features_without_geometry_by_pointer()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        Assert.Equal(["E1310100901201", "E1310100903201"], result.Records.Select(r => r.SourceKey));
        var rejection = Assert.Single(result.Rejections);
        Assert.Equal("/features/1", rejection.At);
        Assert.Equal("/features/2", result.Records[1].Location);
    }

    [Fact]
    public void report_malformed_json_as_unparseable()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => Parser.Parse("{\"type\":\"FeatureCollection\",\"features\":[}"u8.ToArray(), Fixtures.Context()));
        Assert.Contains("malformed JSON", e.Reason, StringComparison.Ordinal);
    }
}

public class da_shelter_csv_parser_should : ParserConformance<DaShelterCsvParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("da-emergency-39-fictional.csv");

    [Fact]
    public void map_the_39_column_edition()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        Assert.Equal(new Rejection("line 3", "municipality code 172023: check digit should be 2"), Assert.Single(result.Rejections));
        var first = result.Records[0];
        Assert.Equal("F0001", first.SourceKey);
        Assert.Equal("172022:架空港公園", first.EntityKey);
        Assert.Equal("石川県七尾市架空町1", first.Address);
        Assert.Equal(810, (int)first.Attrs["capacity"]!);
        Assert.Equal("810人（2平方メートルあたり1人）", (string?)first.Attrs["capacity_text"]);
        Assert.Equal(["flood", "storm_surge", "earthquake", "tsunami"], first.Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("0767-00-0001", (string?)first.Attrs["phone"]);
        Assert.Equal("カクウミナトコウエン", (string?)first.Attrs["kana"]);
        Assert.True((bool)first.Attrs["same_address_as_shelter"]!);
        Assert.Null(first.Status);
        Assert.Null(first.ObservedAt);
    }

    [Fact]
    public void resolve_the_code_from_prefecture_and_municipality_names_when_no_code_is_given()
    {
        var third = Parser.Parse(SampleDocument, Fixtures.Context()).Records.Single(r => r.SourceKey == "F0003");
        Assert.Equal("172022", third.MunicipalityCode);
        Assert.Equal("石川県七尾市架空町3 架空会館", third.Address);
        Assert.Equal(150, (int)third.Attrs["capacity"]!);
        Assert.Equal(100, (int)third.Attrs["capacity_indoor"]!);
    }

    [Fact]
    public void read_the_older_26_column_edition()
    {
        var result = Parser.Parse(Fixtures.Read("da-emergency-26-fictional.csv"), Fixtures.Context());
        var only = Assert.Single(result.Records);
        Assert.Equal("092011", only.MunicipalityCode);
        Assert.Equal("1", only.SourceKey);
        Assert.Equal(1200, (int)only.Attrs["capacity"]!);
        Assert.Equal(["flood", "earthquake", "large_fire"], only.Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("line 3", Assert.Single(result.Rejections).At);
    }

    [Fact]
    public void use_the_given_directory_over_the_embedded_one()
    {
        var custom = new MunicipalityDirectory("17202\t石川県\t七尾市\n17203\t石川県\t小松市\n");
        var context = new ParseContext { Municipalities = custom };
        var csv = "名称,所在地_都道府県,所在地_市区町村,緯度,経度\n架空広場,石川県,小松市,36.40,136.45\n架空公園,石川県,架空市,36.41,136.46\n"u8.ToArray();
        var result = Parser.Parse(csv, context);
        Assert.Equal("172031", Assert.Single(result.Records).MunicipalityCode);
        Assert.Equal("line 3", Assert.Single(result.Rejections).At);
    }
}

public class da_shelter_geojson_parser_should : ParserConformance<DaShelterGeoJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("da-open-shelter-fictional.geojson");

    [Fact]
    public void read_evacuees_and_the_era_timestamp()
    {
        var result = Parser.Parse(SampleDocument, Fixtures.Context());
        var r = Assert.Single(result.Records);
        Assert.Equal(25, (int)r.Attrs["evacuees"]!);
        Assert.Equal("開設", r.Status);
        Assert.Equal(new DateTimeOffset(2024, 1, 9, 23, 30, 0, TimeSpan.Zero), r.ObservedAt);
        Assert.Equal("架空", (string?)r.Attrs["district"]);
        Assert.Equal(["earthquake"], r.Attrs["hazards"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("/features/1", Assert.Single(result.Rejections).At);
        Assert.Contains("LineString", result.Rejections[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void refuse_a_crs_it_cannot_transform()
    {
        var doc = """{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}"""u8.ToArray();
        Assert.Equal("/crs", Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(doc, Fixtures.Context())).At);
    }

    [Fact]
    public void transform_a_plane_rectangular_point_and_record_the_source_crs()
    {
        Assert.True(CoordinateTransform.TryFromWgs84ToJgd2011Zone(9, 139.75, 35.69, out var e, out var n));
        var doc = Encoding.UTF8.GetBytes(FormattableString.Invariant(
            $$$"""{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:6677"}},"features":[{"type":"Feature","properties":{"ID":"X1","名称":"架空広場","所在地_都道府県":"東京都","所在地_市区町村":"千代田区"},"geometry":{"type":"Point","coordinates":[{{{e}}},{{{n}}}]}}]}"""));
        var r = Assert.Single(Parser.Parse(doc, Fixtures.Context()).Records);
        Assert.Equal("EPSG:6677", r.SourceCrs);
        Assert.Equal("131016", r.MunicipalityCode);
        Assert.Equal(139.75, r.Geometry!.Coordinate.X, 1e-8);
        Assert.Equal(35.69, r.Geometry.Coordinate.Y, 1e-8);
    }
}

public class shelter_status_json_parser_should : ParserConformance<ShelterStatusJsonParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("shelter-status-fictional.json");

    protected override bool AllowsRecordsWithoutGeometry => true;

    private ParseResult Parse() => Parser.Parse(SampleDocument, Fixtures.Context());

    [Fact]
    public void read_status_counts_and_timestamps()
    {
        var result = Parse();
        var first = result.Records[0];
        Assert.Equal("F0001", first.SourceKey);
        Assert.Equal("172022:架空港公園", first.EntityKey);
        Assert.Equal("開設", first.Status);
        Assert.Equal(120, (int)first.Attrs["evacuees"]!);
        Assert.Equal(300, (int)first.Attrs["capacity"]!);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), first.ObservedAt);
        var second = result.Records[1];
        Assert.Equal("閉鎖", second.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 30, 0, TimeSpan.Zero), second.ObservedAt);
    }

    [Fact]
    public void reject_bad_members_with_json_pointers()
    {
        Assert.Equal(["/shelters/2/evacuees", "/shelters/3/status", "/shelters/4/observed_at", "/shelters/6/id"],
            Parse().Rejections.Select(r => r.At));
    }

    [Fact]
    public void keep_the_eei_item_21_specific_attributes_and_reject_a_bad_one_by_its_pointer()
    {
        var doc = Encoding.UTF8.GetBytes("""
            {"municipality_code":"172022","observed_at":"2026-12-05T09:00:00+09:00","shelters":[
              {"id":"S1","name":"架空小学校","status":"開設","evacuees":42,"evacuees_male":20,"evacuees_female":22,"households":15,"needs_care":6,
               "opened_at":"2026-12-05T06:10:00+09:00","reason":"地震","capacity_state":"混雑","staff_needed":3,"power":"可","water":"不可","toilet":"不明",
               "needed_supplies":["飲料水","毛布"],"lat":37.04,"lon":136.96},
              {"id":"S2","name":"架空公民館","status":"開設","needed_supplies":"紙おむつ、粉ミルク","lat":37.05,"lon":136.97},
              {"id":"S3","name":"架空体育館","status":"開設","toilet":"壊れている","lat":37.05,"lon":136.97},
              {"id":"S4","name":"架空集会所","status":"開設","needs_care":-1,"lat":37.05,"lon":136.97}
            ]}
            """);
        var result = Parser.Parse(doc, Fixtures.Context());
        var a = result.Records[0].Attrs;
        Assert.Equal((20, 22, 15, 6, 3), ((int)a["evacuees_male"]!, (int)a["evacuees_female"]!, (int)a["households"]!, (int)a["needs_care"]!, (int)a["staff_needed"]!));
        Assert.Equal("2026-12-04T21:10:00Z", (string)a["opened_at"]!);
        Assert.Equal(("地震", "混雑", "可", "不可", "不明"), ((string)a["reason"]!, (string)a["capacity_state"]!, (string)a["power"]!, (string)a["water"]!, (string)a["toilet"]!));
        Assert.Equal(["飲料水", "毛布"], a["needed_supplies"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(["紙おむつ", "粉ミルク"], result.Records[1].Attrs["needed_supplies"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(["/shelters/2/toilet", "/shelters/3/needs_care"], result.Rejections.Select(r => r.At));
        Assert.Contains("可/不可/不明", result.Rejections[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void leave_geometry_empty_when_only_a_common_id_locates_the_shelter()
    {
        var r = Parse().Records.Single(x => x.SourceKey == "E1720200901112");
        Assert.Null(r.Geometry);
        Assert.Equal("未開設", r.Status);
        Assert.Equal("E1720200901112", r.EntityKey);
        Assert.Equal("172022", r.MunicipalityCode);
        var registry = new FormatRegistry(ShelterFormats.All);
        var offline = registry.Parse(Parser, SampleDocument, Fixtures.Context());
        Assert.Contains(new Rejection("/shelters/5", "no usable location"), offline.Rejections);
    }

    [Theory]
    [InlineData("{\"shelters\":[")]
    [InlineData("[1,2]")]
    [InlineData("{\"municipality_code\":\"172022\"}")]
    public void call_documents_it_cannot_read_unparseable(string json) =>
        Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(Encoding.UTF8.GetBytes(json), Fixtures.Context()));

    [Fact]
    public void refuse_nesting_deeper_than_64()
    {
        var deep = "{\"shelters\":[" + new string('[', 70) + new string(']', 70) + "]}";
        Assert.Throws<UnparseableDocumentException>(() => Parser.Parse(Encoding.UTF8.GetBytes(deep), Fixtures.Context()));
    }
}
