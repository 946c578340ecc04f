using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts;

/// <summary>Which lalert-* format reads a 公共情報コモンズ category.</summary>
public enum LAlertKind
{
    /// <summary>EvacuationOrder, and every category without a mapping of its own (AntidisasterHeadquarter, Event …: 0 records).</summary>
    Evacuation,
    Shelter,
    Damage,
}

/// <summary>
/// A 公共情報コモンズ (L-Alert) message: the EDXL-DE envelope with commons extensions (bare, or inside a SOAP
/// <c>publish</c>), its contentObjects and their pcxml Reports (v3 <c>pcxml1/3</c> or v4 <c>pcxml1/4</c>). Elements are
/// found by local name so v3 and v4 bodies (body/evacuation3|4, body/shelter3|4 …) read the same.
/// </summary>
public sealed partial class LAlertMessage
{
    private LAlertMessage(XDocument document, XElement distribution, string encoding)
    {
        Document = document;
        Distribution = distribution;
        Encoding = encoding;
    }

    public XDocument Document { get; }
    public XElement Distribution { get; }
    public string Encoding { get; }

    public string? DistributionId => AlertXml.Text(Distribution, "distributionID");
    public string? DistributionStatus => AlertXml.Text(Distribution, "distributionStatus");
    public string? DistributionType => AlertXml.Text(Distribution, "distributionType");
    public DateTimeOffset? DateTimeSent => AlertXml.ZonedOrJst(AlertXml.Text(Distribution, "dateTimeSent"));

    /// <summary>commons:targetArea/commons:jisX0402 (raw text).</summary>
    public string? TargetAreaCode => AlertXml.Text(AlertXml.Child(Distribution, "targetArea"), "jisX0402");

    public IEnumerable<XElement> ContentObjects => AlertXml.Children(Distribution, "contentObject");

    [GeneratedRegex(@"<(?:[\w.\-]+:)?category>\s*([A-Za-z]+)\s*<")]
    private static partial Regex CategoryTag();

    [GeneratedRegex(@"<(?:[\w.\-]+:)?Title>\s*([A-Za-z]+)\s*</")]
    private static partial Regex ControlTitleTag();

    /// <summary>
    /// Whether the head is a commons message (EDXLDistribution or SOAP envelope with publiccommons namespaces) and which
    /// lalert-* format it belongs to (by commons:category, else Control/Title; EvacuationOrder when neither is seen).
    /// </summary>
    public static LAlertKind? SniffKind(ReadOnlySpan<byte> head)
    {
        var text = AlertXml.HeadText(head);
        var root = AlertXml.RootLocalName(text);
        if (root is not ("EDXLDistribution" or "Envelope")
            || !text.Contains(AlertNamespaces.PublicCommonsHost, StringComparison.Ordinal)
            || !text.Contains("EDXLDistribution", StringComparison.Ordinal))
            return null;
        var m = CategoryTag().Match(text);
        if (!m.Success) m = ControlTitleTag().Match(text);
        return KindOf(m.Success ? m.Groups[1].Value : null);
    }

    public static LAlertKind KindOf(string? category) => category switch
    {
        "Shelter" => LAlertKind.Shelter,
        "DamageInformation" => LAlertKind.Damage,
        _ => LAlertKind.Evacuation,
    };

    /// <summary>Loads the message or throws <see cref="UnparseableDocumentException"/> when it is not a commons message.</summary>
    public static LAlertMessage Load(ReadOnlyMemory<byte> content)
    {
        var doc = SafeXml.Load(content);
        var root = doc.Root!;
        XNamespace de = AlertNamespaces.EdxlDe;
        var distribution = root.Name == de + "EDXLDistribution" ? root
            : root.Name == XName.Get("Envelope", AlertNamespaces.Soap11) ? root.Descendants(de + "EDXLDistribution").FirstOrDefault()
            : null;
        if (distribution is null)
            throw new UnparseableDocumentException(SafeXml.PathOf(root),
                $"not a 公共情報コモンズ message: root is {{{root.Name.NamespaceName}}}{root.Name.LocalName}, expected EDXLDistribution (or a SOAP envelope holding one)");
        if (!distribution.Elements().Any(e => e.Name.NamespaceName == AlertNamespaces.Commons))
            throw new UnparseableDocumentException(SafeXml.PathOf(distribution), $"EDXL-DE envelope without {AlertNamespaces.Commons} elements: not an L-Alert message");
        return new LAlertMessage(doc, distribution, AlertXml.EncodingOf(doc, content.Span));
    }

    /// <summary>The pcxml Report embedded in a contentObject.</summary>
    public static XElement? ReportOf(XElement contentObject) =>
        AlertXml.Child(AlertXml.Child(contentObject, "xmlContent"), "embeddedXMLContent")?.Elements()
            .FirstOrDefault(e => e.Name.LocalName == "Report" && e.Name.NamespaceName.StartsWith(AlertNamespaces.PcxmlPrefix, StringComparison.Ordinal));

    /// <summary>commons:category, else the Report's Control/Title.</summary>
    public static string? CategoryOf(XElement contentObject) =>
        AlertXml.Text(contentObject, "category") ?? AlertXml.Text(AlertXml.Child(ReportOf(contentObject), "Control"), "Title");

    /// <summary>The contentObjects of one kind, or throws when the message has none (it belongs to another lalert-* format).</summary>
    public List<(XElement ContentObject, string? Category, XElement? Report)> Contents(LAlertKind kind, string format)
    {
        var all = ContentObjects.Select(c => (ContentObject: c, Category: CategoryOf(c), Report: ReportOf(c))).ToList();
        var mine = all.Where(c => KindOf(c.Category) == kind).ToList();
        if (mine.Count == 0 && all.Count > 0)
        {
            var other = KindOf(all[0].Category) switch
            {
                LAlertKind.Shelter => "lalert-shelter",
                LAlertKind.Damage => "lalert-damage",
                _ => "lalert-evacuation",
            };
            throw new UnparseableDocumentException(SafeXml.PathOf(all[0].ContentObject),
                $"category {all[0].Category ?? "(none)"} is not read by {format}; use {other}");
        }
        return mine;
    }

