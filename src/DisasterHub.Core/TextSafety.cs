using System.Text;

namespace DisasterHub.Core;

/// <summary>
/// Invisible formatting characters that make a name or headline read differently from what it is: zero-width
/// characters (U+200B–U+200F), bidirectional embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and a
/// BOM inside text (U+FEFF). The shared ingest checks strip them from every text field (<see cref="FormatRegistry"/>),
/// so no parser can forget it and no reader ever sees "evil\u202Etxt.exe" spoofing.
/// </summary>
public static class TextSafety
{
    public static bool IsHiddenControl(char c) =>
        c is (>= '\u200B' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\uFEFF';

    public static bool HasHiddenControl(string? s)
    {
        if (s is null) return false;
        foreach (var c in s)
            if (IsHiddenControl(c)) return true;
        return false;
    }

    /// <summary>The text without hidden controls (the same instance when there are none).</summary>
    public static string? Strip(string? s)
    {
        if (!HasHiddenControl(s)) return s;
        var sb = new StringBuilder(s!.Length);
        foreach (var c in s)
            if (!IsHiddenControl(c)) sb.Append(c);
        return sb.ToString();
    }
}

/// <summary>
/// CSV cells for export (CWE-1236, "CSV injection"): a spreadsheet runs a cell starting with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, a tab or a carriage return as a formula, so such a cell is prefixed with <c>'</c>; cells are
/// quoted per RFC 4180 when needed. Every CSV the hub writes goes through <see cref="Cell"/>.
/// </summary>
public static class CsvCell
{
    /// <summary>The value with a leading <c>'</c> when a spreadsheet would read it as a formula.</summary>
    public static string Neutralize(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        return value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
    }

    /// <summary>Neutralized and, when it holds a separator, quote or line break, quoted with doubled quotes.</summary>
    public static string Cell(string? value, char separator = ',')
    {
        var v = Neutralize(value);
        return v.IndexOfAny([separator, '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }

    /// <summary>One CSV line (no line end) of neutralized cells.</summary>
    public static string Line(IEnumerable<string?> values, char separator = ',') =>
        string.Join(separator, values.Select(v => Cell(v, separator)));
}
