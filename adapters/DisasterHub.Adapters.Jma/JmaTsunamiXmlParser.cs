using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-vtse</c>: 津波警報・注意報・予報 (VTSE41), 津波情報 (VTSE51), 沖合の津波観測に関する情報 (VTSE52). One record per
/// 津波予報区 in <c>Tsunami/Forecast</c> (grade, first wave, maximum height) and, for VTSE52, per area in
/// <c>Tsunami/Estimation</c>, placed on the forecast area's coastal line from the embedded 津波予報区 table. Tide
/// stations (<c>Observation/Item/Station</c>) carry only a code and are rejected with that reason.
/// </summary>
public sealed class JmaTsunamiXmlParser : IFeedParser
{
    public const string FormatName = "jma-vtse";

    internal static readonly string[] InfoKinds = ["津波警報・注意報・予報", "津波情報", "沖合の津波観測に関する情報"];

    private static readonly XNamespace S = JmaNs.Seismology;
    private static readonly XNamespace Eb = JmaNs.ElementBasis;

    public string Format => FormatName;
    public string Layer => Layers.Warnings;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => JmaXml.SniffInfoKind(head, fileName, InfoKinds);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (_, head) = JmaXml.Load(content, InfoKinds);
        var result = new ParseResult { Format = Format, Encoding = "utf-8" };
        var observedAt = head.TargetDateTime ?? head.ReportDateTime;
        if (head.Cancelled)
        {
            var eventId = head.EventId ?? throw new UnparseableDocumentException("/Report/Head/EventID", "cancelled tsunami telegram (取消) without EventID: nothing to say what it cancels");
            result.Records.Add(head.CancelMarker(Layers.Warnings, "tsunami-cancel:" + eventId, null, eventId, observedAt, head.Body));
            return head.Stamp(result);
        }

