using System.Text;
using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.Tests.TestSupport;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class tepco_xml_parser_conformance : ParserConformance<TepcoXmlParser>
{
    protected override byte[] SampleDocument => Fixtures.Read("tepco-fictional.xml");
    protected override string? SampleFileName => "12000000000.xml";
}

public class tepco_xml_parser_should
{
    private readonly TepcoXmlParser _parser = new();

    [Fact]
    public void give_one_record_per_leaf_area_located_by_the_derived_municipality_code()
    {
        var result = Parse(_parser, "tepco-fictional.xml");
        Assert.Empty(result.Rejections);
        Assert.Equal(["12231001001", "12231001002", "12204000000", "12217000000", "13101000000"], result.Records.Select(r => r.SourceKey));
        Assert.Equal(["122319", "122319", "122041", "122173", "131016"], result.Records.Select(r => r.MunicipalityCode));
        Assert.Equal(["tepco-area:12231001001", "tepco-area:12231001002", "power-area:122041", "power-area:122173", "power-area:131016"], result.Records.Select(r => r.EntityKey));
        Assert.Equal(["架空台一丁目", "架空台二丁目", "船橋市", "柏市", "千代田区"], result.Records.Select(r => r.Name));
        Assert.Equal([800L, 400L, 1L, 0L, 30L], result.Records.Select(r => (long)r.Attrs["customers_out"]!));
        Assert.Equal(["停電中", "停電中", "停電中", "復旧済", "停電中"], result.Records.Select(r => r.Status));
        Assert.Equal([1, 1, 1, 0, 1], result.Records.Select(r => r.Severity ?? -1));
        Assert.All(result.Records, r => Assert.True(r.LocatedByCode));
        Assert.All(result.Records, r => Assert.Equal(Utc(2026, 11, 22, 1, 30), r.ObservedAt)); // 202611221030 JST
        Assert.Equal("/東京電力停電情報/エリア[1]/エリア[1]/エリア[1]", result.Records[0].Location);
        Assert.Equal("/東京電力停電情報/エリア[2]/エリア", result.Records[4].Location);
    }

    [Fact]
    public void keep_approximate_and_under_ten_counts_as_written()
    {
        var records = Parse(_parser, "tepco-fictional.xml").Records;
        Assert.Equal(
            """{"utility":"東京電力パワーグリッド","area_code":"12231001001","approximate":true,"customers_out_text":"約800軒","customers_out":800,"area_path":"千葉県/印西市/架空台一丁目","title":"停電情報（架空データ）"}""",
            TestSupport.Json(records[0].Attrs));
        Assert.Equal(
            """{"utility":"東京電力パワーグリッド","area_code":"12204000000","customers_out_min":1,"customers_out_max":9,"customers_out_text":"10軒未満","customers_out":1,"area_path":"千葉県/船橋市","title":"停電情報（架空データ）"}""",
            TestSupport.Json(records[2].Attrs));
        Assert.Null(records[3].Attrs["customers_out_text"]);
        Assert.Null(records[4].Attrs["approximate"]);
    }

    [Fact]
    public void place_records_through_the_registry()
    {
        var result = ParseThroughRegistry(_parser, "tepco-fictional.xml");
        Assert.Empty(result.Rejections);
        Assert.Equal(5, result.Records.Count);
        Assert.Equal("MultiPolygon", result.Records[0].Geometry!.GeometryType); // the municipality's boundary
        Assert.True(result.Records[0].Geometry!.Covers(new NetTopologySuite.Geometries.Point(140.17735, 35.79161)));
    }

    [Fact]
    public void reject_bad_counts_and_codes_by_element_path()
    {
        var result = Parse(_parser, "tepco-bad-fictional.xml");
        Assert.Equal(
        [
            new Rejection("/東京電力停電情報/エリア[1]/停電軒数", "停電軒数 '多数' is not a count (N軒, 約N軒 or N軒未満)"),
            new Rejection("/東京電力停電情報/エリア[2]", "area code 99999000000: 99 is not a prefecture code"),
            new Rejection("/東京電力停電情報/エリア[3]", "エリア@コード '1223' is not an 11-digit area code"),
            new Rejection("/東京電力停電情報/エリア[4]", "area code 00000000000 is the whole service area and cannot be located"),
            new Rejection("/東京電力停電情報/エリア[5]/停電軒数", "停電軒数 '-5軒' is not a count (N軒, 約N軒 or N軒未満)"),
            new Rejection("/東京電力停電情報/エリア[7]", "duplicate id '12231001004' (first at /東京電力停電情報/エリア[6])"),
        ], result.Rejections);
        var only = Assert.Single(result.Records);
        Assert.Equal(12L, (long)only.Attrs["customers_out"]!); // full-width １２軒
    }

    [Fact]
    public void refuse_a_bad_update_time_other_roots_and_dtds()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => Parse(_parser, "tepco-bad-time-fictional.xml"));
        Assert.Equal("/東京電力停電情報/更新日時", e.At);
        Assert.Contains("yyyyMMddHHmm", e.Reason, StringComparison.Ordinal);
        Assert.Throws<UnparseableDocumentException>(() => _parser.Parse("<停電情報/>"u8.ToArray(), Fixtures.Context()));
        var dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><東京電力停電情報>&a;</東京電力停電情報>";
        Assert.Throws<UnparseableDocumentException>(() => _parser.Parse(Encoding.UTF8.GetBytes(dtd), Fixtures.Context()));
    }

    [Fact]
    public void read_shift_jis_documents()
    {
        var text = Encoding.UTF8.GetString(Fixtures.Read("tepco-fictional.xml")).Replace("UTF-8", "Shift_JIS", StringComparison.Ordinal);
        var sjis = TextDecoding.Cp932.GetBytes(text);
        Assert.True(_parser.Sniff(sjis, "12000000000.xml"));
        Assert.Equal(5, _parser.Parse(sjis, Fixtures.Context()).Records.Count);
    }
}
