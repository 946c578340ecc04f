using System.Text;
using DisasterHub.Core;

namespace DisasterHub.Core.Tests;

public class municipality_code_should
{
    [Theory]
    [InlineData("13101", 6)]
    [InlineData("17202", 2)]
    [InlineData("09201", 1)]
    [InlineData("01100", 2)]
    public void compute_the_check_digit_for_five_digit_codes(string five, int expected) =>
        Assert.Equal(expected, MunicipalityCode.CheckDigit(five));

    [Theory]
    [InlineData("131016", "131016")]
    [InlineData("13101", "131016")]
    [InlineData("92011", "092011")]
    [InlineData("92011.0", "092011")]
    [InlineData("172022.0", "172022")]
    [InlineData("1101", "011011")]
    [InlineData(" １３１０１ ", "131016")]
    public void normalize_what_spreadsheets_do_to_codes(string raw, string expected)
    {
        Assert.True(MunicipalityCode.TryNormalize(raw, out var code, out var error), error);
        Assert.Equal(expected, code);
    }

    [Fact]
    public void reject_a_six_digit_code_with_a_wrong_check_digit_naming_the_expected_digit()
    {
        Assert.False(MunicipalityCode.TryNormalize("131017", out _, out var error));
        Assert.Equal("municipality code 131017: check digit should be 6", error);
    }

    [Theory]
    [InlineData("92012")]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("481003")]
    [InlineData("12")]
    public void reject_codes_that_cannot_be_repaired(string raw) =>
        Assert.False(MunicipalityCode.TryNormalize(raw, out _, out _));

    [Fact]
    public void read_the_code_inside_a_gsi_common_id() =>
        Assert.Equal("13101", MunicipalityCode.FromCommonId("E1310100005201"));
}

public class text_decoding_should
{
    private const string Csv = "名称,緯度\r\n七尾市役所,37.04\r\n";

    [Fact]
    public void fall_back_to_cp932_for_shift_jis_bytes()
    {
        var bytes = TextDecoding.Cp932.GetBytes(Csv);
        var (text, encoding) = TextDecoding.Decode(bytes);
        Assert.Equal("shift_jis", encoding);
        Assert.Equal(Csv, text);
    }

    [Fact]
    public void strip_a_utf8_bom_and_say_so()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Csv)).ToArray();
        Assert.Equal((Csv, "utf-8-bom"), TextDecoding.Decode(bytes));
    }

    [Fact]
    public void read_plain_utf8_strictly() =>
        Assert.Equal((Csv, "utf-8"), TextDecoding.Decode(Encoding.UTF8.GetBytes(Csv)));

    [Fact]
    public void honour_utf16_boms()
    {
        Assert.Equal((Csv, "utf-16le"), TextDecoding.Decode(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Csv)).ToArray()));
        Assert.Equal((Csv, "utf-16be"), TextDecoding.Decode(Encoding.BigEndianUnicode.GetPreamble().Concat(Encoding.BigEndianUnicode.GetBytes(Csv)).ToArray()));
    }

    [Fact]
    public void decode_a_head_cut_inside_a_multibyte_character_as_utf8()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"名称\":\"七尾");
        var (text, encoding) = TextDecoding.DecodeHead(bytes.AsSpan(0, bytes.Length - 1));
        Assert.Equal("utf-8", encoding);
        Assert.Equal("{\"名称\":\"七", text);
    }
}

public class csv_reader_should
{
    [Fact]
    public void handle_quotes_doubled_quotes_and_quoted_newlines_with_start_lines()
    {
        var rows = CsvReader.Read("a,b\r\n\"x, y\",\"he said \"\"hi\"\"\"\n\"multi\r\nline\",z\n last,row").ToList();
        Assert.Equal([1, 2, 3, 5], rows.Select(r => r.Line));
        Assert.Equal(["x, y", "he said \"hi\""], rows[1].Fields);
        Assert.Equal(["multi\r\nline", "z"], rows[2].Fields);
        Assert.Equal([" last", "row"], rows[3].Fields);
    }

    [Fact]
    public void keep_empty_trailing_fields()
    {
        var row = CsvReader.Read("a,,\n").Single();
        Assert.Equal(["a", "", ""], row.Fields);
    }

