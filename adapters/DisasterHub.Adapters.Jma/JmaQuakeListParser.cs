using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-quake-list</c>: the bosai earthquake list (www.jma.go.jp/bosai/quake/data/list.json). One record per
/// earthquake (eid), from its latest report (rdt); located at the hypocentre (cod, ISO 6709) or, for 震度速報 entries
/// without one, by the prefecture with the highest intensity.
/// </summary>
public sealed partial class JmaQuakeListParser : IFeedParser
{
    public const string FormatName = "jma-quake-list";

    internal static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    [GeneratedRegex(@"^\s*\[\s*\{")]
    private static partial Regex ArrayOfObjects();

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && Path.HasExtension(fileName) && !fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        var text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF');
        return ArrayOfObjects().IsMatch(text) && text.Contains("\"eid\"", StringComparison.Ordinal)
            && text.Contains("\"rdt\"", StringComparison.Ordinal) && text.Contains("\"maxi\"", StringComparison.Ordinal);
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, Options);
        if (root is not JsonArray list) throw new UnparseableDocumentException("/", "the quake list must be a JSON array");
        if (list.Count > 0 && (list[0] is not JsonObject first || first["eid"] is null))
            throw new UnparseableDocumentException("/0", "not a quake list entry (no eid)");
        var result = new ParseResult { Format = Format, Encoding = encoding };

        // Group successive reports of one earthquake; keep the latest (rdt, then ctt) as the record.
        var groups = new Dictionary<string, List<(int Index, JsonObject Entry)>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject e)
            {
                result.Reject($"/{i}", "must be an object");
                continue;
            }
            var eid = Str(e["eid"]);
            if (eid is null)
            {
                result.Reject($"/{i}/eid", "entry without eid");
                continue;
            }
            if (!groups.TryGetValue(eid, out var g))
            {
                groups[eid] = g = [];
                order.Add(eid);
            }
            g.Add((i, e));
        }

        foreach (var eid in order)
        {
            var reports = groups[eid]
                .OrderByDescending(r => JmaXml.ParseTime(Str(r.Entry["rdt"])) ?? DateTimeOffset.MinValue)
                .ThenByDescending(r => Str(r.Entry["ctt"]), StringComparer.Ordinal).ToList();
            var (index, e) = reports[0];
            if (Entry(eid, index, e, reports.Skip(1).Select(r => r.Entry).ToList(), result) is { } record) result.Records.Add(record);
        }
        return result;
    }

    private static FeatureRecord? Entry(string eid, int index, JsonObject e, List<JsonObject> older, ParseResult result)
    {
        var at = $"/{index}";
        // A later report may leave out what an earlier one gave (VXSE61 震源要素更新 has no intensities, 震度速報 no
        // hypocentre): take those from the newest earlier report that has them.
        var maxi = Str(e["maxi"]) ?? older.Select(o => Str(o["maxi"])).FirstOrDefault(m => m is not null);
        var intensities = e["int"] as JsonArray is { Count: > 0 } own ? own : older.Select(o => o["int"] as JsonArray).FirstOrDefault(a => a is { Count: > 0 });
        var cod = Str(e["cod"]) ?? older.Select(o => Str(o["cod"])).FirstOrDefault(c => c is not null);
        var attrs = new JsonObject
        {
            ["event_id"] = eid,
            ["title"] = Str(e["ttl"]),
            ["info_type"] = Str(e["ift"]),
            ["magnitude"] = JmaXml.Number(Str(e["mag"]) ?? older.Select(o => Str(o["mag"])).FirstOrDefault(m => m is not null)),
            ["max_intensity"] = maxi,
            ["epicenter_code"] = Str(e["acd"]) ?? older.Select(o => Str(o["acd"])).FirstOrDefault(c => c is not null),
            ["origin_time"] = JmaXml.ParseTime(Str(e["at"]))?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["serial"] = Str(e["ser"]),
            ["detail_json"] = Str(e["json"]),
        };
        if (Str(e["en_anm"]) is { } en) attrs["epicenter_name_en"] = en;

        var prefs = intensities?.OfType<JsonObject>().Select(p => (Code: Str(p["code"]), Maxi: Str(p["maxi"]))).Where(p => p.Code is not null).ToList() ?? [];
        if (prefs.Count > 0)
            attrs["intensity_prefs"] = new JsonArray(prefs.Select(p => (JsonNode?)new JsonObject { ["code"] = p.Code, ["max_intensity"] = p.Maxi }).ToArray());
        if (older.Count > 0)
            attrs["earlier_reports"] = new JsonArray(older.Select(o => (JsonNode?)new JsonObject
            {
                ["reported_at"] = JmaXml.ParseTime(Str(o["rdt"]))?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["title"] = Str(o["ttl"]),
                ["detail_json"] = Str(o["json"]),
            }).ToArray());

        var record = new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "quake:" + eid,
            EntityKey = "jma-quake:" + eid,
            Name = Str(e["anm"]) ?? older.Select(o => Str(o["anm"])).FirstOrDefault(n => n is not null),
            Severity = JmaXml.IntensitySeverity(maxi),
            ObservedAt = JmaXml.ParseTime(Str(e["at"])),
            ReportedAt = JmaXml.ParseTime(Str(e["rdt"])),
            Attrs = attrs,
            Location = at,
        };

        if (cod is not null)
        {
            if (!JmaXml.TryParseIso6709(cod, out var lat, out var lon, out var depth))
            {
                result.Reject(at + "/cod", $"'{cod}' is not an ISO 6709 point");
                return null;
            }
            record.Geometry = JmaXml.Point(lon, lat);
            record.Status = "震源";
            attrs["depth_km"] = depth;
            return record;
        }

        // 震度速報: no hypocentre yet; place it in the prefecture with the highest intensity.
        var strongest = prefs.OrderByDescending(p => IntensityRank(p.Maxi)).FirstOrDefault();
        var prefCode = JmaXml.PrefectureCode(strongest.Code);
        if (prefCode is null)
        {
            result.Reject(at + "/cod", $"{Str(e["ttl"]) ?? "entry"} has no hypocentre (cod) and no prefecture intensity to place it by");
            return null;
        }
        record.MunicipalityCode = prefCode;
        record.LocatedByCode = true;
        record.Status = maxi is null ? Str(e["ttl"]) : "震度" + maxi;
        return record;
    }

    private static int IntensityRank(string? i) => i switch
    {
        "1" => 1, "2" => 2, "3" => 3, "4" => 4, "5-" => 5, "5+" => 6, "6-" => 7, "6+" => 8, "7" => 9, _ => 0,
    };

    internal static string? Str(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => string.IsNullOrWhiteSpace((string?)node) ? null : ((string)node!).Trim(),
        JsonValueKind.Number => node!.ToJsonString(),
        _ => null,
    };
}
