using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DisasterHub.Core;

/// <summary>
/// Japanese-era dates as municipalities write them ("令和6年1月9日午後6時"), always Japan time (+09:00).
/// </summary>
public static partial class WarekiDate
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    [GeneratedRegex(@"(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*[（(]?[月火水木金土日][）)]?)?(?:\s*(午前|午後)?\s*(\d{1,2})\s*(?:時|:)\s*(?:(\d{1,2})\s*分?)?)?")]
    private static partial Regex Pattern();

    /// <summary>Parses a string that is just a 和暦 date (optionally followed by 時点/現在).</summary>
    public static bool TryParse(string? text, out DateTimeOffset utc)
    {
        utc = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Normalize(NormalizationForm.FormKC).Trim();
        var m = Pattern().Match(s);
        if (!m.Success || m.Index != 0) return false;
        var rest = s[m.Length..].Trim();
        if (rest.Length > 0 && rest is not ("時点" or "現在" or "時現在")) return false;
        return FromMatch(m, out utc);
    }

    /// <summary>Finds a 和暦 date anywhere in the text, e.g. in a header "人数_令和6年1月9日午後6時時点".</summary>
    public static bool TryFind(string? text, out DateTimeOffset utc)
    {
        utc = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = Pattern().Match(text.Normalize(NormalizationForm.FormKC));
        return m.Success && FromMatch(m, out utc);
    }

    private static bool FromMatch(Match m, out DateTimeOffset utc)
    {
        utc = default;
        var eraStart = m.Groups[1].Value switch { "令和" => 2018, "平成" => 1988, _ => 1925 };
        var eraYear = m.Groups[2].Value == "元" ? 1 : int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
        var hour = m.Groups[6].Success ? int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture) : 0;
        var minute = m.Groups[7].Success ? int.Parse(m.Groups[7].Value, CultureInfo.InvariantCulture) : 0;
        if (m.Groups[5].Success)
        {
            if (hour > 12) return false;
            if (hour == 12) hour = 0;
            if (m.Groups[5].Value == "午後") hour += 12;
        }
        if (eraYear < 1 || month is < 1 or > 12 || hour > 23 || minute > 59) return false;
        var year = eraStart + eraYear;
        if (day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        utc = new DateTimeOffset(year, month, day, hour, minute, 0, Jst).ToUniversalTime();
        return true;
    }
}
