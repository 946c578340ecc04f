using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Adapters.Sensors;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Federation;

/// <summary>
/// <c>disasterhub-{layer}</c>: a page of another DisasterHub's merged changes (<c>GET /api/v1/changes</c>, the event
/// stream's changes as JSON), read into records of this hub's source that follows it (federation: a prefecture hub from
/// its municipalities' hubs). Each record keeps the other hub's identity of the thing (its entity key, as source key and
/// entity key, so this hub merges it with what its own sources say of the same thing), its classification, and its
/// provenance under <c>attrs.origin</c>: the hub, that hub's sources and feature id, change sequence, receipt time and
/// per-field provenance. One parser per layer, as every format has one layer.
/// </summary>
public sealed class HubChangesParser(string layer) : IFeedParser
{
    public const string Prefix = "disasterhub-";

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public string Format => Prefix + layer;
    public string Layer => layer;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith("{\"origin\":", StringComparison.Ordinal) && text.Contains("\"changes\":[", StringComparison.Ordinal)
            && (text.Contains($"\"layer\":\"{layer}\"", StringComparison.Ordinal) || text.Contains("\"changes\":[]", StringComparison.Ordinal));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        if (SafeJson.Parse(text, Options) is not JsonObject doc) throw new UnparseableDocumentException("/", "the document must be a JSON object");
        if (doc["changes"] is not JsonArray changes) throw new UnparseableDocumentException("/changes", "missing 'changes' array: not a DisasterHub changes page");
        var origin = Str(doc["origin"]);
        var result = new ParseResult { Format = Format, Encoding = encoding };
        for (var i = 0; i < changes.Count; i++)
        {
            var at = $"/changes/{i}";
            if (changes[i] is not JsonObject change || change["feature"] is not JsonObject feature || feature["properties"] is not JsonObject p)
            {
                result.Reject(at, "a change must be an object with a GeoJSON feature");
                continue;
            }
            if (Str(p["layer"]) is { } l && l != layer)
            {
                result.Reject($"{at}/feature/properties/layer", $"layer '{l}' is not {layer}, this source's layer");
                continue;
            }
            var key = Str(p["entity_key"]);
            if (string.IsNullOrEmpty(key))
            {
                result.Reject($"{at}/feature/properties/entity_key", "missing entity_key: the other hub's identity of the thing");
                continue;
            }
            // the thing left the other hub's merged layer (withdrawn there, or merged into another entity): withdrawn
            // here too, unless a later change of the page brings it back
            if (Str(change["event"]) == "deleted")
            {
                result.Records.RemoveAll(r => r.SourceKey == key);
                if (!result.Withdrawals.Contains(key)) result.Withdrawals.Add(key);
                continue;
            }
            result.Withdrawals.Remove(key);
            if (!GeoJsonGeometry.TryRead(feature["geometry"], out var geometry, out var why))
            {
                result.Reject($"{at}/feature/geometry", why);
                continue;
            }
            if (!TryTime(p["observed_at"], out var observed) || !TryTime(p["valid_from"], out var validFrom) || !TryTime(p["valid_until"], out var validUntil))
            {
                result.Reject($"{at}/feature/properties", "observed_at, valid_from and valid_until must be RFC 3339 timestamps or null");
                continue;
            }
            var attrs = p["attrs"] is JsonObject a ? (JsonObject)a.DeepClone() : [];
            attrs["origin"] = new JsonObject
            {
                ["hub"] = origin,
                ["feature_id"] = Str(feature["id"]),
                ["sources"] = p["sources"]?.DeepClone(),
                ["change_seq"] = change["seq"]?.DeepClone(),
                ["received_at"] = p["received_at"]?.DeepClone(),
                ["provenance"] = p["provenance"]?.DeepClone(),
            };
            var severity = p["severity"] is JsonValue sv && sv.TryGetValue<int>(out var s) ? s : (int?)null;
            result.Records.Add(new FeatureRecord
            {
                Layer = layer,
                SourceKey = key,
                EntityKey = key,
                MunicipalityCode = Str(p["municipality_code"]),
                Name = Str(p["name"]),
                Address = Str(p["address"]),
                Geometry = geometry,
                Status = Str(p["status"]),
                Severity = severity,
                ObservedAt = observed,
                ValidFrom = validFrom,
                ValidUntil = validUntil,
                Classification = Str(p["classification"]) ?? Classifications.Public,
                Attrs = attrs,
                Location = at,
            });
        }
        return result;
    }

    private static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool TryTime(JsonNode? n, out DateTimeOffset? t)
    {
        t = null;
        if (n is null) return true;
        if (Str(n) is not { } s || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var v)) return false;
        t = v;
        return true;
    }
}
