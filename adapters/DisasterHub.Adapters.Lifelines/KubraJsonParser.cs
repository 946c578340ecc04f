using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Core;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;
using static DisasterHub.Adapters.Lifelines.LifelineFields;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>kubra-json</c>: Kubra StormCenter data files (FIELDS §6): thematic areas
/// (<c>file_data.areas[{key, name, n_out, cust_a.val, cust_s, percent_cust_a.val, etr, areas[]}]</c>, one record per
/// leaf area), cluster files (<c>file_data[{id, desc{…}, geom.p}]</c>, one record per incident or cluster) and the
/// summary file (<c>summaryFileData.totals</c>: known, but totals have no location, so no records).
/// </summary>
/// <remarks>Location: <c>geom.p</c> / <c>geom.a</c> Google-encoded polylines when present; else a <c>key</c> that is
/// a 5- or 6-digit 全国地方公共団体コード the municipality directory knows (LocatedByCode); else none (the registry
/// rejects the record: "no usable location").</remarks>
public sealed class KubraJsonParser : IFeedParser
{
    public const string FormatName = "kubra-json";

    public string Format => FormatName;
    public string Layer => Layers.PowerOutages;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = JsonHead(head, fileName, out var nameOk);
        return nameOk && text.StartsWith('{')
            && (text.Contains("\"file_data\"", StringComparison.Ordinal) || text.Contains("\"summaryFileData\"", StringComparison.Ordinal));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (doc, encoding) = ParseObject(content);
        var result = new ParseResult { Format = Format, Encoding = encoding };
        var directory = context.Municipalities ?? MunicipalityDirectory.LoadEmbedded();

        if (doc["summaryFileData"] is JsonObject)
            return result; // service-area totals only: no location, nothing to store (README).

