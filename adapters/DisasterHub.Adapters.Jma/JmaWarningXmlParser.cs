using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-vpww</c>: 気象特別警報・警報・注意報 (VPWW53, VPWW54, the per-hazard VPWW55–61) and 土砂災害警戒情報 (VXWW50).
/// One record per 市町村等 area and warning kind, from the finest Warning level ("…（市町村等）"), located by the area's
/// municipality code.
/// </summary>
public sealed class JmaWarningXmlParser : IFeedParser
{
    public const string FormatName = "jma-vpww";

    internal static readonly string[] InfoKinds = ["気象警報・注意報", "土砂災害警戒情報"];

    public string Format => FormatName;
    public string Layer => Layers.Warnings;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => JmaXml.SniffInfoKind(head, fileName, InfoKinds);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (_, head) = JmaXml.Load(content, InfoKinds);
        var result = new ParseResult { Format = Format, Encoding = "utf-8" };
        var landslide = head.InfoKind == "土砂災害警戒情報";

        var warnings = head.Body?.Elements(JmaNs.Meteorology + "Warning").ToList() ?? [];
        var finest = warnings.Where(w => IsMunicipalLevel((string?)w.Attribute("type"), landslide)).ToList();
        if (finest.Count == 0)
        {
            result.Reject(head.Body is null ? "/Report" : SafeXml.PathOf(head.Body),
                head.Cancelled
                    ? "cancelled telegram (取消) without a 市町村等 Warning block: nothing to cancel by area"
                    : "no Warning block at the 市町村等 level (type \"…（市町村等）\"): areas cannot be placed");
            return head.Stamp(result);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var directory = context.Municipalities ?? MunicipalityDirectory.LoadEmbedded();
        foreach (var warning in finest)
        foreach (var item in warning.Elements(JmaNs.Meteorology + "Item"))
            ParseItem(item, (string)warning.Attribute("type")!, head, landslide, seen, directory, result);
        return head.Stamp(result);
    }

    private static bool IsMunicipalLevel(string? type, bool landslide) =>
        type is not null && (landslide ? type == "土砂災害警戒情報" : type.EndsWith("（市町村等）", StringComparison.Ordinal));

    private static void ParseItem(XElement item, string warningType, JmaHead head, bool landslide, HashSet<string> seen, MunicipalityDirectory directory, ParseResult result)
    {
        var at = SafeXml.PathOf(item);
        var area = item.Element(JmaNs.Meteorology + "Area");
        var areaCode = JmaXml.Text(area?.Element(JmaNs.Meteorology + "Code"));
        var areaName = JmaXml.Text(area?.Element(JmaNs.Meteorology + "Name"));
        if (areaCode is null)
        {
            result.Reject(at, "Item without Area/Code");
            return;
        }
        // a whole municipality by its code (its boundary when imported); part of one, or a code no municipality has,
        // by the JMA city table's centroid (JmaXml.CityPlacement)
        var (code6, placed) = JmaXml.CityPlacement(areaCode, directory);
        if (code6 is null && placed is null)
        {
            result.Reject(at, $"area code {areaCode} is neither a 7-digit 市町村等 code of a real municipality nor in the 気象・地震・火山情報／市町村等 table");
            return;
        }

        var kinds = item.Elements(JmaNs.Meteorology + "Kind").ToList();
        if (kinds.Count == 0)
        {
            result.Reject(at, "Item without Kind");
            return;
        }
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kind in kinds)
            if (JmaXml.Text(kind.Element(JmaNs.Meteorology + "Code")) is { } c) current.Add(c);

