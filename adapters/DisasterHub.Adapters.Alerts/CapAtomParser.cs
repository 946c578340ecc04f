using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts;

/// <summary>
/// <c>cap-atom</c>: an Atom feed of CAP alerts. An entry whose <c>content</c> embeds a CAP alert is read as <c>cap</c>
/// (path /feed/entry[i]/content/alert). An index entry (NWS style) that only links to its alert but carries CAP summary
/// extensions (cap:event, cap:severity, cap:areaDesc, cap:polygon, cap:circle, cap:geocode, georss:polygon/point) gives
/// one summary record from those fields. A bare link entry gives nothing here: <see cref="CapAtomFeed.AlertLinks"/> lists
/// the links for the fetcher to follow.
/// </summary>
public sealed class CapAtomParser : IFeedParser, ILinkedDocuments
{
    /// <summary>The fetcher follows an index feed to the alerts it lists (relative links against the feed's URL).</summary>
    public IReadOnlyList<Uri> FollowLinks(ReadOnlyMemory<byte> content, Uri documentUri) =>
        [.. CapAtomFeed.AlertLinks(content).Select(u => u.IsAbsoluteUri ? u : new Uri(documentUri, u))];

    public const string FormatName = "cap-atom";

    public string Format => FormatName;
    public string Layer => Layers.EvacuationOrders;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = AlertXml.HeadText(head);
        return AlertXml.RootLocalName(text) == "feed"
            && text.Contains(AlertNamespaces.Atom, StringComparison.Ordinal)
            && (text.Contains(AlertNamespaces.Cap12, StringComparison.Ordinal) || text.Contains(AlertNamespaces.Cap11, StringComparison.Ordinal));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = SafeXml.Load(content);
        var feed = CapAtomFeed.FeedRoot(doc);
        var result = new ParseResult { Format = Format, Encoding = AlertXml.EncodingOf(doc, content.Span) };
        var schemas = CapSchemas.FromCompanions(context, result);
        XNamespace atom = AlertNamespaces.Atom;
        var entries = feed.Elements(atom + "entry").ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var at = $"/feed/entry[{i + 1}]";
            var alerts = CapAtomFeed.EmbeddedAlerts(entry).ToList();
            if (alerts.Count > 0)
            {
                foreach (var alert in alerts) CapAlertReader.Read(alert, schemas, result);
                continue;
            }
            if (entry.Elements().Any(e => AlertNamespaces.IsCap(e.Name.Namespace)))
                SummaryRecord(entry, at, result);
            // else: a link-only entry; CapAtomFeed.AlertLinks returns it for the fetcher.
        }
        return result;
    }

    private static void SummaryRecord(XElement entry, string at, ParseResult result)
    {
        XNamespace atom = AlertNamespaces.Atom;
        XNamespace cap = entry.Elements().First(e => AlertNamespaces.IsCap(e.Name.Namespace)).Name.Namespace;
        XNamespace georss = CapAtomFeed.GeoRss;
        var id = AlertXml.Text(entry.Element(atom + "id"));
        var link = CapAtomFeed.LinkOf(entry);
        var key = id ?? link;
        if (key is null)
        {
            result.Reject(at, "index entry has neither id nor link");
            return;
        }

        var parts = new List<Geometry>();
        foreach (var (e, kind) in entry.Elements(cap + "polygon").Select(e => (e, "polygon")).Concat(entry.Elements(cap + "circle").Select(e => (e, "circle"))))
        {
            if (AlertXml.Text(e) is not { } text) continue;
            var ok = kind == "polygon" ? AreaGeometry.TryPolygon(text, out var g, out var why) : AreaGeometry.TryCircle(text, out g, out why);
            if (!ok)
            {
                result.Reject($"{at}/{kind}", $"{kind}: {why}");
                return;
            }
            parts.Add(g!);
        }
        foreach (var e in entry.Elements(georss + "polygon").Concat(entry.Elements(georss + "point")))
        {
            if (AlertXml.Text(e) is not { } text) continue;
            if (!CapAtomFeed.TryGeoRss(e.Name.LocalName, text, out var g, out var why))
            {
                result.Reject($"{at}/georss:{e.Name.LocalName}", why);
                return;
            }
            parts.Add(g!);
        }
        var codes = new List<string>();
        foreach (var geocode in entry.Elements(cap + "geocode"))
        {
            if (!CapAlertReader.IsJisX0402(AlertXml.Text(geocode, "valueName"))) continue;
            foreach (var raw in (AlertXml.Text(geocode, "value") ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!MunicipalityCode.TryNormalize(raw, out var code, out var error))
                {
                    result.Reject($"{at}/geocode", error!);
                    return;
                }
                if (!codes.Contains(code)) codes.Add(code);
            }
        }
        var geometry = AreaGeometry.Combine(parts);

        var msgType = AlertXml.Text(entry.Element(cap + "msgType")) ?? "Alert";
        var severityWord = AlertXml.Text(entry.Element(cap + "severity"));
        var updated = AlertXml.Zoned(AlertXml.Text(entry.Element(atom + "updated")));
        var published = AlertXml.Zoned(AlertXml.Text(entry.Element(atom + "published")));
        var effective = AlertXml.Zoned(AlertXml.Text(entry.Element(cap + "effective")));
        var onset = AlertXml.Zoned(AlertXml.Text(entry.Element(cap + "onset")));
        var expires = AlertXml.Zoned(AlertXml.Text(entry.Element(cap + "expires")));
        var capStatus = AlertXml.Text(entry.Element(cap + "status"));
        var title = AlertXml.Text(entry.Element(atom + "title"));
        var areaDesc = AlertXml.Text(entry.Element(cap + "areaDesc"));

        var attrs = new JsonObject { ["summary_only"] = true, ["entry_id"] = id };
        if (link is not null) attrs["link"] = link;
        if (title is not null) attrs["title"] = title;
        if (AlertXml.Text(entry.Element(atom + "summary")) is { } summary) attrs["summary"] = summary;
        foreach (var (name, attr) in new[] { ("event", "event"), ("status", "cap_status"), ("msgType", "msg_type"), ("urgency", "urgency"), ("severity", "cap_severity"), ("certainty", "certainty") })
            if (AlertXml.Text(entry.Element(cap + name)) is { } v) attrs[attr] = v;
        var categories = entry.Elements(cap + "category").Select(c => c.Value.Trim()).Where(c => c.Length > 0).ToList();
        if (categories.Count > 0) attrs["categories"] = new JsonArray([.. categories.Select(c => (JsonNode)c)]);
        foreach (var name in new[] { "effective", "onset", "expires" })
            if (AlertXml.Zoned(AlertXml.Text(entry.Element(cap + name))) is { } t) attrs[name] = AlertXml.Iso(t);
        if (areaDesc is not null) attrs["area_desc"] = areaDesc;
        var geocodes = new JsonArray();
        foreach (var g in entry.Elements(cap + "geocode"))
            if (AlertXml.Text(g, "valueName") is { } n) geocodes.Add(new JsonObject { ["name"] = n, ["value"] = AlertXml.Text(g, "value") });
        if (geocodes.Count > 0) attrs["geocodes"] = geocodes;
        if (codes.Count > 1) attrs["municipality_codes"] = new JsonArray([.. codes.Select(c => (JsonNode)c)]);

        var record = new FeatureRecord
        {
            Layer = Layers.EvacuationOrders,
            SourceKey = key,
            EntityKey = $"cap-atom:{key}",
            MunicipalityCode = codes.FirstOrDefault(),
            Name = AlertXml.Text(entry.Element(cap + "event")) ?? title,
            Address = areaDesc,
            Geometry = geometry,
            LocatedByCode = geometry is null && codes.Count > 0,
            Status = msgType == "Cancel" ? "cancelled" : msgType.ToLowerInvariant(),
            Severity = msgType == "Cancel" ? 0 : CapAlertReader.SeverityOf(severityWord),
            ObservedAt = effective ?? updated ?? published,
            ReportedAt = published ?? updated,
            Attrs = attrs,
            Location = at,
            ValidFrom = effective ?? onset,
            ValidUntil = expires,
        };
        record.MarkStatus(CapAlertReader.StatusOf(capStatus), $"{at}/status {capStatus}");
        result.Records.Add(record);
    }
}

