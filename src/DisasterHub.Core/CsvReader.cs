using System.Text;

namespace DisasterHub.Core;

/// <summary>One CSV record and the 1-based physical line it starts on (the header is line 1).</summary>
public sealed record CsvRow(int Line, IReadOnlyList<string> Fields)
{
    public string this[int index] => index < Fields.Count ? Fields[index] : "";
}

/// <summary>Bounds that keep a hostile or broken file from taking unbounded memory.</summary>
public sealed record CsvLimits(int MaxRecordChars = 64 * 1024, int MaxColumns = 1000, int MaxRows = 1_000_000)
{
    public static readonly CsvLimits Default = new();
}

/// <summary>
/// RFC 4180 reader: quoted fields, doubled quotes, line breaks inside quotes, CRLF, LF or CR line ends. Leniency where
/// real files need it: a quote inside an unquoted field is kept as text; a trailing empty line is ignored.
/// </summary>
/// <remarks>Errors that make the rest of the file unreadable (an unterminated quote, a limit) throw
/// <see cref="UnparseableDocumentException"/> with the line, rather than guessing where records end.</remarks>
public static class CsvReader
{
    public static IEnumerable<CsvRow> Read(string text, CsvLimits? limits = null, char separator = ',')
    {
        limits ??= CsvLimits.Default;
        var pos = 0;
        var line = 1;
        var rows = 0;
        var field = new StringBuilder();
        while (pos < text.Length)
        {
            var startLine = line;
            var recordStart = pos;
            var fields = new List<string>();
            var endOfRecord = false;
            while (!endOfRecord)
            {
                field.Clear();
                if (pos < text.Length && text[pos] == '"')
                {
                    pos++;
                    while (true)
                    {
                        if (pos >= text.Length)
                            throw new UnparseableDocumentException($"line {startLine}", $"unterminated quoted field (opened on line {line})");
                        var c = text[pos];
                        if (c == '"')
                        {
                            if (pos + 1 < text.Length && text[pos + 1] == '"')
                            {
                                field.Append('"');
                                pos += 2;
                                continue;
                            }
                            pos++;
                            break;
                        }
                        if (c == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n')
                        {
                            field.Append("\r\n");
                            pos += 2;
                            line++;
                            CheckLength(pos - recordStart, startLine, limits);
                            continue;
                        }
                        if (c == '\r' || c == '\n') line++;
                        field.Append(c);
                        pos++;
                        CheckLength(pos - recordStart, startLine, limits);
                    }
                    // Lenient: text after the closing quote up to the separator is appended ("a"b → a"b).
                    while (pos < text.Length && text[pos] != separator && text[pos] != '\r' && text[pos] != '\n')
                        field.Append(text[pos++]);
                }
                else
                {
                    while (pos < text.Length && text[pos] != separator && text[pos] != '\r' && text[pos] != '\n')
                        field.Append(text[pos++]);
                }
                CheckLength(pos - recordStart, startLine, limits);
                fields.Add(field.ToString());
                if (fields.Count > limits.MaxColumns)
                    throw new UnparseableDocumentException($"line {startLine}", $"more than {limits.MaxColumns} columns");
                if (pos >= text.Length)
                {
                    endOfRecord = true;
                }
                else if (text[pos] == separator)
                {
                    pos++;
                }
                else
                {
                    pos += text[pos] == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n' ? 2 : 1;
                    line++;
                    endOfRecord = true;
                }
            }
            if (++rows > limits.MaxRows)
                throw new UnparseableDocumentException($"line {startLine}", $"more than {limits.MaxRows} rows");
            yield return new CsvRow(startLine, fields);
        }
    }

    private static void CheckLength(int length, int line, CsvLimits limits)
    {
        if (length > limits.MaxRecordChars)
            throw new UnparseableDocumentException($"line {line}", $"record longer than {limits.MaxRecordChars} characters");
    }

    /// <summary>True when every field is empty (a blank line, or ",,,,").</summary>
    public static bool IsBlank(CsvRow row) => row.Fields.All(f => f.Trim().Length == 0);
}
