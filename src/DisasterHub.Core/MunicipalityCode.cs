using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DisasterHub.Core;

/// <summary>全国地方公共団体コード: 6 digits, the last a check digit (FIELDS §8).</summary>
public static partial class MunicipalityCode
{
    [GeneratedRegex(@"^(\d{1,6})(?:\.0*)?$")]
    private static partial Regex Digits();

    /// <summary>Check digit of a 5-digit code: r = Σ dᵢ·(6,5,4,3,2) mod 11, digit = (11 − r) mod 10.</summary>
    public static int CheckDigit(string five)
    {
        if (five is null || five.Length != 5 || !five.All(char.IsAsciiDigit))
            throw new ArgumentException("expected 5 ASCII digits", nameof(five));
        var sum = 0;
        for (var i = 0; i < 5; i++) sum += (five[i] - '0') * (6 - i);
        return (11 - sum % 11) % 10;
    }

    public static bool IsPrefecture(int code) => code is >= 1 and <= 47;

    private static bool HasPrefecture(string digits) =>
        IsPrefecture(int.Parse(digits.AsSpan(0, 2), CultureInfo.InvariantCulture));

    /// <summary>
    /// Repairs what spreadsheets do to codes: a missing check digit ("13101"), a lost leading zero ("92011" for
    /// 092011, "1101" for 01101), float formatting ("92011.0"). A 6-digit code must carry the right check digit.
    /// </summary>
    public static bool TryNormalize(string? raw, out string code6, out string? error)
    {
        code6 = "";
        error = null;
        var s = raw?.Normalize(NormalizationForm.FormKC).Trim() ?? "";
        if (s.Length == 0)
        {
            error = "municipality code is empty";
            return false;
        }
        string d;
        // the usual spelling, plain digits, without a regex match per record (every row of a registry comes here)
        if (s.Length <= 6 && s.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            d = s;
        }
        else
        {
            var m = Digits().Match(s);
            if (!m.Success)
            {
                error = $"municipality code {raw}: not a number";
                return false;
            }
            d = m.Groups[1].Value;
        }
        switch (d.Length)
        {
            case 6:
                return Verify(d, raw!, out code6, out error);
            case 5 when HasPrefecture(d):
                code6 = d + CheckDigit(d).ToString(CultureInfo.InvariantCulture);
                return true;
            case 5:
                // A 6-digit code that lost its leading zero (092011 → 92011): only the check digit tells.
                var padded = "0" + d;
                if (HasPrefecture(padded) && padded[5] - '0' == CheckDigit(padded[..5]))
                {
                    code6 = padded;
                    return true;
                }
                error = $"municipality code {raw}: {d[..2]} is not a prefecture code and 0{d} fails the check digit";
                return false;
            case 4:
                var five = "0" + d;
                if (!HasPrefecture(five))
                {
                    error = $"municipality code {raw}: not a prefecture code";
                    return false;
                }
                code6 = five + CheckDigit(five).ToString(CultureInfo.InvariantCulture);
                return true;
            default:
                error = $"municipality code {raw}: too short";
                return false;
        }
    }

    private static bool Verify(string d, string raw, out string code6, out string? error)
    {
        code6 = "";
        error = null;
        if (!HasPrefecture(d))
        {
            error = $"municipality code {raw}: {d[..2]} is not a prefecture code";
            return false;
        }
        var expected = CheckDigit(d[..5]);
        if (d[5] - '0' != expected)
        {
            error = $"municipality code {d}: check digit should be {expected}";
            return false;
        }
        code6 = d;
        return true;
    }

    /// <summary>The 5-digit code inside a GSI 共通ID ("E1310100005201" → "13101"), or null.</summary>
    public static string? FromCommonId(string? commonId)
    {
        if (commonId is null || commonId.Length < 6) return null;
        var five = commonId.Substring(1, 5);
        return five.All(char.IsAsciiDigit) ? five : null;
    }
}
