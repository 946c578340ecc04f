using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Alerts;

/// <summary>
/// <c>cap</c>: one OASIS CAP 1.2 or 1.1 alert (root <c>alert</c> in urn:oasis:names:tc:emergency:cap:1.2 / 1.1). One
/// <c>evacuation_orders</c> record per <c>info</c>; the alert is validated first (XSD companion if supplied, else the
/// structural rules) and rejected whole when invalid.
/// </summary>
public sealed class CapParser : IFeedParser
{
    public const string FormatName = "cap";

    public string Format => FormatName;
    public string Layer => Layers.EvacuationOrders;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = AlertXml.HeadText(head);
        return AlertXml.RootLocalName(text) == "alert"
            && (text.Contains(AlertNamespaces.Cap12, StringComparison.Ordinal) || text.Contains(AlertNamespaces.Cap11, StringComparison.Ordinal));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = SafeXml.Load(content);
        var root = doc.Root!;
        if (root.Name.LocalName != "alert" || !AlertNamespaces.IsCap(root.Name.Namespace))
            throw new UnparseableDocumentException(SafeXml.PathOf(root),
                $"not a CAP alert: root is {{{root.Name.NamespaceName}}}{root.Name.LocalName}, expected alert in {AlertNamespaces.Cap12} or {AlertNamespaces.Cap11}");
        var result = new ParseResult { Format = Format, Encoding = AlertXml.EncodingOf(doc, content.Span) };
        CapAlertReader.Read(root, CapSchemas.FromCompanions(context, result), result);
        return result;
    }
}

/// <summary>
/// <c>edxl-de</c>: an OASIS EDXL-DE 1.0 envelope whose <c>contentObject/xmlContent/embeddedXMLContent</c> carry CAP
/// alerts (e.g. NSW RFS). Each embedded alert is read as <c>cap</c>; rejections point into the envelope
/// (/EDXLDistribution/contentObject[2]/xmlContent/embeddedXMLContent/alert/info[1]). Envelopes of 公共情報コモンズ
/// (L-Alert) are left to the <c>lalert-*</c> formats.
/// </summary>
public sealed class EdxlDeCapParser : IFeedParser
{
    public const string FormatName = "edxl-de";

    public string Format => FormatName;
    public string Layer => Layers.EvacuationOrders;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = AlertXml.HeadText(head);
        return AlertXml.RootLocalName(text) == "EDXLDistribution"
            && text.Contains(AlertNamespaces.EdxlDe, StringComparison.Ordinal)
            && (text.Contains(AlertNamespaces.Cap12, StringComparison.Ordinal) || text.Contains(AlertNamespaces.Cap11, StringComparison.Ordinal))
            && !text.Contains(AlertNamespaces.PublicCommonsHost, StringComparison.Ordinal);
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = SafeXml.Load(content);
        var root = doc.Root!;
        XNamespace de = AlertNamespaces.EdxlDe;
        if (root.Name != de + "EDXLDistribution")
            throw new UnparseableDocumentException(SafeXml.PathOf(root), $"not an EDXL-DE 1.0 envelope: root is {{{root.Name.NamespaceName}}}{root.Name.LocalName}");
        if (root.DescendantsAndSelf().Any(e => e.Name.NamespaceName.Contains(AlertNamespaces.PublicCommonsHost, StringComparison.Ordinal)))
            throw new UnparseableDocumentException(SafeXml.PathOf(root), "a 公共情報コモンズ (L-Alert) message: read it as lalert-evacuation / lalert-shelter / lalert-damage");

        var result = new ParseResult { Format = Format, Encoding = AlertXml.EncodingOf(doc, content.Span) };
        var schemas = CapSchemas.FromCompanions(context, result);
        var distributionStatus = AlertXml.Text(root.Element(de + "distributionStatus"));
        foreach (var obj in root.Elements(de + "contentObject"))
        {
            var at = SafeXml.PathOf(obj);
            var embedded = obj.Element(de + "xmlContent")?.Element(de + "embeddedXMLContent");
            if (embedded is null)
            {
                result.Reject(at, obj.Element(de + "nonXMLContent") is not null
                    ? "nonXMLContent (a linked or base64 document) is not read; only embedded CAP alerts are"
                    : "contentObject has no xmlContent/embeddedXMLContent");
                continue;
            }
            var children = embedded.Elements().ToList();
            if (children.Count == 0) result.Reject(SafeXml.PathOf(embedded), "embeddedXMLContent is empty");
            foreach (var child in children)
            {
                if (child.Name.LocalName == "alert" && AlertNamespaces.IsCap(child.Name.Namespace))
                    CapAlertReader.Read(child, schemas, result);
                else
                    result.Reject(SafeXml.PathOf(child), $"embedded {{{child.Name.NamespaceName}}}{child.Name.LocalName} is not a CAP alert");
            }
        }
        // The envelope's distributionStatus covers every alert in it (an Exercise envelope of Actual alerts is an exercise).
        foreach (var r in result.Records) r.MarkStatus(CapAlertReader.StatusOf(distributionStatus), $"/EDXLDistribution/distributionStatus {distributionStatus}");
        return result;
    }
}