    /// <summary>The Report body element (EvacuationOrder, Shelter …) in a pcxml1/body/… namespace, if any.</summary>
    public static XElement? Body(XElement? report, string localName) =>
        report?.Elements().FirstOrDefault(e => e.Name.LocalName == localName && e.Name.NamespaceName.Contains("/body/", StringComparison.Ordinal));

    /// <summary>Head/ReportDateTime, else CreateDateTime (JST when the zone is missing, as commons times are).</summary>
    public static DateTimeOffset? ReportTime(XElement? report)
    {
        var head = AlertXml.Child(report, "Head");
        return AlertXml.ZonedOrJst(AlertXml.Text(head, "ReportDateTime")) ?? AlertXml.ZonedOrJst(AlertXml.Text(head, "CreateDateTime"));
    }

    /// <summary>
    /// Reports what the message says about a record it produced: the envelope's and the Report Control's
    /// distributionStatus (Exercise / Test keep it out of live, see ExerciseRule), and Head/ValidDateTime as the end
    /// of validity unless the record has an earlier one of its own (a 解除 time). Shelter and damage reports take the
    /// status only: a count of casualties or an open shelter does not lapse with the message.
    /// </summary>
    public FeatureRecord Stamp(FeatureRecord r, XElement? report, bool validity = true)
    {
        var envelope = DistributionStatus;
        r.MarkStatus(StatusOf(envelope), $"{SafeXml.PathOf(Distribution)}/distributionStatus {envelope}");
        var control = AlertXml.Text(AlertXml.Child(report, "Control"), "distributionStatus");
        if (report is not null) r.MarkStatus(StatusOf(control), $"{SafeXml.PathOf(report)}/Control/distributionStatus {control}");
        if (validity && AlertXml.ZonedOrJst(AlertXml.Text(AlertXml.Child(report, "Head"), "ValidDateTime")) is { } valid && (r.ValidUntil is null || valid < r.ValidUntil))
            r.ValidUntil = valid;
        return r;
    }

    private static DocumentStatus StatusOf(string? word) => word switch
    {
        "Exercise" => DocumentStatus.Exercise,
        "Test" => DocumentStatus.Test,
        "System" => DocumentStatus.System,
        _ => DocumentStatus.Actual,
    };

    /// <summary>Envelope and document attributes every lalert record carries.</summary>
    public JsonObject CommonAttrs(XElement contentObject, XElement? report)
    {
        var attrs = new JsonObject();
        var head = AlertXml.Child(report, "Head");
        void Add(string key, string? value)
        {
            if (value is not null) attrs[key] = value;
        }
        Add("document_id", AlertXml.Text(contentObject, "documentID") ?? AlertXml.Text(head, "documentID"));
        Add("document_revision", AlertXml.Text(contentObject, "documentRevision") ?? AlertXml.Text(head, "documentRevision"));
        Add("distribution_id", DistributionId);
        Add("distribution_status", DistributionStatus);
        Add("distribution_type", DistributionType);
        Add("publishing_office", AlertXml.Text(contentObject, "publishingOfficeName"));
        Add("title", AlertXml.Text(head, "Title"));
        Add("headline", AlertXml.Text(AlertXml.Child(head, "Headline"), "Text"));
        if (report is not null) attrs["pcxml_version"] = report.Name.NamespaceName[AlertNamespaces.PcxmlPrefix.Length..];
        return attrs;
    }

    /// <summary>
    /// The municipality the message is about: commons:targetArea/jisX0402, else the Head's first headline area code,
    /// else the Control's EditorialOffice OrganizationCode.
    /// </summary>
    public string? DefaultCode(XElement? report)
    {
        var head = AlertXml.Child(report, "Head");
        var headlineCode = AlertXml.Children(AlertXml.Child(AlertXml.Child(head, "Headline"), "Areas"), "Area")
            .Select(a => AlertXml.Text(a, "jisX0402")).FirstOrDefault(c => c is not null);
        var office = AlertXml.Text(AlertXml.Child(AlertXml.Child(report, "Control"), "EditorialOffice"), "OrganizationCode");
        foreach (var raw in new[] { TargetAreaCode, headlineCode, office })
            if (raw is not null && MunicipalityCode.TryNormalize(raw, out var code, out _)) return code;
        return null;
    }

    /// <summary>
    /// The geometry of a commons Location (edxlde:circle "lat,lon,radius" — km as in EDXL-DE, 0 in practice — or
    /// edxlde:polygon "lat,lon lat,lon …"); null when both are empty; false with a reason when malformed.
    /// </summary>
    public static bool TryLocationGeometry(XElement? location, out Geometry? geometry, out string error)
    {
        geometry = null;
        error = "";
        var parts = new List<Geometry>();
        foreach (var e in AlertXml.Children(location, "polygon"))
        {
            if (AlertXml.Text(e) is not { } text) continue;
            if (!AreaGeometry.TryPolygon(text, out var g, out var why))
            {
                error = $"polygon: {why}";
                return false;
            }
            parts.Add(g!);
        }
        foreach (var e in AlertXml.Children(location, "circle"))
        {
            if (AlertXml.Text(e) is not { } text) continue;
            if (!AreaGeometry.TryCircle(text, out var g, out var why))
            {
                error = $"circle: {why}";
                return false;
            }
            parts.Add(g!);
        }
        geometry = AreaGeometry.Combine(parts);
        return true;
    }
}
