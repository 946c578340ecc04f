using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DisasterHub.Core;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;

namespace DisasterHub.Adapters.Alerts;

/// <summary>Namespace URIs of the alerting formats.</summary>
public static class AlertNamespaces
{
    public const string Cap12 = "urn:oasis:names:tc:emergency:cap:1.2";
    public const string Cap11 = "urn:oasis:names:tc:emergency:cap:1.1";
    public const string EdxlDe = "urn:oasis:names:tc:emergency:EDXL:DE:1.0";
    public const string Atom = "http://www.w3.org/2005/Atom";
    public const string Soap11 = "http://schemas.xmlsoap.org/soap/envelope/";

    /// <summary>公共情報コモンズ EDXL extension (targetArea, contentObject, jisX0402, areaName, category …).</summary>
    public const string Commons = "http://xml.publiccommons.ne.jp/xml/edxl/";

    /// <summary>Every publiccommons namespace starts with this host (pcxml1/3, pcxml1/4, pcxml1/body/evacuation4 …).</summary>
    public const string PublicCommonsHost = "xml.publiccommons.ne.jp";

    public const string PcxmlPrefix = "http://xml.publiccommons.ne.jp/pcxml1/";

    public static bool IsCap(XNamespace ns) => ns.NamespaceName is Cap12 or Cap11;
}

/// <summary>Small helpers shared by the alert parsers: sniffing, element lookup, times and geometry text.</summary>
internal static partial class AlertXml
{
    internal static readonly GeometryFactory Factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    [GeneratedRegex(@"<(?![?!/])(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")]
    private static partial Regex StartTag();

    /// <summary>The decoded head (ASCII-safe for markup whatever the encoding).</summary>
    internal static string HeadText(ReadOnlySpan<byte> head) => TextDecoding.DecodeHead(head).Text;

