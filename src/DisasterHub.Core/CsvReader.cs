using System.Text;

namespace DisasterHub.Core;

/// <summary>One CSV record and the 1-based physical line it starts on (the header is line 1).</summary>
public sealed record CsvRow(int Line, IReadOnlyList<string> Fields)
{
    public string this[int index] => index < Fields.Count ? Fields[index] : "";
}

/// <summary>Bounds that keep a hostile or broken file from taking unbounded memory.</summary>
public sealed record CsvLimits(int MaxRecordChars = 64 * 1024, int MaxColumns = 1000, int MaxRows = 2_000_000)
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
    public static IEnumerable<CsvRow> Read(string text, CsvLimits? limits = null, char separator = ',') =>
        Read(new StringReader(text), limits, separator);

    /// <summary>
    /// Reads records as the reader yields characters (issue 16 §1: a national file is never held as one string): only
    /// the record being read is in memory. Rows are produced lazily; an error is thrown when its line is reached.
    /// </summary>
    public static IEnumerable<CsvRow> Read(TextReader reader, CsvLimits? limits = null, char separator = ',')
    {
        limits ??= CsvLimits.Default;
        var src = new CharCursor(reader);
        var line = 1;
        var rows = 0;
        var field = new StringBuilder();
        // each record's list at the width of the one before: a 16-column registry's rows grew theirs 4 → 8 → 16, three
        // arrays thrown away per row
        var width = 4;
        while (src.Peek() >= 0)
        {
            var startLine = line;
            var recordStart = src.Position;
            var fields = new List<string>(width);
            var endOfRecord = false;
            while (!endOfRecord)
            {
                field.Clear();
                if (src.Peek() == '"')
                {
                    src.Advance();
                    while (true)
                    {
                        var c = src.Peek();
                        if (c < 0)
                            throw new UnparseableDocumentException($"line {startLine}", $"unterminated quoted field (opened on line {line})");
                        if (c == '"')
                        {
                            if (src.PeekNext() == '"')
                            {
                                field.Append('"');
                                src.Advance(2);
                                continue;
                            }
                            src.Advance();
                            break;
                        }
                        if (c == '\r' && src.PeekNext() == '\n')
                        {
                            field.Append("\r\n");
                            src.Advance(2);
                            line++;
                            CheckLength(src.Position - recordStart, startLine, limits);
                            continue;
                        }
                        if (c == '\r' || c == '\n') line++;
                        field.Append((char)c);
                        src.Advance();
                        CheckLength(src.Position - recordStart, startLine, limits);
                    }
                }
                // an unquoted field up to the separator; lenient after a closing quote too: the text is appended ("a"b → a"b)
                var max = limits.MaxRecordChars + 1 - (int)Math.Min(int.MaxValue, src.Position - recordStart);
                if (field.Length == 0 && src.TryTakeUntil(separator, max) is { } whole)
                {
                    // the common case, a whole unquoted field in the buffer: made straight from it, without the builder
                    CheckLength(src.Position - recordStart, startLine, limits);
                    fields.Add(whole);
                }
                else
                {
                    src.AppendUntil(field, separator, max);
                    CheckLength(src.Position - recordStart, startLine, limits);
                    fields.Add(field.ToString());
                }
                if (fields.Count > limits.MaxColumns)
                    throw new UnparseableDocumentException($"line {startLine}", $"more than {limits.MaxColumns} columns");
                var end = src.Peek();
                if (end < 0)
                {
                    endOfRecord = true;
                }
                else if (end == separator)
                {
                    src.Advance();
                }
                else
                {
                    src.Advance(end == '\r' && src.PeekNext() == '\n' ? 2 : 1);
                    line++;
                    endOfRecord = true;
                }
            }
            if (++rows > limits.MaxRows)
                throw new UnparseableDocumentException($"line {startLine}", $"more than {limits.MaxRows} rows");
            width = fields.Count;
            yield return new CsvRow(startLine, fields);
        }
    }

    private static void CheckLength(long length, int line, CsvLimits limits)
    {
        if (length > limits.MaxRecordChars)
            throw new UnparseableDocumentException($"line {line}", $"record longer than {limits.MaxRecordChars} characters");
    }

    /// <summary>True when every field is empty (a blank line, or ",,,,").</summary>
    public static bool IsBlank(CsvRow row)
    {
        // by index: a foreach over the list's interface boxes an enumerator for every row
        var fields = row.Fields;
        for (var i = 0; i < fields.Count; i++)
            if (!string.IsNullOrWhiteSpace(fields[i])) return false;
        return true;
    }

    /// <summary>A window of the reader's characters with one character of look-ahead past the current one.</summary>
    private sealed class CharCursor(TextReader reader)
    {
        private readonly char[] _buffer = new char[16 * 1024];
        private int _start;
        private int _end;
        private long _consumed;
        private bool _eof;

        /// <summary>Characters consumed so far.</summary>
        public long Position => _consumed + _start;

        public int Peek() => Fill(1) ? _buffer[_start] : -1;

        public int PeekNext() => Fill(2) ? _buffer[_start + 1] : -1;

        public void Advance(int n = 1) => _start += n;

        /// <summary>One-character ASCII fields ("1", "0", flags), made once: a registry's cells are mostly these.</summary>
        private static readonly string[] Ascii = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

        /// <summary>
        /// The characters up to (not including) the separator, CR or LF when they end within the buffered characters and
        /// number fewer than <paramref name="max"/>; null otherwise (nothing is consumed, and the caller appends as before).
        /// </summary>
        public string? TryTakeUntil(char separator, int max)
        {
            if (!Fill(1)) return null;
            var span = _buffer.AsSpan(_start, _end - _start);
            var stop = span.IndexOfAny(separator, '\r', '\n');
            if (stop < 0 || stop >= max) return null;
            _start += stop;
            return stop switch
            {
                0 => "",
                1 when span[0] < 128 => Ascii[span[0]],
                _ => new string(span[..stop]),
            };
        }

        /// <summary>Appends characters up to (not including) the separator, CR, LF or the end, at most <paramref name="max"/>
        /// of them (the caller's length check then refuses the record).</summary>
        public void AppendUntil(StringBuilder into, char separator, int max)
        {
            while (max > 0 && Fill(1))
            {
                var span = _buffer.AsSpan(_start, Math.Min(_end - _start, max));
                var stop = span.IndexOfAny(separator, '\r', '\n');
                var take = stop < 0 ? span.Length : stop;
                into.Append(span[..take]);
                _start += take;
                max -= take;
                if (stop >= 0) return;
            }
        }

        /// <summary>Whether at least <paramref name="n"/> characters are buffered (reading more when needed).</summary>
        private bool Fill(int n)
        {
            if (_end - _start >= n) return true;
            if (_eof) return false;
            var left = _end - _start;
            Array.Copy(_buffer, _start, _buffer, 0, left);
            _consumed += _start;
            _start = 0;
            _end = left;
            while (_end < n || _end < _buffer.Length / 2)
            {
                var read = reader.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0)
                {
                    _eof = true;
                    break;
                }
                _end += read;
            }
            return _end - _start >= n;
        }
    }
}
