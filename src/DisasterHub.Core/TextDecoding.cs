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

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    static TextDecoding() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>CP932 (Windows-31J).</summary>
    public static Encoding Cp932 => Encoding.GetEncoding(932);

    public static (string Text, string Encoding) Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            return (new UTF8Encoding(false, false).GetString(bytes[3..]), Utf8Bom);
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
            return (Encoding.Unicode.GetString(bytes[2..]), Utf16Le);
        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
            return (Encoding.BigEndianUnicode.GetString(bytes[2..]), Utf16Be);
        try
        {
            return (StrictUtf8.GetString(bytes), Utf8);
        }
        catch (DecoderFallbackException)
        {
            return (Cp932.GetString(bytes), ShiftJis);
        }
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
