using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Sensors;

/// <summary>
/// <c>sensorthings</c>: OGC SensorThings API 1.1 (18-088) responses — collections (<c>{"value": [...]}</c>, paged by
/// <c>@iot.nextLink</c>), single entities, <c>$expand</c>ed Things, dataArray responses, and create/update bodies.
/// One record per station: a Thing (located by its Location; with expanded Datastreams/Observations, the latest
/// observation of each datastream in <c>attrs.observations</c>), a bare Location, a Datastream located by its
/// observedArea, a FeatureOfInterest. Observations, Sensors, ObservedProperties, HistoricalLocations and dataArray
/// documents are read and give no records. Severity comes from thresholds (see <see cref="SensorThresholds"/>).
/// </summary>
public sealed partial class SensorThingsParser : IFeedParser, ILinkedDocuments
{
    public const string FormatName = "sensorthings";

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    private readonly SensorThresholds _thresholds;

    public SensorThingsParser() : this(SensorThresholds.CreateDefault())
    {
    }

    public SensorThingsParser(SensorThresholds thresholds) => _thresholds = thresholds;

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    /// <summary>A SensorThings annotation used as a key: "@iot.id", "@iot.selfLink", "Things@iot.navigationLink"…</summary>
    [GeneratedRegex("\"[A-Za-z]*@iot\\.(?:id|selfLink|nextLink|count|navigationLink)\"\\s*:")]
    private static partial Regex IotKey();

    [GeneratedRegex(@"/(Things|Locations|HistoricalLocations|Datastreams|MultiDatastreams|Sensors|ObservedProperties|Observations|FeaturesOfInterest)\(([^)]*)\)/?$")]
    private static partial Regex SelfLinkEntity();

    [GeneratedRegex(@"^https?://\S+/Observations\([^)]*\)$")]
    private static partial Regex ObservationUrl();