        var tsunami = head.Body?.Element(S + "Tsunami");
        var forecast = tsunami?.Element(S + "Forecast")?.Elements(S + "Item").ToList() ?? [];
        var estimation = tsunami?.Element(S + "Estimation")?.Elements(S + "Item").ToList() ?? [];
        var stations = tsunami?.Element(S + "Observation")?.Elements(S + "Item").SelectMany(i => i.Elements(S + "Station")).ToList() ?? [];
        if (forecast.Count + estimation.Count + stations.Count == 0)
        {
            result.Reject(head.Body is null ? "/Report" : SafeXml.PathOf(head.Body), "no Tsunami/Forecast, Estimation or Observation item in the telegram");
            return result;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in forecast) Item(item, "tsunami", head, observedAt, seen, result);
        foreach (var item in estimation) Item(item, "tsunami-estimate", head, observedAt, seen, result);
        foreach (var station in stations)
            result.Reject(SafeXml.PathOf(station),
                $"tide station {JmaXml.Text(station.Element(S + "Name"))} ({JmaXml.Text(station.Element(S + "Code"))}): the telegram gives only a 潮位観測点 code and the hub has no table of their positions");
        return head.Stamp(result);
    }

    private static void Item(XElement item, string prefix, JmaHead head, DateTimeOffset? observedAt, HashSet<string> seen, ParseResult result)
    {
        var at = SafeXml.PathOf(item);
        var area = item.Element(S + "Area");
        var code = JmaXml.Text(area?.Element(S + "Code"));
        var name = JmaXml.Text(area?.Element(S + "Name"));
        if (code is null)
        {
            result.Reject(at, "Item without Area/Code");
            return;
        }
        // 津波予報区 codes only: 771 here is 種子島・屋久島地方, not the seismic table's 鹿児島県大隅
        if (!JmaAreas.Embedded.TryGet(JmaAreaTable.Tsunami, code, out var coast))
        {
            result.Reject(at, $"津波予報区 {code} ({name}) is not in the 津波予報区 table");
            return;
        }
        var sourceKey = $"{prefix}:{code}";
        if (!seen.Add(sourceKey))
        {
            result.Reject(at, $"duplicate 津波予報区 {code}");
            return;
        }

        var attrs = new JsonObject { ["area_code"] = code, ["info_kind"] = head.InfoKind };
        if (head.EventId is not null) attrs["event_id"] = head.EventId;
        if (head.Title is not null) attrs["title"] = head.Title;
        string? status;
        int? severity;
        var category = item.Element(S + "Category");
        if (category is not null)
        {
            var kindCode = JmaXml.Text(category.Element(S + "Kind")?.Element(S + "Code"));
            var kindName = JmaXml.Text(category.Element(S + "Kind")?.Element(S + "Name"));
            var (grade, sev) = Grade(kindCode, kindName);
            attrs["grade"] = grade;
            if (kindCode is not null) attrs["kind_code"] = kindCode;
            if (kindName is not null) attrs["kind_name"] = kindName;
            if (category.Element(S + "LastKind") is { } last)
            {
                if (JmaXml.Text(last.Element(S + "Code")) is { } lc) attrs["last_kind_code"] = lc;
                if (JmaXml.Text(last.Element(S + "Name")) is { } ln) attrs["last_kind_name"] = ln;
            }
            if (grade == "解除") attrs["lifted"] = true;
            status = kindName ?? grade;
            severity = sev;
        }
        else
        {
            // VTSE52 Estimation: estimated heights for the area, no grade of its own
            status = "推定";
            severity = null;
        }

        if (item.Element(S + "FirstHeight") is { } first)
        {
            if (JmaXml.Time(first.Element(S + "ArrivalTime")) is { } arrival) attrs["first_wave_arrival"] = Iso(arrival);
            if (JmaXml.Time(first.Element(S + "ArrivalTimeFrom")) is { } from) attrs["first_wave_arrival_from"] = Iso(from);
            if (JmaXml.Time(first.Element(S + "ArrivalTimeTo")) is { } to) attrs["first_wave_arrival_to"] = Iso(to);
            if (JmaXml.Text(first.Element(S + "Condition")) is { } c) attrs["first_wave_condition"] = c;
            if (JmaXml.Text(first.Element(S + "Revise")) is { } r) attrs["first_wave_revise"] = r;
        }
        if (item.Element(S + "MaxHeight") is { } max)
        {
            var height = max.Element(Eb + "TsunamiHeight") ?? max.Element(S + "TsunamiHeightTo");
            if (height is not null)
            {
                attrs["max_height_m"] = JmaXml.Number(JmaXml.Text(height));
                if ((string?)height.Attribute("description") is { } d) attrs["max_height_description"] = d;
                if ((string?)height.Attribute("condition") is { } hc) attrs["max_height_qualifier"] = hc; // 巨大, 高い, 不明, 以上
            }
            if (JmaXml.Text(max.Element(S + "Condition")) is { } c) attrs["max_height_condition"] = c; // 重要, 観測中 …
            if (JmaXml.Text(max.Element(S + "Revise")) is { } r) attrs["max_height_revise"] = r;
        }
        JmaXml.MarkPlaced(attrs, coast);
        head.Annotate(attrs);
        result.Records.Add(new FeatureRecord
        {
            Layer = Layers.Warnings,
            SourceKey = sourceKey,
            EntityKey = $"jma-{sourceKey}",
            Name = name ?? coast.Name,
            Geometry = coast.Geometry.Copy(),
            Status = status,
            Severity = severity,
            ObservedAt = observedAt,
            ReportedAt = head.ReportDateTime,
            Attrs = attrs,
            Location = at,
        });
    }

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// 警報等情報要素／津波警報・注意報・予報: 52/53 大津波警報 → 3, 51 津波警報 → 2, 62 津波注意報 → 1, 71–73 津波予報
    /// (若干の海面変動) → 0, 50 警報解除 / 60 津波注意報解除 → 解除 0, 00 津波なし → 0; an unknown code by its name.
    /// </summary>
    public static (string Grade, int? Severity) Grade(string? code, string? name) => code switch
    {
        "52" or "53" => ("大津波警報", 3),
        "51" => ("津波警報", 2),
        "62" => ("津波注意報", 1),
        "71" or "72" or "73" => ("津波予報", 0),
        "50" or "60" => ("解除", 0),
        "00" => ("なし", 0),
        _ => name switch
        {
            null => ("不明", null),
            _ when name.Contains("解除", StringComparison.Ordinal) => ("解除", 0),
            _ when name.Contains("大津波警報", StringComparison.Ordinal) => ("大津波警報", 3),
            _ when name.Contains("津波警報", StringComparison.Ordinal) => ("津波警報", 2),
            _ when name.Contains("津波注意報", StringComparison.Ordinal) => ("津波注意報", 1),
            _ when name.Contains("津波予報", StringComparison.Ordinal) => ("津波予報", 0),
            _ when name.Contains("なし", StringComparison.Ordinal) => ("なし", 0),
            _ => ("不明", null),
        },
    };
}