        var fileData = doc["file_data"] ?? throw new UnparseableDocumentException("/file_data", "missing 'file_data' (or 'summaryFileData')");
        var generated = ReadGenerated(doc, fileData as JsonObject);
        var observed = generated ?? context.ReceivedAt.ToUniversalTime();
        var keys = new UniqueKeys(result);
        switch (fileData)
        {
            case JsonObject { } fd when fd["areas"] is JsonArray areas:
                WalkAreas(areas, "/file_data/areas", observed, generated, directory, result, keys);
                break;
            case JsonArray clusters:
                for (var i = 0; i < clusters.Count; i++)
                    if (ParseCluster(clusters[i], $"/file_data/{i}", observed, generated, result) is { } r) keys.TryAdd(r);
                break;
            default:
                throw new UnparseableDocumentException("/file_data", "expected file_data.areas (thematic) or a file_data array (clusters)");
        }
        return result;
    }

    private static DateTimeOffset? ReadGenerated(JsonObject doc, JsonObject? fileData)
    {
        foreach (var (node, at) in new[] { (doc["date_generated"], "/date_generated"), (fileData?["date_generated"], "/file_data/date_generated") })
        {
            if (node is null) continue;
            if (!TryZoned(node, out var t, out var why)) throw new UnparseableDocumentException(at, why);
            return t;
        }
        return null;
    }

    private static void WalkAreas(JsonArray areas, string at, DateTimeOffset observed, DateTimeOffset? generated, MunicipalityDirectory directory, ParseResult result, UniqueKeys keys)
    {
        for (var i = 0; i < areas.Count; i++)
        {
            var here = $"{at}/{i}";
            if (areas[i] is not JsonObject a)
            {
                result.Reject(here, "must be an object");
                continue;
            }
            if (a["areas"] is JsonArray { Count: > 0 } children)
            {
                WalkAreas(children, here + "/areas", observed, generated, directory, result, keys);
                continue;
            }
            if (ParseArea(a, here, observed, generated, directory, result) is { } r) keys.TryAdd(r);
        }
    }

    private static FeatureRecord? ParseArea(JsonObject a, string at, DateTimeOffset observed, DateTimeOffset? generated, MunicipalityDirectory directory, ParseResult result)
    {
        if (Text(a["key"]) is not { } key)
        {
            result.Reject(at + "/key", "key is required");
            return null;
        }
        var attrs = new JsonObject { ["kubra_key"] = key };
        if (!ReadCounts(a, at, attrs, result, out var customersOut, out var served)) return null;

        Geometry? geometry = null;
        if (a["geom"] is { } g && (geometry = ReadGeom(g, at + "/geom", result)) is null) return null;

        string? code = null;
        if (key.Length is 5 or 6 && key.All(char.IsAsciiDigit)
            && MunicipalityCode.TryNormalize(key, out var c, out _) && directory.Get(c) is not null)
            code = c;

        return new FeatureRecord
        {
            Layer = Layers.PowerOutages,
            SourceKey = key,
            EntityKey = code is not null ? PowerOutage.MunicipalityEntity(code) : "kubra-area:" + key,
            MunicipalityCode = code,
            Name = Text(a["name"]),
            Geometry = geometry,
            LocatedByCode = geometry is null && code is not null,
            Status = PowerOutage.Status(customersOut),
            Severity = PowerOutage.Severity(customersOut, served),
            ObservedAt = observed,
            ReportedAt = generated,
            Attrs = attrs,
            Location = at,
        };
    }

    private static FeatureRecord? ParseCluster(JsonNode? node, string at, DateTimeOffset observed, DateTimeOffset? generated, ParseResult result)
    {
        if (node is not JsonObject item || item["desc"] is not JsonObject desc)
        {
            result.Reject(at, "a cluster item must be an object with 'desc'");
            return null;
        }
        var id = Text(desc["inc_id"]) ?? Text(item["id"]);
        if (id is null)
        {
            result.Reject(at + "/id", "id (or desc.inc_id) is required");
            return null;
        }
        var attrs = new JsonObject { ["kubra_id"] = id };
        if (!ReadCounts(desc, at + "/desc", attrs, result, out var customersOut, out var served)) return null;
        if (desc["cluster"]?.GetValueKind() == JsonValueKind.True) attrs["cluster"] = true;
        if (desc["cause"] is JsonObject cause && (Text(cause["EN-US"]) ?? Text(cause.FirstOrDefault().Value)) is { } causeText) attrs["cause"] = causeText;
        else if (Text(desc["cause"]) is { } plainCause) attrs["cause"] = plainCause;
        if (Text(desc["crew_status"]) is { } crew) attrs["crew_status"] = crew;
        if (desc["start_time"] is { } st)
        {
            if (!TryZoned(st, out var t, out var why))
            {
                result.Reject(at + "/desc/start_time", why);
                return null;
            }
            attrs["start_time"] = IsoUtc(t);
        }
        if (item["geom"] is not { } g)
        {
            result.Reject(at + "/geom", "a cluster item needs geom.p");
            return null;
        }
        if (ReadGeom(g, at + "/geom", result) is not { } geometry) return null;
        return new FeatureRecord
        {
            Layer = Layers.PowerOutages,
            SourceKey = "incident:" + id,
            EntityKey = "kubra-incident:" + id,
            Geometry = geometry,
            Status = PowerOutage.Status(customersOut),
            Severity = PowerOutage.Severity(customersOut, served),
            ObservedAt = observed,
            ReportedAt = generated,
            Attrs = attrs,
            Location = at,
        };
    }

    /// <summary>n_out, cust_a(.val), cust_s, percent_cust_a(.val), etr → attrs.</summary>
    private static bool ReadCounts(JsonObject o, string at, JsonObject attrs, ParseResult result, out long customersOut, out long? served)
    {
        customersOut = 0;
        served = null;
        var custA = o["cust_a"] is JsonObject ca ? ca["val"] : o["cust_a"];
        if (!TryCount(custA, out customersOut))
        {
            result.Reject(at + "/cust_a", $"cust_a.val must be a non-negative integer, got {custA?.ToJsonString() ?? "nothing"}");
            return false;
        }
        attrs["customers_out"] = customersOut;
        if (o["cust_s"] is { } cs)
        {
            if (!TryCount(cs, out var s))
            {
                result.Reject(at + "/cust_s", $"must be a non-negative integer, got {cs.ToJsonString()}");
                return false;
            }
            if (customersOut > s)
            {
                result.Reject(at + "/cust_a", $"customers affected {customersOut} exceed customers served {s}");
                return false;
            }
            served = s;
            attrs["customers_served"] = s;
        }
        if (o["n_out"] is { } n)
        {
            if (!TryCount(n, out var outages))
            {
                result.Reject(at + "/n_out", $"must be a non-negative integer, got {n.ToJsonString()}");
                return false;
            }
            attrs["outages"] = outages;
        }
        var pct = o["percent_cust_a"] is JsonObject pa ? pa["val"] : o["percent_cust_a"];
        if (pct is not null)
        {
            if (!TryNonNegative(pct, out var p) || p > 100)
            {
                result.Reject(at + "/percent_cust_a", $"must be a number from 0 to 100, got {pct.ToJsonString()}");
                return false;
            }
            attrs["percent_customers_out"] = p;
        }
        if (o["etr"] is { } etr && Text(etr) is { } etrText && !etrText.StartsWith("ETR-", StringComparison.Ordinal))
        {
            if (!TryZoned(etr, out var t, out var why))
            {
                result.Reject(at + "/etr", why);
                return false;
            }
            attrs["restoration_eta"] = IsoUtc(t);
        }
        else if (Text(o["etr"]) is { } marker)
        {
            attrs["etr_status"] = marker; // "ETR-NULL", "ETR-EXP": no estimate
        }
        return true;
    }

    /// <summary>geom.p: points or a line; geom.a: polygon outer rings (one per string).</summary>
    private static Geometry? ReadGeom(JsonNode g, string at, ParseResult result)
    {
        if (g is not JsonObject geom)
        {
            result.Reject(at, "geom must be an object");
            return null;
        }
        if (geom["a"] is { } areaNode)
        {
            if (!TryStrings(areaNode, out var rings))
            {
                result.Reject(at + "/a", "must be an array of encoded polylines");
                return null;
            }
            var polygons = new List<Polygon>();
            for (var i = 0; i < rings.Count; i++)
            {
                if (!Polyline.TryDecode(rings[i], out var cs) || cs.Count < 3)
                {
                    result.Reject($"{at}/a/{i}", "not a valid encoded polygon ring (Google polyline, at least 3 positions)");
                    return null;
                }
                if (!cs[0].Equals2D(cs[^1])) cs.Add(cs[0].Copy());
                if (cs.Count < 4)
                {
                    result.Reject($"{at}/a/{i}", "a polygon ring needs at least 3 distinct positions");
                    return null;
                }
                polygons.Add(Factory.CreatePolygon([.. cs]));
            }
            Geometry poly = polygons.Count == 1 ? polygons[0] : Factory.CreateMultiPolygon([.. polygons]);
            if (new IsValidOp(poly).ValidationError is { } err)
            {
                result.Reject(at + "/a", $"invalid polygon: {err.Message}");
                return null;
            }
            return poly;
        }
        if (geom["p"] is not { } pNode || !TryStrings(pNode, out var lines))
        {
            result.Reject(at + "/p", "geom needs 'p' (encoded polylines) or 'a' (encoded polygon rings)");
            return null;
        }
        var decoded = new List<List<Coordinate>>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (!Polyline.TryDecode(lines[i], out var cs))
            {
                result.Reject($"{at}/p/{i}", $"'{lines[i]}' is not a valid Google encoded polyline");
                return null;
            }
            decoded.Add(cs);
        }
        if (decoded.All(d => d.Count == 1))
            return decoded.Count == 1 ? Factory.CreatePoint(decoded[0][0]) : Factory.CreateMultiPoint([.. decoded.Select(d => Factory.CreatePoint(d[0]))]);
        var parts = decoded.Select(d => d.Count == 1 ? [d[0], d[0].Copy()] : d).Select(d => Factory.CreateLineString([.. d])).ToArray();
        return parts.Length == 1 ? parts[0] : Factory.CreateMultiLineString(parts);
    }

    private static bool TryStrings(JsonNode node, out List<string> values)
    {
        values = [];
        if (node.GetValueKind() == JsonValueKind.String)
        {
            values.Add((string)node!);
            return true;
        }
        if (node is not JsonArray arr || arr.Count == 0) return false;
        foreach (var n in arr)
        {
            if (n?.GetValueKind() != JsonValueKind.String) return false;
            values.Add((string)n!);
        }
        return true;
    }
}
