using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Shelters;

/// <summary>
/// <c>shelter-status-json</c>: the document a municipality pushes with the 開設状況 and evacuee counts of its shelters
/// (our own format, described in this adapter's README). Problems are reported with JSON pointers ("/shelters/3/status").
/// </summary>
/// <remarks>A shelter may omit lat/lon: its record then has no geometry and the hub locates it from the registry
/// (by common_id / id); offline validation rejects it.</remarks>
public sealed partial class ShelterStatusJsonParser : IFeedParser
{
    public const string FormatName = "shelter-status-json";

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex ZonedTimestamp();

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !(fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || !Path.HasExtension(fileName)))
            return false;
        var text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith('{') && text.Contains("\"shelters\"", StringComparison.Ordinal)
            && !text.Contains("\"FeatureCollection\"", StringComparison.Ordinal);
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, Options);
        if (root is not JsonObject doc) throw new UnparseableDocumentException("/", "the document must be a JSON object");
        if (doc["shelters"] is not JsonArray shelters) throw new UnparseableDocumentException("/shelters", "missing 'shelters' array");

        var result = new ParseResult { Format = Format, Encoding = encoding };
        var collector = new RecordCollector(result);

        string? docCode = null;
        if (doc["municipality_code"] is { } mc)
        {
            if (!MunicipalityCode.TryNormalize(Text(mc), out var c, out var error)) result.Reject("/municipality_code", error!);
            else docCode = c;
        }
        DateTimeOffset? docObserved = null;
        if (doc["observed_at"] is { } dob)
        {
            if (!TryTimestamp(dob, out var t, out var why)) result.Reject("/observed_at", why);
            else docObserved = t;
        }

        for (var i = 0; i < shelters.Count; i++)
        {
            var at = $"/shelters/{i}";
            if (shelters[i] is not JsonObject s)
            {
                result.Reject(at, "must be an object");
                continue;
            }
            if (ParseShelter(s, at, docCode, docObserved, result) is { } record) collector.Add(record);
        }
        return result;
    }

    private static FeatureRecord? ParseShelter(JsonObject s, string at, string? docCode, DateTimeOffset? docObserved, ParseResult result)
    {
        var id = Text(s["id"]);
        var commonId = Text(s["common_id"]);
        if (id is null && commonId is null)
        {
            result.Reject(at + "/id", "id or common_id is required");
            return null;
        }

        var code = docCode;
        if (s["municipality_code"] is { } own)
        {
            if (!MunicipalityCode.TryNormalize(Text(own), out var c, out var error))
            {
                result.Reject(at + "/municipality_code", error!);
                return null;
            }
            code = c;
        }
        if (code is null && MunicipalityCode.FromCommonId(commonId) is { } five && MunicipalityCode.TryNormalize(five, out var fromId, out _))
            code = fromId;
        if (code is null)
        {
            result.Reject(at, "no municipality code (document municipality_code missing or invalid, and no common_id)");
            return null;
        }

        string? status = null;
        if (s["status"] is { } st)
        {
            if (!ShelterStatus.TryNormalize(Text(st), out var word))
            {
                result.Reject(at + "/status", $"'{Text(st) ?? st.ToJsonString()}' is not a status (未開設/開設/閉鎖/不明/常設 or not_opened/open/closed/unknown/permanent)");
                return null;
            }
            status = word;
        }

        var attrs = new JsonObject();
        foreach (var key in CountFields)
        {
            if (s[key] is null) continue;
            if (!TryCount(s[key]!, out var n))
            {
                result.Reject($"{at}/{key}", $"must be a non-negative integer, got {s[key]!.ToJsonString()}");
                return null;
            }
            attrs[key] = n;
        }

        var observed = docObserved;
        if (s["observed_at"] is { } ob)
        {
            if (!TryTimestamp(ob, out var t, out var why))
            {
                result.Reject(at + "/observed_at", why);
                return null;
            }
            observed = t;
        }

        NetTopologySuite.Geometries.Point? point = null;
        var lat = s["lat"];
        var lon = s["lon"];
        if (lat is not null || lon is not null)
        {
            if (lat?.GetValueKind() != JsonValueKind.Number || lon?.GetValueKind() != JsonValueKind.Number)
            {
                result.Reject(at + (lat?.GetValueKind() == JsonValueKind.Number ? "/lon" : "/lat"), "lat and lon must both be numbers (or both absent)");
                return null;
            }
            if (!ShelterFields.TryMakePoint(lat.GetValue<double>(), lon.GetValue<double>(), attrs, out var p, out var reason))
            {
                result.Reject(at + "/lat", reason);
                return null;
            }
            point = p;
        }

        if (!ReadSpecific(s, at, attrs, result)) return null;

        var name = Text(s["name"]);
        ShelterFields.AddText(attrs, ShelterAttrs.CommonId, commonId);
        ShelterFields.AddText(attrs, ShelterAttrs.ShelterId, id);
        ShelterFields.AddText(attrs, ShelterAttrs.Notes, Text(s["notes"]));
        ShelterFields.AddText(attrs, ShelterAttrs.Phone, Text(s["phone"]));
        return new FeatureRecord
        {
            Layer = Layers.Shelters,
            SourceKey = id ?? commonId!,
            EntityKey = commonId ?? (name is not null ? ShelterFields.EntityKey(null, code, name) : $"{code}:{id}"),
            MunicipalityCode = code,
            Name = name,
            Address = Text(s["address"]),
            Geometry = point,
            Status = status,
            ObservedAt = observed,
            Attrs = attrs,
            Location = at,
        };
    }

    /// <summary>Counts of the status push: the basic ones and EEI item 21's specific ones (persons, households).</summary>
    private static readonly string[] CountFields = ["evacuees", "capacity", "residents", "evacuees_male", "evacuees_female", "households", "needs_care", "staff_needed"];

    /// <summary>EEI item 21's specific attributes with a code list (the shelters catalogue entry names the same values).</summary>
    private static readonly (string Key, string[] Values)[] CodedFields =
    [
        ("capacity_state", ["空き", "混雑", "満員", "不明"]),
        ("power", ["可", "不可", "不明"]),
        ("water", ["可", "不可", "不明"]),
        ("toilet", ["可", "不可", "不明"]),
    ];

    /// <summary>
    /// EEI item 21 (避難所の状況) beyond counts: opened/closed times, the reason, coded states (capacity, power, water,
    /// toilets) and the needed supplies (an array of strings, or one string separated by 、 or ,). False after
    /// rejecting the shelter with the pointer of the first bad value.
    /// </summary>
    private static bool ReadSpecific(JsonObject s, string at, JsonObject attrs, ParseResult result)
    {
        foreach (var key in new[] { "opened_at", "closed_at" })
        {
            if (s[key] is not { } v) continue;
            if (!TryTimestamp(v, out var t, out var why))
            {
                result.Reject($"{at}/{key}", why);
                return false;
            }
            attrs[key] = t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
        if (Text(s["reason"]) is { } reason) attrs["reason"] = reason;
        foreach (var (key, values) in CodedFields)
        {
            if (s[key] is null) continue;
            if (Text(s[key]) is not { } word || !values.Contains(word))
            {
                result.Reject($"{at}/{key}", $"'{Text(s[key]) ?? s[key]!.ToJsonString()}' is not one of {string.Join("/", values)}");
                return false;
            }
            attrs[key] = word;
        }
        if (s["needed_supplies"] is { } needs)
        {
            string[]? items = needs switch
            {
                JsonArray a when a.All(x => x?.GetValueKind() == JsonValueKind.String) => [.. a.Select(x => ((string)x!).Trim()).Where(x => x.Length > 0)],
                JsonValue v when v.GetValueKind() == JsonValueKind.String => ((string)v!).Split(['、', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                _ => null,
            };
            if (items is null)
            {
                result.Reject($"{at}/needed_supplies", "needed_supplies must be an array of strings (or one string separated by 、)");
                return false;
            }
            attrs["needed_supplies"] = new JsonArray([.. items.Select(x => (JsonNode?)x)]);
        }
        return true;
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => string.IsNullOrWhiteSpace((string?)node) ? null : ((string)node!).Trim(),
        JsonValueKind.Number => node!.ToJsonString(),
        _ => null,
    };

    private static bool TryCount(JsonNode node, out int n)
    {
        n = 0;
        if (node.GetValueKind() != JsonValueKind.Number) return false;
        var d = node.GetValue<double>();
        if (d < 0 || d > int.MaxValue || d != Math.Floor(d)) return false;
        n = (int)d;
        return true;
    }

    private static bool TryTimestamp(JsonNode node, out DateTimeOffset utc, out string why)
    {
        utc = default;
        var s = node.GetValueKind() == JsonValueKind.String ? (string?)node : null;
        if (s is null || !ZonedTimestamp().IsMatch(s.Trim()))
        {
            why = $"timestamp {node.ToJsonString()} must be ISO 8601 with a zone offset (e.g. 2026-11-22T09:00:00+09:00)";
            return false;
        }
        if (!DateTimeOffset.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
        {
            why = $"timestamp '{s}' is not a valid date and time";
            return false;
        }
        utc = t.ToUniversalTime();
        why = "";
        return true;
    }
}
