using System.Text;

namespace DisasterHub.Core;

/// <summary>
/// Decodes a text document whose encoding the source does not declare (FIELDS §1): BOM first, then strict UTF-8,
/// then CP932 (Shift_JIS as Windows writes it), which is what Japanese spreadsheets save.
/// </summary>
public static class TextDecoding
{
    public const string Utf8 = "utf-8";
    public const string Utf8Bom = "utf-8-bom";
    public const string Utf16Le = "utf-16le";
    public const string Utf16Be = "utf-16be";
    public const string ShiftJis = "shift_jis";

    static TextDecoding() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>CP932 (Windows-31J).</summary>
    public static Encoding Cp932 => Encoding.GetEncoding(932);

    public static (string Text, string Encoding) Decode(ReadOnlySpan<byte> bytes)
    {
        var (skip, encoding, name) = Detect(bytes);
        return (encoding.GetString(bytes[skip..]), name);
    }

    /// <summary>
    /// BOM first, then UTF-8 (validated over the bytes, without decoding), then CP932: how many bytes of BOM to skip
    /// and what decodes the rest.
    /// </summary>
    private static (int Skip, Encoding Encoding, string Name) Detect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) return (3, Utf8Lenient, Utf8Bom);
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE) return (2, Encoding.Unicode, Utf16Le);
        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF) return (2, Encoding.BigEndianUnicode, Utf16Be);
        return System.Text.Unicode.Utf8.IsValid(bytes) ? (0, Utf8Lenient, Utf8) : (0, Cp932, ShiftJis);
    }

    private static readonly UTF8Encoding Utf8Lenient = new(false, false);

    /// <summary>
    /// The same decision as <see cref="Decode"/>, but as a reader over the bytes: the document is never held as one
    /// string (issue 16 §1).
    /// </summary>
    public static (TextReader Reader, string Encoding) OpenReader(ReadOnlyMemory<byte> bytes)
    {
        var (skip, encoding, name) = Detect(bytes.Span);
        return (Reader(bytes[skip..], encoding), name);
    }

    private static StreamReader Reader(ReadOnlyMemory<byte> bytes, Encoding encoding) =>
        new(new ReadOnlyMemoryStream(bytes), encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024);

    /// <summary>A read-only stream over memory the caller keeps (no copy).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Decodes a JSON document: UTF-8 only (RFC 8259 §8.1), a leading BOM ignored, strictly — no CP932 or replacement
    /// character fallback, so one invalid byte is refused with its offset instead of being read as mojibake.
    /// </summary>
    /// <exception cref="UnparseableDocumentException">at <c>byte N</c> (0-based offset into the document).</exception>
    public static (string Text, string Encoding) DecodeJson(ReadOnlySpan<byte> bytes)
    {
        var encoding = Utf8;
        var offset = 0;
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        {
            offset = 3;
            encoding = Utf8Bom;
        }
        else if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
            throw new UnparseableDocumentException("byte 0", "JSON must be UTF-8 (RFC 8259), not UTF-16 or UTF-32");
        var body = bytes[offset..];
        var chars = new char[body.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(body, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new UnparseableDocumentException($"byte {offset + read}",
                $"invalid UTF-8 at byte offset {offset + read} (0x{(offset + read < bytes.Length ? bytes[offset + read] : 0):X2}); JSON must be UTF-8 (RFC 8259)");
        return (new string(chars, 0, written), encoding);
    }

    /// <summary>
    /// Decodes a document head that may end in the middle of a multi-byte character (sniffing reads the first 64 KiB):
    /// up to 3 trailing bytes are dropped when that makes it valid UTF-8.
    /// </summary>
    public static (string Text, string Encoding) DecodeHead(ReadOnlySpan<byte> head)
    {
        var full = Decode(head);
        if (full.Encoding != ShiftJis) return full;
        for (var cut = 1; cut <= 3 && cut < head.Length; cut++)
        {
            var shorter = Decode(head[..^cut]);
            if (shorter.Encoding != ShiftJis) return shorter;
        }
        return full;
    }

    /// <summary>
    /// Decodes the first line only (up to the first LF), for sniffing a header from a document head that may have
    /// been cut in the middle of a multi-byte character.
    /// </summary>
    public static string DecodeFirstLine(ReadOnlySpan<byte> head)
    {
        var utf16 = head.Length >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF));
        if (utf16)
        {
            var text = Decode(head[..(head.Length & ~1)]).Text;
            var nl = text.IndexOf('\n', StringComparison.Ordinal);
            return nl < 0 ? text : text[..nl];
        }
        var end = head.IndexOf((byte)'\n');
        return (end < 0 ? DecodeHead(head) : Decode(head[..end])).Text.TrimEnd('\r');
    }
}
