using System.Text;
using DisasterHub.Adapters.Shelters;
using DisasterHub.Testing;

namespace DisasterHub.Core.Tests;

/// <summary>
/// Issue 16 §1: a national registry is read in batches, as it is decoded and split — never one string or one list. The
/// CSV reader over a reader that hands out a few characters at a time must read exactly what was written, and a
/// batched parser must hand over its first batches before it has read the rest of the document.
/// </summary>
public sealed class batched_reading_should
{
    /// <summary>A reader that returns at most a few characters per call (refills at every possible boundary).</summary>
    private sealed class Trickle(string text, int seed) : TextReader
    {
        private readonly Random _random = new(seed);
        private int _pos;

        public override int Read(char[] buffer, int index, int count)
        {
            var n = Math.Min(Math.Min(count, _random.Next(1, 8)), text.Length - _pos);
            text.CopyTo(_pos, buffer, index, n);
            _pos += n;
            return n;
        }

        public override int Read() => _pos < text.Length ? text[_pos++] : -1;
    }

    private static string Quote(string field) =>
        field.IndexOfAny(['"', ',', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    [Fact]
    public void read_what_was_written_across_every_buffer_boundary()
    {
        // fields with quotes, separators, CR, LF and CRLF inside, and Japanese text, written by RFC 4180's rules; long
        // enough (≈ 300 KB) to cross the reader's 16 K buffer many times
        var random = new Random(16);
        string[] pieces = ["避難所", "a", "\"", ",", "\r\n", "\n", "\r", " ", "x\"y", "長い名前の施設"];
        var written = new List<string[]>();
        var text = new StringBuilder();
        var expectedLines = new List<int>();
        var line = 1;
        for (var r = 0; r < 3000; r++)
        {
            var fields = Enumerable.Range(0, 6).Select(_ =>
                string.Concat(Enumerable.Range(0, random.Next(0, 12)).Select(_ => pieces[random.Next(pieces.Length)]))).ToArray();
            if (fields.All(f => f.Trim().Length == 0)) fields[0] = "z";
            written.Add(fields);
            expectedLines.Add(line);
            line += fields.Sum(f => f.Count(c => c == '\n') + f.Replace("\r\n", "", StringComparison.Ordinal).Count(c => c == '\r')) + 1;
            text.Append(string.Join(',', fields.Select(Quote))).Append(r % 3 == 0 ? "\r\n" : "\n");
        }
        for (var seed = 0; seed < 3; seed++)
        {
            var rows = CsvReader.Read(new Trickle(text.ToString(), seed)).ToList();
            Assert.Equal(written.Count, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                Assert.Equal(written[i], rows[i].Fields);
                Assert.Equal(expectedLines[i], rows[i].Line);
            }
        }
    }

    [Fact]
    public void refuse_an_unterminated_quote_and_an_overlong_record_at_their_line_when_reading_reaches_them()
    {
        var text = "a,b\n1,2\n" + new string('x', 40_000) + "\n3,\"open\nnever closed";
        using var rows = CsvReader.Read(new Trickle(text, 1), new CsvLimits(MaxRecordChars: 100_000)).GetEnumerator();
        Assert.True(rows.MoveNext());
        Assert.True(rows.MoveNext());
        Assert.True(rows.MoveNext());
        Assert.Equal(40_000, rows.Current.Fields[0].Length);
        var e = Assert.Throws<UnparseableDocumentException>(() => rows.MoveNext());
        Assert.Equal("line 4", e.At);

        var tooLong = CsvReader.Read(new Trickle("a\n" + new string('y', 5000) + "\n", 2), new CsvLimits(MaxRecordChars: 1000)).GetEnumerator();
        Assert.True(tooLong.MoveNext());
        Assert.Equal("line 2", Assert.Throws<UnparseableDocumentException>(() => tooLong.MoveNext()).At);
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF }, "utf-8-bom")]
    [InlineData(new byte[0], "utf-8")]
    public void decode_as_the_whole_document_decoder_does(byte[] prefix, string encoding)
    {
        var body = prefix.Concat(Encoding.UTF8.GetBytes("名前,緯度\n避難所,37.0\n")).ToArray();
        var (reader, found) = TextDecoding.OpenReader(body);
        Assert.Equal(encoding, found);
        Assert.Equal(TextDecoding.Decode(body).Text, reader.ReadToEnd());

        var sjis = TextDecoding.Cp932.GetBytes("名前,緯度\n避難所,37.0\n");
        var (sjisReader, sjisFound) = TextDecoding.OpenReader(sjis);
        Assert.Equal((TextDecoding.Decode(sjis).Text, TextDecoding.ShiftJis), (sjisReader.ReadToEnd(), sjisFound));
    }

