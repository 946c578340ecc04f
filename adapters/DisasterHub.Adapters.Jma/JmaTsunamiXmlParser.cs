using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-vtse</c>: 津波警報・注意報・予報 (VTSE41). Read as a known format, but its 津波予報区 (3-digit forecast-area
/// codes) are not municipalities and the hub has no geometry for them, so every Item is rejected with that reason
/// until forecast-area geometries are imported.
/// </summary>
public sealed class JmaTsunamiXmlParser : IFeedParser
{
    public const string FormatName = "jma-vtse";

    internal static readonly string[] InfoKinds = ["津波警報・注意報・予報"];

    private static readonly XNamespace S = JmaNs.Seismology;

    public string Format => FormatName;
    public string Layer => Layers.Warnings;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => JmaXml.SniffInfoKind(head, fileName, InfoKinds);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (_, head) = JmaXml.Load(content, InfoKinds);
        var result = new ParseResult { Format = Format, Encoding = "utf-8" };
        var items = head.Body?.Element(S + "Tsunami")?.Element(S + "Forecast")?.Elements(S + "Item").ToList() ?? [];
        if (items.Count == 0)
        {
            result.Reject(head.Body is null ? "/Report" : SafeXml.PathOf(head.Body), "no Tsunami/Forecast/Item in the telegram");
            return head.Stamp(result);
        }
        foreach (var item in items)
        {
            var area = item.Element(S + "Area");
            var kind = JmaXml.Text(item.Element(S + "Category")?.Element(S + "Kind")?.Element(S + "Name"));
            result.Reject(SafeXml.PathOf(item),
                $"津波予報区 {JmaXml.Text(area?.Element(S + "Code"))} ({JmaXml.Text(area?.Element(S + "Name"))}, {kind}) is a tsunami forecast area, not a municipality: it cannot be placed without forecast-area geometries");
        }
        return head.Stamp(result);
    }
}
