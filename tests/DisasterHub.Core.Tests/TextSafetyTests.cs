using System.Text;
using DisasterHub.Core;

namespace DisasterHub.Core.Tests;

public sealed class csv_cell_should
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")")]
    [InlineData("+81-3-1234", "'+81-3-1234")]
    [InlineData("-1+1", "'-1+1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("\rcmd", "'\rcmd")]
    [InlineData("七尾市", "七尾市")]
    [InlineData("12", "12")]
    [InlineData("", "")]
    public void prefix_formula_starts_with_a_quote(string value, string expected) => Assert.Equal(expected, CsvCell.Neutralize(value));

    [Fact]
    public void quote_cells_with_separators_quotes_and_line_breaks_after_neutralizing()
    {
        Assert.Equal("\"'=1,2\"", CsvCell.Cell("=1,2"));
        Assert.Equal("\"a\"\"b\"", CsvCell.Cell("a\"b"));
        Assert.Equal("\"a\nb\"", CsvCell.Cell("a\nb"));
        Assert.Equal("id,'=cmd|' /C calc'!A0,", CsvCell.Line(["id", "=cmd|' /C calc'!A0", null]));
    }
}

public sealed class text_safety_should
{
    [Fact]
    public void strip_bidi_controls_zero_width_characters_and_inner_boms()
    {
        foreach (var c in new[] { '\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\uFEFF' })
            Assert.Equal("ab", TextSafety.Strip($"a{c}b"));
        Assert.Equal("七尾市", TextSafety.Strip("七尾市"));
        Assert.Null(TextSafety.Strip(null));
    }
}

public sealed class json_decoding_should
{
    [Fact]
    public void refuse_an_invalid_utf8_byte_with_its_offset_instead_of_falling_back_to_cp932()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"name\":\"七尾X\"}");
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0x82; // lone continuation byte
        var e = Assert.Throws<UnparseableDocumentException>(() => TextDecoding.DecodeJson(bytes));
        Assert.Equal($"byte {at}", e.At);
        Assert.Throws<UnparseableDocumentException>(() => TextDecoding.DecodeJson(TextDecoding.Cp932.GetBytes("{\"name\":\"七尾市\"}")));
    }

    [Fact]
    public void read_utf8_with_or_without_a_bom_and_refuse_utf16()
    {
        Assert.Equal(("{}", TextDecoding.Utf8), TextDecoding.DecodeJson("{}"u8));
        Assert.Equal(("{}", TextDecoding.Utf8Bom), TextDecoding.DecodeJson([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}']));
        Assert.Throws<UnparseableDocumentException>(() => TextDecoding.DecodeJson([0xFF, 0xFE, (byte)'{', 0, (byte)'}', 0]));
    }
}
