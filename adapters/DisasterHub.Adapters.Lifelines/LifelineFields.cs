using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Valid;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>Helpers shared by the lifeline parsers: JSON reading with a depth cap, counts, zoned timestamps, geometry.</summary>
internal static partial class LifelineFields
{
    public static readonly GeometryFactory Factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 64 };

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex ZonedTimestamp();

    /// <summary>Decodes and parses a JSON document whose root must be an object (depth capped at 64).</summary>
    public static (JsonObject Root, string Encoding) ParseObject(ReadOnlyMemory<byte> content)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, JsonOptions);
        return root is JsonObject doc ? (doc, encoding) : throw new UnparseableDocumentException("/", "the document must be a JSON object");
    }

    /// <summary>The decoded head without BOM/leading whitespace, for sniffing JSON.</summary>
    public static string JsonHead(ReadOnlySpan<byte> head, string? fileName, out bool nameOk)
    {
        nameOk = fileName is null || fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || !Path.HasExtension(fileName);
        return TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
    }

    public static string? Text(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => string.IsNullOrWhiteSpace((string?)node) ? null : ((string)node!).Trim(),
        JsonValueKind.Number => node!.ToJsonString(),
        _ => null,
    };

    /// <summary>A JSON number that is a non-negative integer.</summary>
    public static bool TryCount(JsonNode? node, out long n)
    {
        n = 0;
        if (node is null || node.GetValueKind() != JsonValueKind.Number) return false;
        var d = node.GetValue<double>();
        if (d < 0 || d > 1e15 || d != Math.Floor(d)) return false;
        n = (long)d;
        return true;
    }

    /// <summary>A JSON number ≥ 0 (fractions allowed, e.g. a percentage).</summary>
    public static bool TryNonNegative(JsonNode? node, out double d)
    {
        d = 0;
        if (node is null || node.GetValueKind() != JsonValueKind.Number) return false;
        d = node.GetValue<double>();
        return d >= 0 && double.IsFinite(d);
    }

    /// <summary>A count written in a cell: digits with optional thousands separators, full-width accepted; "12.0" accepted.</summary>
    public static bool TryCountText(string? raw, out long n)
    {
        n = 0;
        var s = raw?.Normalize(NormalizationForm.FormKC).Trim().Replace(",", "", StringComparison.Ordinal) ?? "";
        if (s.Length == 0) return false;
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n)) return true;
        if (double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && d <= 1e15)
        {
            n = (long)d;
            return true;
        }
        return false;
    }

    /// <summary>ISO 8601 with a zone offset (Z or ±hh:mm) → UTC.</summary>
    public static bool TryZoned(string? s, out DateTimeOffset utc, out string why)
    {
        utc = default;
        if (s is null || !ZonedTimestamp().IsMatch(s.Trim()))
        {
            why = $"timestamp '{s}' must be ISO 8601 with a zone offset (e.g. 2026-11-22T09:00:00+09:00)";
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

    public static bool TryZoned(JsonNode? node, out DateTimeOffset utc, out string why)
    {
        if (node is not null && node.GetValueKind() != JsonValueKind.String)
        {
            utc = default;
            why = $"timestamp {node.ToJsonString()} must be a string in ISO 8601 with a zone offset";
            return false;
        }
        return TryZoned((string?)node, out utc, out why);
    }

    /// <summary>"2026-11-22T00:30:00Z".</summary>
    public static string IsoUtc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A GeoJSON Polygon or MultiPolygon geometry object → NTS (SRID 4326). Positions must be [lon, lat] numbers in
    /// range, rings closed with at least 4 positions, and the result valid (OGC rules).
    /// </summary>
    public static Geometry? ReadPolygon(JsonNode? node, out string? error)
    {
        error = null;
        if (node is not JsonObject g)
        {
            error = "must be a GeoJSON geometry object";
            return null;
        }
        var type = Text(g["type"]);
        var coords = g["coordinates"] as JsonArray;
        if (coords is null)
        {
            error = "missing 'coordinates' array";
            return null;
        }
        Geometry? result;
        switch (type)
        {
            case "Polygon":
                result = ReadPolygonRings(coords, out error);
                break;
            case "MultiPolygon":
                var parts = new List<Polygon>();
                foreach (var p in coords)
                {
                    if (p is not JsonArray rings || ReadPolygonRings(rings, out error) is not { } poly) return null;
                    parts.Add(poly);
                }
                if (parts.Count == 0)
                {
                    error = "MultiPolygon has no polygons";
                    return null;
                }
                result = Factory.CreateMultiPolygon([.. parts]);
                break;
            default:
                error = $"type '{type}' is not Polygon or MultiPolygon";
                return null;
        }
        if (result is null) return null;
        var validation = new IsValidOp(result).ValidationError;
        if (validation is not null)
        {
            error = $"invalid polygon: {validation.Message} at ({validation.Coordinate.X.ToString(CultureInfo.InvariantCulture)} {validation.Coordinate.Y.ToString(CultureInfo.InvariantCulture)})";
            return null;
        }
        return result;
    }

    private static Polygon? ReadPolygonRings(JsonArray rings, out string? error)
    {
        error = null;
        var linear = new List<LinearRing>();
        foreach (var r in rings)
        {
            if (r is not JsonArray positions)
            {
                error = "a ring must be an array of positions";
                return null;
            }
            var cs = new List<Coordinate>();
            foreach (var pos in positions)
            {
                if (pos is not JsonArray xy || xy.Count < 2 || !TryNumber(xy[0], out var lon) || !TryNumber(xy[1], out var lat))
                {
                    error = "a position must be [lon, lat] numbers";
                    return null;
                }
                if (lon is < -180 or > 180 || lat is < -90 or > 90)
                {
                    error = $"position [{lon.ToString(CultureInfo.InvariantCulture)}, {lat.ToString(CultureInfo.InvariantCulture)}] is out of range";
                    return null;
                }
                cs.Add(new Coordinate(lon, lat));
            }
            if (cs.Count < 4)
            {
                error = "a ring needs at least 4 positions";
                return null;
            }
            if (!cs[0].Equals2D(cs[^1]))
            {
                error = "a ring must be closed (first position = last position)";
                return null;
            }
            linear.Add(Factory.CreateLinearRing([.. cs]));
        }
        if (linear.Count == 0)
        {
            error = "a polygon needs an outer ring";
            return null;
        }
        return Factory.CreatePolygon(linear[0], [.. linear.Skip(1)]);
    }

    private static bool TryNumber(JsonNode? node, out double d)
    {
        d = 0;
        if (node is null || node.GetValueKind() != JsonValueKind.Number) return false;
        d = node.GetValue<double>();
        return double.IsFinite(d);
    }
}

/// <summary>Status words and severity shared by every <c>power_outages</c> format (README "Common rules").</summary>
public static class PowerOutage
{
    public const string Out = "停電中";
    public const string Restored = "復旧済";

    /// <summary>Customers out: ≥ 10,000 → 3, ≥ 1,000 → 2, ≥ 1 → 1, 0 → 0.</summary>
    public static readonly long[] CountThresholds = [1, 1_000, 10_000];

    /// <summary>Share of customers served that are out: ≥ 50 % → 3, ≥ 10 % → 2, &gt; 0 → 1.</summary>
    public static readonly double[] RatioThresholds = [0, 0.10, 0.50];

    public static string Status(long customersOut) => customersOut > 0 ? Out : Restored;

    /// <summary>The larger of the count level and the ratio level (ratio only when customers served is known and &gt; 0).</summary>
    public static int Severity(long customersOut, long? customersServed)
    {
        if (customersOut <= 0) return 0;
        var byCount = customersOut >= CountThresholds[2] ? 3 : customersOut >= CountThresholds[1] ? 2 : 1;
        if (customersServed is not > 0) return byCount;
        var ratio = (double)customersOut / customersServed.Value;
        var byRatio = ratio >= RatioThresholds[2] ? 3 : ratio >= RatioThresholds[1] ? 2 : 1;
        return Math.Max(byCount, byRatio);
    }

    /// <summary>EntityKey of an outage area that is a Japanese municipality (or prefecture): "power-area:{code6}".</summary>
    public static string MunicipalityEntity(string code6) => "power-area:" + code6;
}

/// <summary>Rejects a second record with the same SourceKey in one document.</summary>
internal sealed class UniqueKeys(ParseResult result)
{
    private readonly DisasterHub.Core.Checks.DuplicateIdCheck.FirstSeen _seen = new();

    /// <remarks>The rule and its wording are the record checks' (<see cref="DisasterHub.Core.Checks.DuplicateIdCheck"/>).</remarks>
    public bool TryAdd(FeatureRecord record)
    {
        if (_seen.Reason(record) is { } why)
        {
            result.Reject(record.Location ?? record.SourceKey, why);
            return false;
        }
        result.Records.Add(record);
        return true;
    }
}