    [Fact]
    public void report_an_unterminated_quote_with_its_line()
    {
        var e = Assert.Throws<UnparseableDocumentException>(() => CsvReader.Read("a,b\n1,2\n3,\"open\nnever closed").ToList());
        Assert.Equal("line 3", e.At);
        Assert.Contains("unterminated", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void stop_at_the_limits_with_a_clear_error()
    {
        var tooWide = string.Join(',', Enumerable.Repeat("x", 11));
        Assert.Contains("columns", Assert.Throws<UnparseableDocumentException>(() => CsvReader.Read(tooWide, new CsvLimits(MaxColumns: 10)).ToList()).Reason, StringComparison.Ordinal);
        var tooLong = new string('x', 101);
        Assert.Contains("longer", Assert.Throws<UnparseableDocumentException>(() => CsvReader.Read(tooLong, new CsvLimits(MaxRecordChars: 100)).ToList()).Reason, StringComparison.Ordinal);
        var tooMany = string.Concat(Enumerable.Repeat("a\n", 6));
        var e = Assert.Throws<UnparseableDocumentException>(() => CsvReader.Read(tooMany, new CsvLimits(MaxRows: 5)).ToList());
        Assert.Equal("line 6", e.At);
    }
}

public class coordinate_transform_should
{
    [Fact]
    public void put_the_nanao_epsg_6675_point_on_its_published_latitude_and_longitude()
    {
        Assert.True(CoordinateTransform.TryToWgs84(6675, -17507.738838992452656, 114708.241888354241382, out var lon, out var lat));
        Assert.Equal(37.03364, lat, 0.00001);
        Assert.Equal(136.96987, lon, 0.00001);
    }

    [Fact]
    public void map_a_zone_origin_to_itself()
    {
        Assert.True(CoordinateTransform.TryToWgs84(6677, 0, 0, out var lon, out var lat));
        Assert.Equal(36.0, lat, 1e-9);
        Assert.Equal(139 + 50 / 60.0, lon, 1e-9);
        Assert.True(CoordinateTransform.TryToWgs84(2451, 0, 0, out lon, out lat));
        Assert.Equal(36.0, lat, 1e-9);
    }

    [Theory]
    [InlineData(1, 130.2, 33.6)]
    [InlineData(9, 139.6917, 35.6895)]
    [InlineData(12, 143.2, 43.1)]
    [InlineData(15, 127.68, 26.21)]
    public void round_trip_forward_and_inverse_to_a_millimetre(int zone, double lon, double lat)
    {
        Assert.True(CoordinateTransform.TryFromWgs84ToJgd2011Zone(zone, lon, lat, out var e, out var n));
        Assert.True(CoordinateTransform.TryToWgs84(6668 + zone, e, n, out var lon2, out var lat2));
        Assert.Equal(lat, lat2, 1e-8);
        Assert.Equal(lon, lon2, 1e-8);
    }

    [Fact]
    public void shift_tokyo_datum_coordinates_by_the_known_offset_near_tokyo()
    {
        // The GSI approximation for Tokyo Datum → JGD2000 gives Δlat ≈ +0.00322°, Δlon ≈ −0.00321° at this point.
        Assert.True(CoordinateTransform.TryToWgs84(4301, 139.7, 35.7, out var lon, out var lat));
        Assert.Equal(35.7 + 0.00323, lat, 0.0003);
        Assert.Equal(139.7 - 0.00324, lon, 0.0003);
    }

    [Fact]
    public void leave_geographic_jgd_coordinates_alone_and_refuse_unknown_codes()
    {
        Assert.True(CoordinateTransform.TryToWgs84(6668, 136.9, 37.0, out var lon, out var lat));
        Assert.Equal((136.9, 37.0), (lon, lat));
        Assert.False(CoordinateTransform.TryToWgs84(3857, 0, 0, out _, out _));
    }
}

public class crs_names_should
{
    [Theory]
    [InlineData("urn:ogc:def:crs:EPSG::6675", 6675)]
    [InlineData("EPSG:6675", 6675)]
    [InlineData("http://www.opengis.net/def/crs/EPSG/0/6675", 6675)]
    [InlineData("urn:ogc:def:crs:OGC:1.3:CRS84", 4326)]
    [InlineData("urn:ogc:def:crs:EPSG:6.18:4612", 4612)]
    public void parse_the_usual_spellings(string name, int epsg)
    {
        Assert.True(Crs.TryParseEpsg(name, out var code));
        Assert.Equal(epsg, code);
    }

    [Fact]
    public void refuse_names_it_cannot_read() => Assert.False(Crs.TryParseEpsg("+proj=tmerc", out _));
}

public class name_normalizer_should
{
    [Fact]
    public void apply_nfkc_and_remove_all_whitespace() =>
        Assert.Equal("七尾市御祓地区コミュニティセンター1", NameNormalizer.Normalize(" 七尾市　御祓 地区ｺﾐｭﾆﾃｨｾﾝﾀｰ１\t"));
}

public class wareki_date_should
{
    [Theory]
    [InlineData("令和6年1月9日午後6時", "2024-01-09T09:00:00Z")]
    [InlineData("令和6年9月2日午後6時", "2024-09-02T09:00:00Z")]
    [InlineData("令和元年5月1日午前0時30分", "2019-04-30T15:30:00Z")]
    [InlineData("平成31年4月30日午後12時", "2019-04-30T03:00:00Z")]
    [InlineData("令和６年１月１日１６時１０分", "2024-01-01T07:10:00Z")]
    [InlineData("令和6年1月9日", "2024-01-08T15:00:00Z")]
    public void parse_era_dates_as_japan_time(string text, string utc)
    {
        Assert.True(WarekiDate.TryParse(text, out var t));
        Assert.Equal(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), t);
        Assert.Equal(TimeSpan.Zero, t.Offset);
    }

    [Fact]
    public void find_the_date_inside_a_column_header()
    {
        Assert.True(WarekiDate.TryFind("人数_令和6年1月9日午後6時時点", out var t));
        Assert.Equal(new DateTimeOffset(2024, 1, 9, 9, 0, 0, TimeSpan.Zero), t);
    }

    [Theory]
    [InlineData("2024年1月9日")]
    [InlineData("令和6年2月30日")]
    [InlineData("令和6年1月9日午後13時")]
    [InlineData("")]
    public void refuse_what_is_not_a_valid_era_date(string text) => Assert.False(WarekiDate.TryParse(text, out _));
}

public class municipality_directory_should
{
    private static readonly MunicipalityDirectory Directory = MunicipalityDirectory.LoadEmbedded();