/// <summary>Pure helpers over an Atom feed of CAP alerts, for the fetcher.</summary>
public static class CapAtomFeed
{
    public const string GeoRss = "http://www.georss.org/georss";

    /// <summary>
    /// The alert links of entries that do not embed their CAP alert (index feeds): the entry's
    /// <c>link rel="alternate"</c> (or a link without rel), else <c>content/@src</c>, else an absolute entry id.
    /// Relative links are resolved against xml:base or the feed's own absolute id. Order kept, duplicates dropped.
    /// </summary>
    public static IReadOnlyList<Uri> AlertLinks(ReadOnlyMemory<byte> content)
    {
        var doc = SafeXml.Load(content);
        var feed = FeedRoot(doc);
        XNamespace atom = AlertNamespaces.Atom;
        var baseText = (string?)feed.Attribute(XNamespace.Xml + "base") ?? AlertXml.Text(feed.Element(atom + "id"));
        Uri.TryCreate(baseText, UriKind.Absolute, out var baseUri);
        var links = new List<Uri>();
        foreach (var entry in feed.Elements(atom + "entry"))
        {
            if (EmbeddedAlerts(entry).Any()) continue;
            var href = LinkOf(entry) ?? (string?)entry.Element(atom + "content")?.Attribute("src");
            if (href is null && AlertXml.Text(entry.Element(atom + "id")) is { } id && Uri.TryCreate(id, UriKind.Absolute, out var idUri)
                && (idUri.Scheme == Uri.UriSchemeHttp || idUri.Scheme == Uri.UriSchemeHttps))
                href = id;
            if (href is null) continue;
            Uri? uri = null;
            // "/cap/A2.xml" parses as an absolute file: URI on Unix, so only http(s) counts as absolute here.
            if (Uri.TryCreate(href, UriKind.Absolute, out var abs) && (abs.Scheme == Uri.UriSchemeHttp || abs.Scheme == Uri.UriSchemeHttps)) uri = abs;
            else if (baseUri is not null && Uri.TryCreate(baseUri, href, out var rel)) uri = rel;
            if (uri is not null && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && !links.Contains(uri)) links.Add(uri);
        }
        return links;
    }