    /// <summary>The local name of the first element in the head, skipping the declaration, PIs and comments.</summary>
    internal static string? RootLocalName(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var lt = text.IndexOf('<', i);
            if (lt < 0) return null;
            if (string.CompareOrdinal(text, lt, "<!--", 0, 4) == 0)
            {
                var end = text.IndexOf("-->", lt + 4, StringComparison.Ordinal);
                if (end < 0) return null;
                i = end + 3;
                continue;
            }
            if (lt + 1 < text.Length && (text[lt + 1] == '?' || text[lt + 1] == '!'))
            {
                var end = text.IndexOf('>', lt + 1);
                if (end < 0) return null;
                i = end + 1;
                continue;
            }
            var m = StartTag().Match(text, lt);
            return m.Success && m.Index == lt ? m.Groups[1].Value : null;
        }
        return null;
    }

    /// <summary>The declared encoding (lower case) or "utf-8"; "utf-8-bom" when the bytes start with a BOM.</summary>
    internal static string EncodingOf(XDocument doc, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) return TextDecoding.Utf8Bom;
        var declared = doc.Declaration?.Encoding;
        return string.IsNullOrWhiteSpace(declared) ? TextDecoding.Utf8 : declared.Trim().ToLowerInvariant();
    }

    internal static XElement? Child(XElement? e, string localName) =>
        e?.Elements().FirstOrDefault(c => c.Name.LocalName == localName);

    internal static IEnumerable<XElement> Children(XElement? e, string localName) =>
        e is null ? [] : e.Elements().Where(c => c.Name.LocalName == localName);

    /// <summary>Trimmed text of the first child with that local name; null when absent or blank.</summary>
    internal static string? Text(XElement? e, string localName) => Text(Child(e, localName));

    internal static string? Text(XElement? e)
    {
        if (e is null) return null;
        var v = e.Value.Trim();
        return v.Length == 0 ? null : v;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(?:Z|[+-]\d{2}:\d{2})$")]
    internal static partial Regex ZonedDateTime();

    /// <summary>An xs:dateTime that carries its zone, in UTC; null when missing or without zone.</summary>
    internal static DateTimeOffset? Zoned(string? text)
    {
        if (text is null || !ZonedDateTime().IsMatch(text)) return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToUniversalTime() : null;
    }

    /// <summary>As <see cref="Zoned"/>, but a time without zone is read as JST (+09:00), for domestic formats that say so.</summary>
    internal static DateTimeOffset? ZonedOrJst(string? text)
    {
        if (text is null) return null;
        if (Zoned(text) is { } z) return z;
        if (!DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return null;
        return new DateTimeOffset(local, TimeSpan.FromHours(9)).ToUniversalTime();
    }

    internal static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static bool TryNumber(string s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);

    internal static int? Count(string? text)
    {
        if (text is null) return null;
        var s = text.Normalize(System.Text.NormalizationForm.FormKC).Replace(",", "", StringComparison.Ordinal).Trim();
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}

/// <summary>
/// CAP / EDXL-DE area geometry: <c>polygon</c> "lat,lon lat,lon …" (first = last) and <c>circle</c> "lat,lon radius"
/// (radius in km). Note the latitude comes first; NTS coordinates are (x = lon, y = lat).
/// </summary>
public static class AreaGeometry
{
    /// <summary>Vertices of the polygon that stands for a circle with a radius.</summary>
    public const int CircleSegments = 32;

    private const double EarthRadiusKm = 6371.0088;

    private static readonly char[] Separators = [' ', '\t', '\r', '\n'];

    /// <summary>Parses a CAP polygon. Tolerates a stray comma after a pair ("+40.85,-118.09,") and closes an open ring.</summary>
    public static bool TryPolygon(string text, out Geometry? polygon, out string error)
    {
        polygon = null;
        var coords = new List<Coordinate>();
        foreach (var token in text.Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = token.Split(',', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !AlertXml.TryNumber(parts[0], out var lat) || !AlertXml.TryNumber(parts[1], out var lon))
            {
                error = $"'{token}' is not a lat,lon pair";
                return false;
            }
            if (!InRange(lat, lon, out error)) return false;
            coords.Add(new Coordinate(lon, lat));
        }
        if (coords.Count > 0 && !coords[0].Equals2D(coords[^1])) coords.Add(coords[0].Copy());
        if (coords.Count < 4)
        {
            error = $"a polygon needs at least 4 points (first = last), got {coords.Count}";
            return false;
        }
        polygon = AlertXml.Factory.CreatePolygon(coords.ToArray());
        error = "";
        return true;
    }

    /// <summary>
    /// Parses a circle "lat,lon radius" (CAP, EDXL-DE) or "lat,lon,radius" (公共情報コモンズ). Radius in km; 0 gives
    /// the centre point, otherwise a <see cref="CircleSegments"/>-gon on the sphere.
    /// </summary>
    public static bool TryCircle(string text, out Geometry? geometry, out string error)
    {
        geometry = null;
        var parts = text.Split([',', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3 || !AlertXml.TryNumber(parts[0], out var lat) || !AlertXml.TryNumber(parts[1], out var lon))
        {
            error = $"'{text}' is not 'lat,lon radius'";
            return false;
        }
        var radius = 0.0;
        if (parts.Length == 3 && (!AlertXml.TryNumber(parts[2], out radius) || radius < 0))
        {
            error = $"'{text}': radius must be a non-negative number of km";
            return false;
        }
        if (!InRange(lat, lon, out error)) return false;
        geometry = radius == 0 ? AlertXml.Factory.CreatePoint(new Coordinate(lon, lat)) : CirclePolygon(lat, lon, radius);
        return true;
    }

    /// <summary>A circle as a polygon of <see cref="CircleSegments"/> vertices (great-circle destination points).</summary>
    public static Polygon CirclePolygon(double lat, double lon, double radiusKm)
    {
        var φ1 = lat * Math.PI / 180;
        var λ1 = lon * Math.PI / 180;
        var δ = radiusKm / EarthRadiusKm;
        var ring = new Coordinate[CircleSegments + 1];
        for (var k = 0; k < CircleSegments; k++)
        {
            var θ = 2 * Math.PI * k / CircleSegments;
            var φ2 = Math.Asin(Math.Sin(φ1) * Math.Cos(δ) + Math.Cos(φ1) * Math.Sin(δ) * Math.Cos(θ));
            var λ2 = λ1 + Math.Atan2(Math.Sin(θ) * Math.Sin(δ) * Math.Cos(φ1), Math.Cos(δ) - Math.Sin(φ1) * Math.Sin(φ2));
            ring[k] = new Coordinate(Math.Round(λ2 * 180 / Math.PI, 7), Math.Round(φ2 * 180 / Math.PI, 7));
        }
        ring[CircleSegments] = ring[0].Copy();
        // Points go round clockwise from north (bearing order); make the shell counter-clockwise as OGC prefers.
        Array.Reverse(ring);
        return AlertXml.Factory.CreatePolygon(ring);
    }

    /// <summary>
    /// One geometry for several areas: the single one, or their union (valid where a MultiPolygon may not be). A part
    /// that is not valid (a self-intersecting "bow-tie" ring, as hand-drawn alert areas often are) is repaired first
    /// with NTS <see cref="GeometryFixer"/>, which keeps the area it encloses; the union of valid parts cannot throw, so
    /// one bad polygon no longer loses the alert's other areas.
    /// </summary>
    public static Geometry? Combine(IReadOnlyList<Geometry> parts)
    {
        if (parts.Count == 0) return null;
        var valid = parts.Select(p => p.IsValid ? p : GeometryFixer.Fix(p)).Where(p => !p.IsEmpty).ToList();
        return valid.Count switch
        {
            0 => parts[0],
            1 => valid[0],
            _ => Union(AlertXml.Factory.BuildGeometry(valid)),
        };
    }

    private static Geometry Union(Geometry collection)
    {
        try
        {
            return collection.Union();
        }
        catch (TopologyException)
        {
            // robustness failures of the overlay on valid input are rare, but must not lose the alert either
            return GeometryFixer.Fix(collection);
        }
    }

    private static bool InRange(double lat, double lon, out string error)
    {
        if (lat is < -90 or > 90 || lon is < -180 or > 180)
        {
            error = $"coordinates {lat},{lon} out of range (lat,lon order)";
            return false;
        }
        error = "";
        return true;
    }
}
