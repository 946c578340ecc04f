using System.Text.Json.Nodes;
using DisasterHub.Core;
using static DisasterHub.Adapters.Lifelines.LifelineFields;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>power-push-json</c>: the document a utility (指定公共機関) posts with its outage areas, customer counts and
/// restoration estimates (our own format, README). Problems are reported with JSON pointers ("/areas/2/customers_out").
/// </summary>
public sealed class PowerPushJsonParser : IFeedParser
{
    public const string FormatName = "power-push-json";

    public string Format => FormatName;
    public string Layer => Layers.PowerOutages;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = JsonHead(head, fileName, out var nameOk);
        return nameOk && text.StartsWith('{') && text.Contains("\"utility\"", StringComparison.Ordinal)
            && text.Contains("\"areas\"", StringComparison.Ordinal) && text.Contains("\"customers_out\"", StringComparison.Ordinal);
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (doc, encoding) = ParseObject(content);
        if (Text(doc["utility"]) is not { } utility) throw new UnparseableDocumentException("/utility", "missing 'utility' (the reporting utility's name)");
        if (doc["areas"] is not JsonArray areas) throw new UnparseableDocumentException("/areas", "missing 'areas' array");

        var result = new ParseResult { Format = Format, Encoding = encoding };
        DateTimeOffset? docObserved = null;
        if (doc["observed_at"] is { } dob)
        {
            if (!TryZoned(dob, out var t, out var why)) throw new UnparseableDocumentException("/observed_at", why);
            docObserved = t;
        }

        var keys = new UniqueKeys(result);
        for (var i = 0; i < areas.Count; i++)
        {
            var at = $"/areas/{i}";
            if (areas[i] is not JsonObject a)
            {
                result.Reject(at, "must be an object");
                continue;
            }
            if (ParseArea(a, at, utility, docObserved, result) is { } record) keys.TryAdd(record);
        }
        return result;
    }

    private static FeatureRecord? ParseArea(JsonObject a, string at, string utility, DateTimeOffset? docObserved, ParseResult result)
    {
        if (Text(a["id"]) is not { } id)
        {
            result.Reject(at + "/id", "id is required");
            return null;
        }

        string? code = null;
        if (a["municipality_code"] is { } mc)
        {
            if (!MunicipalityCode.TryNormalize(Text(mc), out var c, out var error))
            {
                result.Reject(at + "/municipality_code", error!);
                return null;
            }
            code = c;
        }
        NetTopologySuite.Geometries.Geometry? polygon = null;
        if (a["polygon"] is { } pg)
        {
            polygon = ReadPolygon(pg, out var error);
            if (polygon is null)
            {
                result.Reject(at + "/polygon", error!);
                return null;
            }
        }
        if (code is null && polygon is null)
        {
            result.Reject(at, "an area needs municipality_code or polygon");
            return null;
        }

        if (!TryCount(a["customers_out"], out var customersOut))
        {
            result.Reject(at + "/customers_out", $"must be a non-negative integer, got {a["customers_out"]?.ToJsonString() ?? "nothing"}");
            return null;
        }
        long? served = null;
        if (a["customers_served"] is { } cs)
        {
            if (!TryCount(cs, out var s))
            {
                result.Reject(at + "/customers_served", $"must be a non-negative integer, got {cs.ToJsonString()}");
                return null;
            }
            if (customersOut > s)
            {
                result.Reject(at + "/customers_out", $"customers_out {customersOut} exceeds customers_served {s}");
                return null;
            }
            served = s;
        }

        DateTimeOffset? eta = null;
        if (a["restoration_eta"] is { } e)
        {
            if (!TryZoned(e, out var t, out var why))
            {
                result.Reject(at + "/restoration_eta", why);
                return null;
            }
            eta = t;
        }
        long? revision = null;
        if (a["eta_revision"] is { } rv)
        {
            if (!TryCount(rv, out var n))
            {
                result.Reject(at + "/eta_revision", $"must be a non-negative integer, got {rv.ToJsonString()}");
                return null;
            }
            revision = n;
        }

        var observed = docObserved;
        if (a["observed_at"] is { } ob)
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
            result.Reject(at + "/observed_at", "observed_at is required (on the document or the area)");
            return null;
        }

        var attrs = new JsonObject
        {
            ["utility"] = utility,
            ["area_id"] = id,
            ["customers_out"] = customersOut,
        };
        if (served is not null) attrs["customers_served"] = served.Value;
        if (Text(a["cause"]) is { } cause) attrs["cause"] = cause;
        if (eta is not null) attrs["restoration_eta"] = IsoUtc(eta.Value);
        if (revision is not null) attrs["eta_revision"] = revision.Value;
        if (Text(a["obstacles"]) is { } obstacles) attrs["obstacles"] = obstacles;
        if (Text(a["grid_map"]) is { } gridMap) attrs["grid_map"] = gridMap;

        return new FeatureRecord
        {
            Layer = Layers.PowerOutages,
            SourceKey = $"{utility}:{id}",
            EntityKey = polygon is null ? PowerOutage.MunicipalityEntity(code!) : $"power-area:{utility}:{id}",
            MunicipalityCode = code,
            Name = Text(a["name"]),
            Geometry = polygon,
            LocatedByCode = polygon is null,
            Status = PowerOutage.Status(customersOut),
            Severity = PowerOutage.Severity(customersOut, served),
            ObservedAt = observed,
            ReportedAt = docObserved,
            Attrs = attrs,
            Location = at,
        };
    }
}
