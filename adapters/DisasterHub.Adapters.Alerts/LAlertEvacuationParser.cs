using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Alerts;

/// <summary>
/// <c>lalert-evacuation</c>: 公共情報コモンズ 避難勧告・指示情報 (EvacuationOrder, pcxml v3/v4), bare EDXL-DE or SOAP
/// <c>publish</c>. One <c>evacuation_orders</c> record per Detail × Area. Also the known commons categories without a
/// layer of their own (AntidisasterHeadquarter, Event, GeneralInformation …) and Head-only messages: 0 records.
/// </summary>
public sealed class LAlertEvacuationParser : IFeedParser
{
    public const string FormatName = "lalert-evacuation";

    public string Format => FormatName;
    public string Layer => Layers.EvacuationOrders;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => LAlertMessage.SniffKind(head) == LAlertKind.Evacuation;

    /// <summary>
    /// Sort → Status, following the 2021 revision (避難勧告 merged into 避難指示; 避難準備・高齢者等避難開始 became
    /// 高齢者等避難). Null when the word is not a known Sort.
    /// </summary>
    public static string? NormalizeSort(string? sort)
    {
        if (sort is null) return null;
        var s = sort.Normalize(NormalizationForm.FormKC).Trim();
        if (s.Contains("緊急安全確保", StringComparison.Ordinal)) return "緊急安全確保";
        if (s.Contains("警戒区域", StringComparison.Ordinal)) return "警戒区域";
        if (s.Contains("避難準備", StringComparison.Ordinal) || s.Contains("高齢者等避難", StringComparison.Ordinal)) return "高齢者等避難";
        if (s.Contains("避難勧告", StringComparison.Ordinal) || s.Contains("避難指示", StringComparison.Ordinal)) return "避難指示";
        return null;
    }