    internal static XElement FeedRoot(XDocument doc)
    {
        var root = doc.Root!;
        if (root.Name != XName.Get("feed", AlertNamespaces.Atom))
            throw new UnparseableDocumentException(SafeXml.PathOf(root), $"not an Atom feed: root is {{{root.Name.NamespaceName}}}{root.Name.LocalName}");
        return root;
    }

    internal static IEnumerable<XElement> EmbeddedAlerts(XElement entry) =>
        entry.Elements(XName.Get("content", AlertNamespaces.Atom)).Elements()
            .Where(e => e.Name.LocalName == "alert" && AlertNamespaces.IsCap(e.Name.Namespace));

    internal static string? LinkOf(XElement entry)
    {
        var links = entry.Elements(XName.Get("link", AlertNamespaces.Atom)).ToList();
        var link = links.FirstOrDefault(l => (string?)l.Attribute("rel") is null or "alternate")
            ?? links.FirstOrDefault(l => (string?)l.Attribute("rel") == "related");
        var href = ((string?)link?.Attribute("href"))?.Trim();
        return string.IsNullOrEmpty(href) ? null : href;
    }

    /// <summary>georss:point "lat lon" / georss:polygon "lat lon lat lon …" (space separated, latitude first).</summary>
    internal static bool TryGeoRss(string kind, string text, out Geometry? geometry, out string error)
    {
        geometry = null;
        var numbers = new List<double>();
        foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!AlertXml.TryNumber(token, out var v))
            {
                error = $"georss:{kind}: '{token}' is not a number";
                return false;
            }
            numbers.Add(v);
        }
        if (numbers.Count % 2 != 0 || numbers.Count == 0)
        {
            error = $"georss:{kind}: needs lat lon pairs";
            return false;
        }
        var pairs = new List<string>();
        for (var i = 0; i < numbers.Count; i += 2)
            pairs.Add(FormattableString.Invariant($"{numbers[i]},{numbers[i + 1]}"));
        return kind == "point"
            ? AreaGeometry.TryCircle(pairs[0], out geometry, out error)
            : AreaGeometry.TryPolygon(string.Join(' ', pairs), out geometry, out error);
    }
}