    private static byte[] Registry(int rows, string? tail = null)
    {
        var sb = new StringBuilder("NO,市町村コード,施設・場所名,住所,緯度,経度\n");
        for (var i = 1; i <= rows; i++)
        {
            var no = i == 20 ? 3 : i;                        // line 21 repeats line 4's id
            var lat = i == 4 ? "abc" : $"{37.0 + i * 0.001:0.000}"; // line 5: not a number
            sb.Append($"{no},172022,分割試験避難所{i},石川県七尾市試験町{i},{lat},{136.9 + i * 0.001:0.000}\n");
        }
        return Encoding.UTF8.GetBytes(sb + (tail ?? ""));
    }

    [Fact]
    public void hand_over_batches_that_add_up_to_the_whole_document_and_find_duplicates_across_them()
    {
        var parser = new GsiShelterCsvParser();
        var body = Registry(23);
        var context = Fixtures.Context("registry.csv");
        var batches = parser.ParseBatches(body, context, 5).ToList();
        // rows counted as read (records and rejections): 5 per batch, then the rest
        Assert.Equal([5, 5, 5, 5, 3], batches.Select(b => b.Records.Count + b.Rejections.Count));
        var whole = parser.Parse(body, context);
        Assert.Equal(whole.Records.Select(r => r.SourceKey), batches.SelectMany(b => b.Records).Select(r => r.SourceKey));
        Assert.Equal(whole.Rejections.Select(r => (r.At, r.Reason)), batches.SelectMany(b => b.Rejections).Select(r => (r.At, r.Reason)));
        Assert.Equal(["line 5", "line 21"], whole.Rejections.Select(r => r.At));
        Assert.Equal("duplicate id '3' (first at line 4)", whole.Rejections[1].Reason);
    }

    [Fact]
    public void hand_over_the_first_batches_before_reading_a_broken_end()
    {
        var parser = new GsiShelterCsvParser();
        var body = Registry(12, "13,172022,\"壊れた行,石川県七尾市\n");
        using var batches = parser.ParseBatches(body, Fixtures.Context("registry.csv"), 5).GetEnumerator();
        Assert.True(batches.MoveNext());
        Assert.True(batches.MoveNext());
        Assert.Equal(5, batches.Current.Records.Count + batches.Current.Rejections.Count);
        var e = Assert.Throws<UnparseableDocumentException>(() => batches.MoveNext());
        Assert.Equal("line 14", e.At);
        // the whole-document path refuses the same document at the same line
        Assert.Equal("line 14", Assert.Throws<UnparseableDocumentException>(() => parser.Parse(body, Fixtures.Context("registry.csv"))).At);
    }

    [Fact]
    public void read_the_digital_agency_sample_in_batches_as_a_whole()
    {
        var parser = new DaShelterCsvParser();
        foreach (var file in SampleFiles.In("shelters-digital-agency").Where(f => f.EndsWith(".csv", StringComparison.Ordinal)))
        {
            var body = SampleFiles.Read(file);
            var context = Fixtures.Context(Path.GetFileName(file));
            var whole = parser.Parse(body, context);
            var batches = parser.ParseBatches(body, context, 3).ToList();
            Assert.True(batches.Count > 1, file);
            Assert.Equal(whole.Records.Select(r => (r.SourceKey, r.Geometry!.AsText(), r.Attrs.ToJsonString())),
                batches.SelectMany(b => b.Records).Select(r => (r.SourceKey, r.Geometry!.AsText(), r.Attrs.ToJsonString())));
            Assert.Equal(whole.Rejections.Select(r => (r.At, r.Reason)), batches.SelectMany(b => b.Rejections).Select(r => (r.At, r.Reason)));
        }
    }
}