    /// <summary>高齢者等避難 1, 避難指示 2, 緊急安全確保 3, 警戒区域 3; a lift (解除) 0.</summary>
    public static int SeverityOf(string status, bool lifted) => lifted ? 0 : status switch
    {
        "高齢者等避難" => 1,
        "避難指示" => 2,
        _ => 3,
    };

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var message = LAlertMessage.Load(content);
        var result = new ParseResult { Format = Format, Encoding = message.Encoding };
        var usedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (obj, category, report) in message.Contents(LAlertKind.Evacuation, Format))
        {
            if (category != "EvacuationOrder")
            {
                // Known commons categories without a layer: a filled body is reported, a template is not.
                var filled = report?.Elements().FirstOrDefault(e => e.Name.NamespaceName.Contains("/body/", StringComparison.Ordinal) && e.HasElements);
                if (filled is not null) result.Reject(SafeXml.PathOf(filled), $"category {category ?? "(none)"} is not mapped to a layer; nothing was read");
                continue;
            }
            var body = LAlertMessage.Body(report, "EvacuationOrder");
            if (body is null) continue; // Head-only message or empty template: no Sort, nothing to map.
            ReadBody(message, obj, report!, body, result, usedKeys);
        }
        return result;
    }

    private static void ReadBody(LAlertMessage message, XElement obj, XElement report, XElement body, ParseResult result, HashSet<string> usedKeys)
    {
        var common = message.CommonAttrs(obj, report);
        var docId = (string?)common["document_id"] ?? message.DistributionId ?? "lalert";
        var defaultCode = message.DefaultCode(report);
        var reportTime = LAlertMessage.ReportTime(report) ?? message.DateTimeSent;
        var cancelled = message.DistributionType == "Cancel";
        var disaster = AlertXml.Text(AlertXml.Child(body, "Disaster"), "DisasterName");
        var complementary = AlertXml.Text(body, "ComplementaryInfo");
        var total = AlertXml.Child(body, "TotalNumber");
        var totalHouseholds = AlertXml.Count(AlertXml.Text(total, "Households"));
        var totalHeads = AlertXml.Count(AlertXml.Text(total, "HeadCount"));

        var details = AlertXml.Children(body, "Detail").ToList();
        for (var d = 0; d < details.Count; d++)
        {
            var detail = details[d];
            var detailPath = SafeXml.PathOf(detail);
            var sortRaw = AlertXml.Text(detail, "Sort");
            if (NormalizeSort(sortRaw) is not { } status)
            {
                result.Reject(detailPath + "/Sort", sortRaw is null
                    ? "Sort is missing"
                    : $"'{sortRaw}' is not one of 避難準備, 高齢者等避難, 避難勧告, 避難指示, 緊急安全確保, 警戒区域");
                continue;
            }
            var issueOrLift = AlertXml.Text(detail, "IssueOrLift");
            if (issueOrLift is not ("発令" or "解除"))
            {
                result.Reject(detailPath + "/IssueOrLift", issueOrLift is null ? "IssueOrLift is missing" : $"'{issueOrLift}' is not one of 発令, 解除");
                continue;
            }
            var detailObject = AlertXml.Child(detail, "Object");
            var areas = AlertXml.Children(AlertXml.Child(detail, "Areas"), "Area").ToList();
            if (areas.Count == 0)
            {
                result.Reject(detailPath, "Detail has no Areas/Area");
                continue;
            }
            for (var a = 0; a < areas.Count; a++)
            {
                var area = areas[a];
                var at = SafeXml.PathOf(area);
                var location = AlertXml.Child(area, "Location") ?? area;
                var name = AlertXml.Text(location, "areaName");
                var oaza = AlertXml.Text(location, "ooAzaTyouTyouMokuCode");
                var code = defaultCode;
                if (AlertXml.Text(location, "jisX0402") is { } rawCode)
                {
                    if (!MunicipalityCode.TryNormalize(rawCode, out var c, out var error))
                    {
                        result.Reject(at + "/Location/jisX0402", error!);
                        continue;
                    }
                    code = c;
                }
                if (!LAlertMessage.TryLocationGeometry(location, out var geometry, out var why))
                {
                    result.Reject(at + "/Location", why);
                    continue;
                }

                var attrs = common.DeepClone().AsObject();
                attrs["original_sort"] = sortRaw;
                attrs["issue_or_lift"] = issueOrLift;
                if (disaster is not null) attrs["disaster_name"] = disaster;
                if (complementary is not null) attrs["complementary_info"] = complementary;
                if (oaza is not null) attrs["oaza_code"] = oaza;
                if (AlertXml.Text(location, "areaNameKana") is { } kana) attrs["area_name_kana"] = kana;
                var areaObject = AlertXml.Child(area, "Object");
                AddCount(attrs, "households", AlertXml.Text(areaObject, "Households"));
                AddCount(attrs, "head_count", AlertXml.Text(areaObject, "HeadCount"));
                AddCount(attrs, "detail_households", AlertXml.Text(detailObject, "Households"));
                AddCount(attrs, "detail_head_count", AlertXml.Text(detailObject, "HeadCount"));
                if (totalHouseholds is { } th) attrs["total_households"] = th;
                if (totalHeads is { } tp) attrs["total_head_count"] = tp;

                var areaKey = oaza ?? (name is not null ? $"{code}:{NameNormalizer.Normalize(name)}" : code is not null ? code : $"{d + 1}/{a + 1}");
                var sourceKey = $"{docId}:{areaKey}";
                if (!usedKeys.Add(sourceKey))
                {
                    sourceKey = $"{docId}:{areaKey}#{d + 1}";
                    usedKeys.Add(sourceKey);
                }
                var areaTime = AlertXml.ZonedOrJst(AlertXml.Text(area, "DateTime"));
                result.Records.Add(message.Stamp(new FeatureRecord
                {
                    Layer = Layers.EvacuationOrders,
                    SourceKey = sourceKey,
                    EntityKey = oaza is not null ? $"lalert-area:{oaza}"
                        : name is not null && code is not null ? $"lalert-area:{code}:{NameNormalizer.Normalize(name)}"
                        : code is not null ? $"lalert-area:{code}"
                        : $"lalert-area:{docId}:{d + 1}/{a + 1}",
                    MunicipalityCode = code,
                    Name = name,
                    Geometry = geometry,
                    LocatedByCode = geometry is null && code is not null,
                    Status = cancelled ? "cancelled" : status,
                    Severity = cancelled ? 0 : SeverityOf(status, issueOrLift == "解除"),
                    ObservedAt = areaTime ?? reportTime,
                    ReportedAt = reportTime,
                    Attrs = attrs,
                    Location = at,
                    // A lift (解除) ends the order at its time; the order itself holds until lifted or ValidDateTime.
                    ValidUntil = issueOrLift == "解除" ? areaTime ?? reportTime : null,
                }, report));
            }
        }
    }

    private static void AddCount(JsonObject attrs, string key, string? text)
    {
        if (AlertXml.Count(text) is { } n) attrs[key] = n;
    }
}