        for (var k = 0; k < kinds.Count; k++)
        {
            var kind = kinds[k];
            var kindAt = kinds.Count > 1 ? $"{at}/Kind[{k + 1}]" : $"{at}/Kind";
            var kindCode = JmaXml.Text(kind.Element(JmaNs.Meteorology + "Code"));
            var kindName = JmaXml.Text(kind.Element(JmaNs.Meteorology + "Name"));
            var status = JmaXml.Text(kind.Element(JmaNs.Meteorology + "Status")) ?? "発表";
            var keyKind = landslide ? "landslide" : kindCode ?? "none";
            var sourceKey = $"{areaCode}:{keyKind}";
            if (!seen.Add(sourceKey))
            {
                result.Reject(kindAt, $"duplicate area and kind {sourceKey}");
                continue;
            }

            var attrs = new JsonObject
            {
                ["area_code"] = areaCode,
                ["warning_type"] = warningType,
            };
            if (kindCode is not null) attrs["kind_code"] = kindCode;
            if (kindName is not null) attrs["kind_name"] = kindName;
            if (JmaXml.Text(kind.Element(JmaNs.Meteorology + "Condition")) is { } condition) attrs["condition"] = condition;
            AddNotes(attrs, "attention", kind.Element(JmaNs.Meteorology + "Attention"));
            AddNotes(attrs, "addition", kind.Element(JmaNs.Meteorology + "Addition"));
            if (kind.Element(JmaNs.Meteorology + "LastKind") is { } last)
            {
                if (JmaXml.Text(last.Element(JmaNs.Meteorology + "Code")) is { } lc) attrs["last_kind_code"] = lc;
                if (JmaXml.Text(last.Element(JmaNs.Meteorology + "Name")) is { } ln) attrs["last_kind_name"] = ln;
            }
            if (kind.Descendants(JmaNs.Meteorology + "Significancy").FirstOrDefault() is { } sig && JmaXml.Text(sig.Element(JmaNs.Meteorology + "Name")) is { } sigName)
                attrs["significancy"] = sigName;
            if (JmaXml.Text(item.Element(JmaNs.Meteorology + "ChangeStatus")) is { } change) attrs["change_status"] = change;
            if (head.Title is not null) attrs["title"] = head.Title;
            if (placed is not null) JmaXml.MarkPlaced(attrs, placed);
            head.Annotate(attrs);

            var severity = head.Cancelled ? 0 : Severity(kindName, kindCode, status, landslide);
            result.Records.Add(Record(sourceKey, code6, placed, areaName, head.Cancelled ? "取消" : status, severity, head, attrs, kindAt));

            // VPWW55–61 name the kind this one replaced (LastKind): that kind is no longer in force in the area.
            if (!landslide && !head.Cancelled && attrs["last_kind_code"] is { } lastCode && !current.Contains((string)lastCode!))
            {
                var replacedKey = $"{areaCode}:{(string)lastCode!}";
                if (seen.Add(replacedKey))
                {
                    var replacedAttrs = new JsonObject
                    {
                        ["area_code"] = areaCode,
                        ["warning_type"] = warningType,
                        ["kind_code"] = (string)lastCode!,
                        ["kind_name"] = attrs["last_kind_name"]?.DeepClone(),
                        ["replaced_by_code"] = kindCode,
                        ["replaced_by_name"] = kindName,
                    };
                    if (placed is not null) JmaXml.MarkPlaced(replacedAttrs, placed);
                    head.Annotate(replacedAttrs);
                    result.Records.Add(Record(replacedKey, code6, placed, areaName, "切替", 0, head, replacedAttrs, kindAt + "/LastKind"));
                }
            }
        }
    }

    private static FeatureRecord Record(string sourceKey, string? code6, JmaArea? placed, string? name, string status, int? severity, JmaHead head, JsonObject attrs, string at) => new()
    {
        Layer = Layers.Warnings,
        SourceKey = sourceKey,
        EntityKey = "jma-area:" + sourceKey,
        MunicipalityCode = code6,
        Name = name,
        Geometry = placed?.Geometry.Copy(),
        LocatedByCode = placed is null,
        Status = status,
        Severity = severity,
        ObservedAt = head.TargetDateTime ?? head.ReportDateTime,
        ReportedAt = head.ReportDateTime,
        Attrs = attrs,
        Location = at,
    };

    private static void AddNotes(JsonObject attrs, string key, XElement? holder)
    {
        var notes = holder?.Elements(JmaNs.Meteorology + "Note").Select(JmaXml.Text).OfType<string>().ToList();
        if (notes is { Count: > 0 }) attrs[key] = new JsonArray(notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
    }

    /// <summary>
    /// 解除 / なし / 発表警報・注意報はなし → 0. Otherwise by the kind's name (特別警報 or レベル４/５・危険警報 → 3, 警報 → 2,
    /// 注意報 → 1), else by the code group of FIELDS §4 (02–08 警報, 10–26 注意報, 32–38 特別警報, 00 解除).
    /// 土砂災害警戒情報 (VXWW50): code 3 (発表) → 3, 0 なし / 1 解除 → 0.
    /// </summary>
    public static int? Severity(string? kindName, string? kindCode, string status, bool landslide)
    {
        if (status is "解除" or "なし" or "発表警報・注意報はなし") return 0;
        if (landslide) return kindCode is "0" or "1" ? 0 : kindCode is null ? null : 3;
        if (kindName is not null)
        {
            if (kindName.Contains("特別警報", StringComparison.Ordinal) || kindName.Contains("危険警報", StringComparison.Ordinal)
                || kindName.StartsWith("レベル５", StringComparison.Ordinal) || kindName.StartsWith("レベル４", StringComparison.Ordinal)) return 3;
            if (kindName.Contains("警報", StringComparison.Ordinal)) return 2;
            if (kindName.Contains("注意報", StringComparison.Ordinal)) return 1;
        }
        if (kindCode is null || !int.TryParse(kindCode, out var n)) return null;
        return n switch
        {
            0 => 0,
            >= 2 and <= 8 => 2,
            >= 10 and <= 29 => 1,
            >= 32 and <= 39 => 3,
            >= 40 and <= 49 => 3, // レベル４危険警報 (VPWW55–61)
            _ => null,
        };
    }
}
