using System.Text;

namespace DisasterHub.Core;

/// <summary>Normalizes names for keys: NFKC (full-width digits and letters, half-width kana) and no whitespace.</summary>
/// <remarks>Two sources spell "七尾市 御祓 地区ｺﾐｭﾆﾃｨｾﾝﾀｰ" differently; the entity key must not care.</remarks>
public static class NameNormalizer
{
    public static string Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "";
        var nfkc = Ascii.IsValid(name) ? name : name.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(nfkc.Length);
        foreach (var c in nfkc)
            if (!char.IsWhiteSpace(c) && c != '\u200B' && c != '\uFEFF') sb.Append(c);
        return sb.ToString();
    }
}
