using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.LifelineFields;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>fdma-damage-json</c>: a municipality's or prefecture's 第4号様式 その2 (被害状況即報) push, one entry per
/// municipality (our own format, README). One record per municipality, located by its code.
/// </summary>
public sealed class FdmaDamageJsonParser : IFeedParser
{
    public const string FormatName = "fdma-damage-json";

    public string Format => FormatName;
    public string Layer => Layers.Damage;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = JsonHead(head, fileName, out var nameOk);
        return nameOk && text.StartsWith('{') && text.Contains("\"municipalities\"", StringComparison.Ordinal)
            && (text.Contains("\"report_no\"", StringComparison.Ordinal) || text.Contains("\"disaster_name\"", StringComparison.Ordinal)
                || text.Contains("\"houses_destroyed\"", StringComparison.Ordinal));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (doc, encoding) = ParseObject(content);
        if (doc["municipalities"] is not JsonArray list) throw new UnparseableDocumentException("/municipalities", "missing 'municipalities' array");
        var result = new ParseResult { Format = Format, Encoding = encoding };

        DateTimeOffset? reported = null;
        if (doc["reported_at"] is { } ra)
        {
            if (!TryZoned(ra, out var t, out var why)) throw new UnparseableDocumentException("/reported_at", why);
            reported = t;
        }
        var header = new JsonObject();
        if (doc["report_no"] is { } rn)
        {
            if (!TryCount(rn, out var n)) throw new UnparseableDocumentException("/report_no", $"must be a non-negative integer, got {rn.ToJsonString()}");
            header["report_no"] = n;
        }
        if (Text(doc["disaster_name"]) is { } disaster) header["disaster_name"] = disaster;
        if (Text(doc["reporter"]) is { } reporter) header["reporter"] = reporter;

        var keys = new UniqueKeys(result);
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"/municipalities/{i}";
            if (list[i] is not JsonObject m)
            {
                result.Reject(at, "must be an object");
                continue;
            }
            if (ParseMunicipality(m, at, header, reported, context, result) is { } r) keys.TryAdd(r);
        }
        return result;
    }

    private static FeatureRecord? ParseMunicipality(JsonObject m, string at, JsonObject header, DateTimeOffset? reported, ParseContext context, ParseResult result)
    {
        if (!MunicipalityCode.TryNormalize(Text(m["municipality_code"]), out var code, out var error))
        {
            result.Reject(at + "/municipality_code", error!);
            return null;
        }
        var observed = reported;
        if (m["observed_at"] is { } ob)
        {
            if (!TryZoned(ob, out var t, out var why))
            {
                result.Reject(at + "/observed_at", why);
                return null;
            }
            observed = t;
        }
        if (observed is null)
        {
            result.Reject(at + "/observed_at", "observed_at (or the document's reported_at) is required");
            return null;
        }

        var attrs = header.DeepClone().AsObject();
        foreach (var item in FdmaDamage.Items)
        {
            if (item.Kind == FdmaItemKind.Housing)
            {
                switch (m[item.Key])
                {
                    case null:
                        break;
                    case JsonObject units:
                        foreach (var (unit, suffix) in FdmaDamage.HousingUnits)
                        {
                            if (units[unit] is not { } v) continue;
                            if (!TryCount(v, out var n))
                            {
                                result.Reject($"{at}/{item.Key}/{unit}", $"must be a non-negative integer, got {v.ToJsonString()}");
                                return null;
                            }
                            attrs[$"{item.Key}_{suffix}"] = n;
                        }
                        break;
                    case var v when TryCount(v, out var buildings):
                        attrs[item.Key + "_buildings"] = buildings;
                        break;
                    case var v:
                        result.Reject($"{at}/{item.Key}", $"must be {{\"棟\":n,\"世帯\":n,\"人\":n}} or a non-negative integer (棟), got {v.ToJsonString()}");
                        return null;
                }
                continue;
            }
            var path = item.JsonPath ?? item.Key;
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            var node = dot < 0 ? m[path] : (m[path[..dot]] as JsonObject)?[path[(dot + 1)..]];
            if (node is null) continue;
            if (!TryCount(node, out var count))
            {
                result.Reject($"{at}/{path.Replace('.', '/')}", $"must be a non-negative integer, got {node.ToJsonString()}");
                return null;
            }
            attrs[item.Key] = count;
        }

        if (m["headquarters"] is JsonObject hq)
        {
            if (Text(hq["type"]) is { } type) attrs["headquarters_type"] = type;
            if (hq["established_at"] is { } est)
            {
                if (!TryZoned(est, out var t, out var why))
                {
                    result.Reject(at + "/headquarters/established_at", why);
                    return null;
                }
                attrs["headquarters_established_at"] = IsoUtc(t);
            }
        }
        else if (m["headquarters"] is { } other && other.GetValueKind() != JsonValueKind.Null)
        {
            result.Reject(at + "/headquarters", "must be an object {\"type\", \"established_at\"}");
            return null;
        }
        if (Text(m["notes"]) is { } notes) attrs["notes"] = notes;

        return new FeatureRecord
        {
            Layer = Layers.Damage,
            SourceKey = code,
            EntityKey = FdmaDamage.EntityKey(code),
            MunicipalityCode = code,
            Name = Text(m["municipality_name"]) ?? FdmaDamage.NameOf(code, context),
            LocatedByCode = true,
            Status = FdmaDamage.Status,
            Severity = FdmaDamage.Severity(attrs),
            ObservedAt = observed,
            ReportedAt = reported,
            Attrs = attrs,
            Location = at,
        };
    }
}
