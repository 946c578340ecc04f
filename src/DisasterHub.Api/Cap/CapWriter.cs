using System.Globalization;
using System.Text;
using System.Xml.Linq;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Cap;

/// <summary>A merged evacuation order or warning, as the CAP feed needs it.</summary>
public sealed record CapAlertRow(Guid Id, string Layer, string? Name, string? Address, string? Status, short? Severity, string? MunicipalityCode,
    DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, DateTimeOffset? ValidUntil, string[] Sources, byte[] Wkb);

/// <summary>
/// Writes CAP 1.2 (OASIS) alerts and the Atom feed that lists them, from merged records: pure, no I/O. An area is
/// the record's geometry (polygons as CAP polygons, points as zero-radius circles, lines as a 500 m band) with its
/// municipality code as a JIS X 0402 geocode.
/// </summary>
public static class CapWriter
{
    public static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";
    public static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    public static string Identifier(CapAlertRow r) => $"urn:disasterhub:{r.Layer}:{r.Id}:{r.ReceivedAt.UtcTicks}";

    private static string Time(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string SeverityWord(short? s) => s switch { >= 3 => "Extreme", 2 => "Severe", 1 => "Moderate", 0 => "Minor", _ => "Unknown" };

    public static XDocument Alert(CapAlertRow r, string sender)
    {
        var headline = string.Join(" ", new[] { r.Name, r.Status }.Where(s => !string.IsNullOrWhiteSpace(s)));
        var info = new XElement(Cap + "info",
            new XElement(Cap + "language", "ja-JP"),
            new XElement(Cap + "category", r.Layer == "warnings" ? "Met" : "Safety"),
            new XElement(Cap + "event", r.Name ?? r.Layer),
            new XElement(Cap + "urgency", r.Severity >= 2 ? "Immediate" : "Expected"),
            new XElement(Cap + "severity", SeverityWord(r.Severity)),
            new XElement(Cap + "certainty", "Observed"),
            new XElement(Cap + "effective", Time(r.ObservedAt)),
            r.ValidUntil is { } until ? new XElement(Cap + "expires", Time(until)) : null,
            new XElement(Cap + "senderName", "DisasterHub"),
            new XElement(Cap + "headline", headline.Length > 0 ? headline : r.Layer),
            new XElement(Cap + "description", $"{r.Layer} merged by DisasterHub from: {string.Join(", ", r.Sources)}"),
            Area(r));
        return new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XElement(Cap + "alert",
                new XElement(Cap + "identifier", Identifier(r)),
                new XElement(Cap + "sender", sender),
                new XElement(Cap + "sent", Time(r.ReceivedAt)),
                new XElement(Cap + "status", "Actual"),
                new XElement(Cap + "msgType", "Alert"),
                new XElement(Cap + "scope", "Public"),
                info));
    }

    private static XElement Area(CapAlertRow r)
    {
        var g = new WKBReader().Read(r.Wkb);
        var area = new XElement(Cap + "areaDesc", r.Address ?? r.Name ?? r.MunicipalityCode ?? "area");
        var parts = new List<XElement>();
        if (g is Point p) parts.Add(new XElement(Cap + "circle", $"{Num(p.Y)},{Num(p.X)} 0"));
        else
        {
            var polys = g.Dimension == NetTopologySuite.Geometries.Dimension.Surface ? g : g.Buffer(0.005);
            if (polys.NumPoints > 2000) polys = NetTopologySuite.Simplify.TopologyPreservingSimplifier.Simplify(polys, 0.0005);
            for (var i = 0; i < polys.NumGeometries; i++)
                if (polys.GetGeometryN(i) is Polygon poly && !poly.IsEmpty)
                    parts.Add(new XElement(Cap + "polygon", Ring(poly.ExteriorRing.Coordinates)));
        }
        var result = new XElement(Cap + "area", area, parts);
        if (r.MunicipalityCode is { Length: 6 } code)
            result.Add(new XElement(Cap + "geocode", new XElement(Cap + "valueName", "JIS X 0402"), new XElement(Cap + "value", code)));
        return result;
    }

    private static string Ring(Coordinate[] ring)
    {
        var sb = new StringBuilder();
        foreach (var c in ring) sb.Append(sb.Length > 0 ? " " : "").Append(Num(c.Y)).Append(',').Append(Num(c.X));
        return sb.ToString();
    }

    private static string Num(double d) => Math.Round(d, 6).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>An Atom 1.0 feed with one entry per alert, each linking to its CAP document.</summary>
    public static XDocument Feed(IReadOnlyList<CapAlertRow> rows, string selfUrl, Func<CapAlertRow, string> alertUrl, DateTimeOffset now) =>
        new(new XDeclaration("1.0", "UTF-8", null),
            new XElement(Atom + "feed",
                new XElement(Atom + "id", "urn:disasterhub:cap:feed"),
                new XElement(Atom + "title", "DisasterHub: evacuation orders and warnings in force (CAP 1.2)"),
                new XElement(Atom + "updated", Time(rows.Count > 0 ? rows.Max(r => r.ReceivedAt) : now)),
                new XElement(Atom + "author", new XElement(Atom + "name", "DisasterHub")),
                new XElement(Atom + "link", new XAttribute("rel", "self"), new XAttribute("type", "application/atom+xml"), new XAttribute("href", selfUrl)),
                rows.Select(r => new XElement(Atom + "entry",
                    new XElement(Atom + "id", Identifier(r)),
                    new XElement(Atom + "title", string.Join(" ", new[] { r.Name, r.Status }.Where(s => !string.IsNullOrWhiteSpace(s)))),
                    new XElement(Atom + "updated", Time(r.ReceivedAt)),
                    new XElement(Atom + "link", new XAttribute("rel", "alternate"), new XAttribute("type", "application/cap+xml"), new XAttribute("href", alertUrl(r))),
                    new XElement(Atom + "summary", $"{r.Layer} {r.MunicipalityCode} severity {SeverityWord(r.Severity)}")))));
}