    [Fact]
    public void load_every_prefecture_and_municipality_from_the_embedded_table()
    {
        Assert.Equal(1969, Directory.Count);
        Assert.Equal(47, Directory.Entries.Count(e => e.IsPrefecture));
    }

    [Fact]
    public void name_a_code_and_find_it_by_names()
    {
        var chiyoda = Directory.Get("131016")!;
        Assert.Equal(("東京都", "千代田区"), (chiyoda.Prefecture, chiyoda.Name));
        Assert.Equal("172022", Directory.Find("石川県", "七尾市")!.Code);
        Assert.Equal("131016", Directory.FindByFullName("東京都千代田区")!.Code);
        Assert.Equal("011011", Directory.FindByFullName("北海道札幌市中央区")!.Code);
    }

    [Fact]
    public void find_the_municipality_an_address_starts_with()
    {
        Assert.Equal("172022", Directory.FindByAddress("石川県七尾市本府中町ヲ３８")!.Code);
        Assert.Equal("105236", Directory.FindByAddress("群馬県邑楽郡千代田町赤岩")!.Code);
        Assert.Null(Directory.FindByAddress("架空県架空市"));
    }

    [Fact]
    public void read_a_table_given_as_text()
    {
        var d = new MunicipalityDirectory("# test\n130001\t東京都\t東京都\t\tprefecture\n13101\t東京都\t千代田区\n");
        Assert.Equal("千代田区", d.Get("131016")!.Name);
        Assert.Throws<FormatException>(() => new MunicipalityDirectory("131017\t東京都\t千代田区\n"));
    }
}