    [GeneratedRegex(@"(?:Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex HasZone();

    [GeneratedRegex(@"([+-]\d{2})(\d{2})$")]
    private static partial Regex CompactOffset();

    /// <summary>Entity properties and navigation names of the data model (18-088 §8): what create/update bodies consist of.</summary>
    private static readonly HashSet<string> Vocabulary = new(StringComparer.Ordinal)
    {
        "name", "description", "properties", "encodingType", "location", "feature", "metadata", "definition",
        "unitOfMeasurement", "unitOfMeasurements", "observationType", "multiObservationDataTypes", "observedArea",
        "phenomenonTime", "resultTime", "validTime", "result", "resultQuality", "parameters", "time",
        "Thing", "Things", "Location", "Locations", "HistoricalLocation", "HistoricalLocations", "Datastream", "Datastreams",
        "MultiDatastream", "MultiDatastreams", "Sensor", "Sensors", "ObservedProperty", "ObservedProperties",
        "Observation", "Observations", "FeatureOfInterest", "FeaturesOfInterest", "components", "dataArray",
    };

    private static readonly string[] GeoJsonEncodings = ["application/geo+json", "application/vnd.geo+json", "application/json"];

    private static readonly string[] MunicipalityKeys = ["municipality_code", "municipalityCode", "lg_code", "全国地方公共団体コード", "市区町村コード"];

    private enum Kind { Thing, Location, HistoricalLocation, Datastream, MultiDatastream, Sensor, ObservedProperty, Observation, FeatureOfInterest, DataArray, Unknown }

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (!text.StartsWith('{') && !text.StartsWith('[')) return false;
        if (IotKey().IsMatch(text)) return true;
        try
        {
            return LooksLikeSensorThings(JsonNode.Parse(text, documentOptions: Options));
        }
        catch (JsonException)
        {
            return false; // a cut head without annotations, or not JSON
        }
    }

    /// <summary>The next page (<c>@iot.nextLink</c>), for the fetcher.</summary>
    public IReadOnlyList<Uri> FollowLinks(ReadOnlyMemory<byte> content, Uri documentUri) =>
        SensorThingsPage.NextLink(content.Span, documentUri) is { } next ? [next] : [];

    /// <summary>
    /// SensorThings markers: an <c>@iot.*</c> annotation key (at most 4 levels down); a <c>value</c> array of such
    /// entities; a dataArray; a CreateObservations response (Observation URLs and "error"); or an object made only of
    /// data-model property names with a <c>description</c> (a create/update body, 18-088 §10).
    /// </summary>
    public static bool LooksLikeSensorThings(JsonNode? root)
    {
        switch (root)
        {
            case JsonObject o:
                if (HasIotKey(o, 0) || o.ContainsKey("dataArray")) return true;
                if (o["value"] is JsonArray items)
                    return items.Any(i => i is JsonObject io && (HasIotKey(io, 0) || io.ContainsKey("dataArray")));
                return o.ContainsKey("description") && o.All(kv => Vocabulary.Contains(kv.Key));
            case JsonArray a when a.Count > 0:
                if (a.All(i => i?.GetValueKind() == JsonValueKind.String))
                {
                    var strings = a.Select(i => ((string)i!).Trim()).ToList();
                    return strings.Any(s => ObservationUrl().IsMatch(s)) && strings.All(s => s == "error" || ObservationUrl().IsMatch(s));
                }
                return a.All(i => i is JsonObject io && (HasIotKey(io, 0) || io.ContainsKey("dataArray")));
            default:
                return false;
        }
    }

    private static bool HasIotKey(JsonObject o, int depth)
    {
        foreach (var (key, value) in o)
        {
            if (key.Contains("@iot.", StringComparison.Ordinal)) return true;
            if (depth < 3 && value is JsonObject child && HasIotKey(child, depth + 1)) return true;
            if (depth < 3 && value is JsonArray arr && arr.FirstOrDefault() is JsonObject first && HasIotKey(first, depth + 1)) return true;
        }
        return false;
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, Options);
        if (!LooksLikeSensorThings(root))
            throw new UnparseableDocumentException("/", "not a SensorThings document: no @iot.id / @iot.selfLink / @iot.nextLink annotations, no 'value' array of entities, no dataArray");

        var result = new ParseResult { Format = Format, Encoding = encoding };
        switch (root)
        {
            case JsonObject o when o["value"] is JsonArray items:
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject item) Entity(item, $"/value/{i}", result);
                    else result.Reject($"/value/{i}", "a collection member must be an entity object");
                }
                break;
            case JsonObject o:
                Entity(o, "/", result);
                break;
            case JsonArray a:
                // CreateObservations: the dataArray request (objects) or its response (Observation URLs, "error").
                for (var i = 0; i < a.Count; i++)
                    if (a[i] is JsonObject item) Entity(item, $"/{i}", result);
                break;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        result.Records.RemoveAll(r =>
        {
            if (keys.Add(r.SourceKey)) return false;
            result.Reject(r.Location ?? r.SourceKey, $"duplicate entity {r.SourceKey} in the document");
            return true;
        });
        return result;
    }

    private void Entity(JsonObject o, string at, ParseResult result)
    {
        switch (Classify(o))
        {
            case Kind.Thing:
                Add(Thing(o, at, result), result);
                break;
            case Kind.Location:
                Add(LocationRecord(o, at, result), result);
                break;
            case Kind.Datastream:
            case Kind.MultiDatastream:
                Add(DatastreamRecord(o, at, result), result);
                break;
            case Kind.FeatureOfInterest:
                Add(FeatureRecord(o, at, result), result);
                break;
            case Kind.Unknown:
                result.Reject(at, "not a SensorThings entity (no @iot.selfLink and none of the Thing/Location/Datastream/Observation properties)");
                break;
            default:
                break; // Observations, Sensors, ObservedProperties, HistoricalLocations, dataArrays: no location of their own
        }
    }

    private static void Add(FeatureRecord? record, ParseResult result)
    {
        if (record is not null) result.Records.Add(record);
    }

    private static Kind Classify(JsonObject o)
    {
        if (Str(o["@iot.selfLink"]) is { } self && SelfLinkEntity().Match(self) is { Success: true } m)
            return m.Groups[1].Value switch
            {
                "Things" => Kind.Thing,
                "Locations" => Kind.Location,
                "HistoricalLocations" => Kind.HistoricalLocation,
                "Datastreams" => Kind.Datastream,
                "MultiDatastreams" => Kind.MultiDatastream,
                "Sensors" => Kind.Sensor,
                "ObservedProperties" => Kind.ObservedProperty,
                "Observations" => Kind.Observation,
                _ => Kind.FeatureOfInterest,
            };
        if (o.ContainsKey("dataArray")) return Kind.DataArray;
        if (o.ContainsKey("location")) return Kind.Location;
        if (o.ContainsKey("feature")) return Kind.FeatureOfInterest;
        if (o.ContainsKey("result")) return Kind.Observation;
        if (o.ContainsKey("multiObservationDataTypes") || o.ContainsKey("unitOfMeasurements")) return Kind.MultiDatastream;
        if (o.ContainsKey("unitOfMeasurement") || o.ContainsKey("observationType") || o.ContainsKey("observedArea")) return Kind.Datastream;
        if (o.ContainsKey("metadata")) return Kind.Sensor;
        if (o.ContainsKey("definition")) return Kind.ObservedProperty;
        if (o.ContainsKey("time")) return Kind.HistoricalLocation;
        if (o.ContainsKey("Locations") || o.ContainsKey("Datastreams") || o.ContainsKey("MultiDatastreams") || o.ContainsKey("properties")
            || o.ContainsKey("Locations@iot.navigationLink") || o.ContainsKey("Datastreams@iot.navigationLink")) return Kind.Thing;
        if (o.ContainsKey("name") || o.ContainsKey("description")) return Kind.Thing; // a Thing create/update body
        return Kind.Unknown;
    }

    // ---- Things ---------------------------------------------------------------------------------------------------

    private FeatureRecord? Thing(JsonObject o, string at, ParseResult result)
    {
        var id = EntityId(o);
        var name = Str(o["name"]);
        if (id is null && name is null)
        {
            result.Reject(at, "Thing has neither @iot.id nor name (an update body?): nothing identifies the station");
            return null;
        }
        var attrs = new JsonObject();
        if (id is not null) attrs["thing_id"] = id;
        AddText(attrs, "description", Str(o["description"]));
        AddText(attrs, "self_link", Str(o["@iot.selfLink"]));
        var properties = o["properties"] as JsonObject;
        AddText(attrs, "river", Str(properties?["river"]) ?? Str(properties?["河川名"]));

        Geometry? geometry = null;
        JsonObject? locationEntity = null;
        if (o["Locations"] is JsonArray locations)
        {
            Rejection? firstError = null;
            for (var j = 0; j < locations.Count && geometry is null; j++)
            {
                if (locations[j] is not JsonObject loc) continue;
                if (TryLocation(loc, $"{at}/Locations/{j}", out var g, out var error))
                {
                    geometry = g;
                    locationEntity = loc;
                }
                else firstError ??= error;
            }
            if (geometry is null && firstError is not null)
            {
                result.Rejections.Add(firstError);
                return null;
            }
            if (locations.Count > 1) attrs["location_count"] = locations.Count;
        }
        if (locationEntity is not null)
        {
            AddText(attrs, "location_id", Id(locationEntity["@iot.id"]));
            AddText(attrs, "location_name", Str(locationEntity["name"]));
        }

        var datastreams = new List<(JsonObject Ds, string At)>();
        foreach (var member in new[] { "Datastreams", "MultiDatastreams" })
            if (o[member] is JsonArray ds)
                for (var j = 0; j < ds.Count; j++)
                    if (ds[j] is JsonObject d) datastreams.Add((d, $"{at}/{member}/{j}"));

        if (geometry is null)
            foreach (var (ds, dsAt) in datastreams)
                if (ds["observedArea"] is JsonObject area && GeoJsonGeometry.TryRead(area, out var g, out _))
                {
                    geometry = g;
                    attrs["location_source"] = "observed_area";
                    break;
                }

        var record = new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "thing:" + (id ?? "name:" + name),
            EntityKey = "sta-thing:" + (id ?? "name:" + name),
            MunicipalityCode = Municipality(properties, attrs) ?? Municipality(locationEntity?["properties"] as JsonObject, attrs),
            Name = name,
            Geometry = geometry,
            Attrs = attrs,
            Location = at,
        };
        record.LocatedByCode = geometry is null && record.MunicipalityCode is not null;
        var thingLevels = ThresholdLevels.FromJson(properties?["flood_levels"]) ?? ThresholdLevels.FromJson(properties?["thresholds"]);
        Observe(record, datastreams, properties, thingLevels);
        return record;
    }

    private FeatureRecord? LocationRecord(JsonObject o, string at, ParseResult result)
    {
        var id = EntityId(o);
        var name = Str(o["name"]);
        if (id is null && name is null)
        {
            result.Reject(at, "Location has neither @iot.id nor name");
            return null;
        }
        if (!TryLocation(o, at, out var geometry, out var error))
        {
            result.Rejections.Add(error!);
            return null;
        }
        var attrs = new JsonObject();
        if (id is not null) attrs["location_id"] = id;
        AddText(attrs, "description", Str(o["description"]));
        AddText(attrs, "self_link", Str(o["@iot.selfLink"]));
        return new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "location:" + (id ?? "name:" + name),
            EntityKey = "sta-location:" + (id ?? "name:" + name),
            MunicipalityCode = Municipality(o["properties"] as JsonObject, attrs),
            Name = name,
            Geometry = geometry,
            Status = "location",
            Attrs = attrs,
            Location = at,
        };
    }

    private FeatureRecord? DatastreamRecord(JsonObject o, string at, ParseResult result)
    {
        var id = EntityId(o);
        var name = Str(o["name"]);
        if (id is null && name is null)
        {
            result.Reject(at, "Datastream has neither @iot.id nor name");
            return null;
        }
        var attrs = new JsonObject();
        if (id is not null) attrs["datastream_id"] = id;
        AddText(attrs, "description", Str(o["description"]));
        AddText(attrs, "self_link", Str(o["@iot.selfLink"]));

        Geometry? geometry = null;
        if (o["observedArea"] is JsonObject area)
        {
            if (!GeoJsonGeometry.TryRead(area, out geometry, out var why))
            {
                result.Reject(at + "/observedArea", why);
                return null;
            }
            attrs["location_source"] = "observed_area";
        }
        var thing = o["Thing"] as JsonObject;
        if (geometry is null && thing?["Locations"] is JsonArray locs)
            foreach (var loc in locs.OfType<JsonObject>())
                if (TryLocation(loc, at, out var g, out _))
                {
                    geometry = g;
                    break;
                }
        if (thing is not null) AddText(attrs, "thing_id", Id(thing["@iot.id"]));
        var thingProps = thing?["properties"] as JsonObject;
        var record = new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "datastream:" + (id ?? "name:" + name),
            EntityKey = "sta-datastream:" + (id ?? "name:" + name),
            MunicipalityCode = Municipality(o["properties"] as JsonObject, attrs) ?? Municipality(thingProps, attrs),
            Name = name,
            Geometry = geometry,
            Attrs = attrs,
            Location = at,
        };
        record.LocatedByCode = geometry is null && record.MunicipalityCode is not null;
        var thingLevels = ThresholdLevels.FromJson(thingProps?["flood_levels"]) ?? ThresholdLevels.FromJson(thingProps?["thresholds"]);
        Observe(record, [(o, at)], thingProps, thingLevels);
        return record;
    }

    private static FeatureRecord? FeatureRecord(JsonObject o, string at, ParseResult result)
    {
        var id = EntityId(o);
        var name = Str(o["name"]);
        if (id is null && name is null)
        {
            result.Reject(at, "FeatureOfInterest has neither @iot.id nor name");
            return null;
        }
        if (!TryEncoded(o, "feature", at, out var geometry, out var error))
        {
            result.Rejections.Add(error!);
            return null;
        }
        var attrs = new JsonObject();
        if (id is not null) attrs["feature_id"] = id;
        AddText(attrs, "description", Str(o["description"]));
        AddText(attrs, "self_link", Str(o["@iot.selfLink"]));
        return new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "feature:" + (id ?? "name:" + name),
            EntityKey = "sta-feature:" + (id ?? "name:" + name),
            Name = name,
            Geometry = geometry,
            Status = "feature",
            Attrs = attrs,
            Location = at,
        };
    }

    /// <summary>A Location entity's GeoJSON, or where and why it is not usable.</summary>
    private static bool TryLocation(JsonObject loc, string at, out Geometry? geometry, out Rejection? error) =>
        TryEncoded(loc, "location", at, out geometry, out error);

    private static bool TryEncoded(JsonObject o, string member, string at, out Geometry? geometry, out Rejection? error)
    {
        geometry = null;
        var prefix = at == "/" ? "" : at;
        var encoding = Str(o["encodingType"]);
        if (encoding is not null && !GeoJsonEncodings.Contains(encoding.Split(';')[0].Trim(), StringComparer.OrdinalIgnoreCase))
        {
            error = new Rejection(prefix + "/encodingType", $"unsupported encodingType '{encoding}' (only application/geo+json and application/vnd.geo+json are read)");
            return false;
        }
        if (o[member] is null)
        {
            error = new Rejection($"{prefix}/{member}", $"no '{member}' (no usable location)");
            return false;
        }
        if (!GeoJsonGeometry.TryRead(o[member], out geometry, out var why))
        {
            error = new Rejection($"{prefix}/{member}", why);
            return false;
        }
        error = null;
        return true;
    }

    // ---- Observations and severity -------------------------------------------------------------------------------

    /// <summary>Latest observation of each datastream into attrs.observations; severity, status and times from them.</summary>
    private void Observe(FeatureRecord record, List<(JsonObject Ds, string At)> datastreams, JsonObject? thingProps, ThresholdLevels? thingLevels)
    {
        var observations = new JsonObject();
        int? severity = null;
        DateTimeOffset? observed = null;
        DateTimeOffset? reported = null;
        var waterLevelStreams = datastreams.Count(d => SensorThresholds.IsWaterLevel(ObservedPropertyName(d.Ds)));
        foreach (var (ds, _) in datastreams)
        {
            if (ds["Observations"] is not JsonArray obs) continue;
            JsonObject? latest = null;
            DateTimeOffset? latestTime = null;
            foreach (var item in obs.OfType<JsonObject>())
            {
                var t = Time(item["phenomenonTime"]) ?? Time(item["resultTime"]);
                if (latest is null || (t is not null && (latestTime is null || t > latestTime)))
                {
                    latest = item;
                    latestTime = t;
                }
            }
            if (latest is null) continue;

            var dsId = Id(ds["@iot.id"]);
            var key = Str(ds["name"]) ?? (dsId is not null ? "datastream " + dsId : "datastream " + (observations.Count + 1).ToString(CultureInfo.InvariantCulture));
            if (observations.ContainsKey(key)) key = $"{key} ({dsId ?? (observations.Count + 1).ToString(CultureInfo.InvariantCulture)})";

            var unit = Unit(ds);
            var property = ObservedPropertyName(ds);
            var entry = new JsonObject
            {
                ["value"] = latest["result"]?.DeepClone(),
                ["unit"] = unit is null ? null : (JsonNode)unit,
                ["phenomenon_time"] = latestTime is { } pt ? Iso(pt) : null,
            };
            if (Interval(latest["phenomenonTime"]) is { } start) entry["phenomenon_start"] = Iso(start);
            if (Time(latest["resultTime"]) is { } rt)
            {
                entry["result_time"] = Iso(rt);
                if (reported is null || rt > reported) reported = rt;
            }
            AddText(entry, "observed_property", property);
            if (dsId is not null) entry["datastream_id"] = dsId;

            var levels = ThresholdLevels.FromJson((ds["properties"] as JsonObject)?["thresholds"])
                ?? ThresholdLevels.FromJson((ds["properties"] as JsonObject)?["flood_levels"])
                ?? KeyedLevels(thingProps, Str(ds["name"]), property)
                ?? (thingLevels is not null && (SensorThresholds.IsWaterLevel(property) || (datastreams.Count == 1 && waterLevelStreams == 0)) ? thingLevels : null)
                ?? _thresholds.Find(property);
            if (levels is not null && SensorThresholds.Number(latest["result"]) is { } value
                && SensorThresholds.InUnitOf(value, unit, levels.Unit) is { } v && levels.Evaluate(v) is { } sev)
            {
                entry["severity"] = sev;
                entry["level"] = levels.LevelWord(v);
                entry["thresholds"] = levels.ToJson();
                severity = Math.Max(severity ?? 0, sev);
            }
            observations[key] = entry;
            if (latestTime is not null && (observed is null || latestTime > observed)) observed = latestTime;
        }
        if (observations.Count > 0) record.Attrs["observations"] = observations;
        record.Severity = severity;
        record.ObservedAt = observed;
        record.ReportedAt = reported;
        record.Status = severity is { } s ? SensorThresholds.SeverityWord(s) : observations.Count > 0 ? "observed" : "station";
    }

    /// <summary>A Thing's thresholds keyed by datastream or observed-property name: {"water_level": {"caution": …}}.</summary>
    private static ThresholdLevels? KeyedLevels(JsonObject? thingProps, string? datastreamName, string? property)
    {
        foreach (var member in new[] { "thresholds", "flood_levels" })
        {
            if (thingProps?[member] is not JsonObject keyed) continue;
            foreach (var (k, v) in keyed)
                if ((datastreamName is not null && k == datastreamName)
                    || (property is not null && SensorThresholds.NormalizeName(k) == SensorThresholds.NormalizeName(property)))
                    return ThresholdLevels.FromJson(v);
        }
        return null;
    }

    private static string? ObservedPropertyName(JsonObject ds) =>
        Str((ds["ObservedProperty"] as JsonObject)?["name"]);

    private static string? Unit(JsonObject ds) =>
        ds["unitOfMeasurement"] is JsonObject u ? Str(u["symbol"]) ?? Str(u["name"]) : null;

    // ---- small readers --------------------------------------------------------------------------------------------

    private static string? Municipality(JsonObject? props, JsonObject attrs)
    {
        if (props is null) return null;
        foreach (var key in MunicipalityKeys)
        {
            if (Str(props[key]) is not { } raw) continue;
            if (MunicipalityCode.TryNormalize(raw, out var code, out var error)) return code;
            attrs["municipality_code_invalid"] = $"{raw}: {error}";
            return null;
        }
        return null;
    }

    /// <summary>An instant, or the end of an interval "start/end"; null without a zone (18-088 requires one).</summary>
    private static DateTimeOffset? Time(JsonNode? node)
    {
        if (Str(node) is not { } s) return null;
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        return Instant(slash < 0 ? s : s[(slash + 1)..]);
    }

    private static DateTimeOffset? Interval(JsonNode? node)
    {
        if (Str(node) is not { } s) return null;
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : Instant(s[..slash]);
    }

    private static DateTimeOffset? Instant(string s)
    {
        s = s.Trim();
        if (!HasZone().IsMatch(s)) return null;
        s = CompactOffset().Replace(s, "$1:$2");
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToUniversalTime() : null;
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>The entity's @iot.id, else the id in its @iot.selfLink (".../Things(7)").</summary>
    private static string? EntityId(JsonObject o) =>
        Id(o["@iot.id"]) ?? (Str(o["@iot.selfLink"]) is { } self && SelfLinkEntity().Match(self) is { Success: true } m
            ? m.Groups[2].Value.Trim('\'', ' ') is { Length: > 0 } v ? v : null
            : null);

    private static string? Id(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Number => node.ToJsonString(),
        JsonValueKind.String => string.IsNullOrWhiteSpace((string?)node) ? null : ((string)node!).Trim(),
        _ => null,
    };

    private static string? Str(JsonNode? node) =>
        node?.GetValueKind() == JsonValueKind.String && !string.IsNullOrWhiteSpace((string?)node) ? ((string)node!).Trim() : null;

    private static void AddText(JsonObject attrs, string key, string? value)
    {
        if (value is not null) attrs[key] = value;
    }
}
