using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-vxse</c>: 震度速報 (VXSE51), 震源に関する情報 (VXSE52), 震源・震度に関する情報 (VXSE53). A hypocentre record
/// (point, depth, magnitude) and intensity records per City and IntensityStation (or per Area / Pref when that is
/// all the telegram has), located by the municipality (or prefecture) code.
/// </summary>
public sealed class JmaEarthquakeXmlParser : IFeedParser
{
    public const string FormatName = "jma-vxse";

    internal static readonly string[] InfoKinds = ["震度速報", "震源速報", "地震情報"];

    private static readonly XNamespace S = JmaNs.Seismology;
    private static readonly XNamespace Eb = JmaNs.ElementBasis;

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => JmaXml.SniffInfoKind(head, fileName, InfoKinds);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (_, head) = JmaXml.Load(content, InfoKinds);
        var result = new ParseResult { Format = Format, Encoding = "utf-8" };
        var eventId = head.EventId ?? throw new UnparseableDocumentException("/Report/Head/EventID", "earthquake telegram without EventID");
        var body = head.Body;
        var quake = body?.Element(S + "Earthquake");
        var observation = body?.Element(S + "Intensity")?.Element(S + "Observation");
        var maxInt = JmaXml.Text(observation?.Element(S + "MaxInt"));
        var origin = JmaXml.Time(quake?.Element(S + "OriginTime"));
        var observedAt = origin ?? head.TargetDateTime ?? head.ReportDateTime;

        if (head.Cancelled)
        {
            // Nothing to place: the hub retracts every stored record of the event (CancelsEvent); offline it is rejected.
            result.Records.Add(head.CancelMarker(Layers.Sensors, "quake:" + eventId, "jma-quake:" + eventId, eventId, observedAt, body));
            return head.Stamp(result);
        }

        if (quake is not null) Hypocentre(quake, eventId, maxInt, head, result);
        if (observation is not null) Intensities(observation, eventId, observedAt, head, context.Municipalities ?? MunicipalityDirectory.LoadEmbedded(), result);
        if (quake is null && observation is null)
            result.Reject(body is null ? "/Report" : SafeXml.PathOf(body), "neither Earthquake nor Intensity/Observation in the body");
        return head.Stamp(result);
    }

    private static void Hypocentre(XElement quake, string eventId, string? maxInt, JmaHead head, ParseResult result)
    {
        var area = quake.Element(S + "Hypocenter")?.Element(S + "Area");
        var coordinate = area?.Element(Eb + "Coordinate");
        var at = coordinate is null ? SafeXml.PathOf(quake) : SafeXml.PathOf(coordinate);
        if (!JmaXml.TryParseIso6709(JmaXml.Text(coordinate), out var lat, out var lon, out var depth))
        {
            result.Reject(at, $"hypocentre coordinate '{JmaXml.Text(coordinate)}' is not an ISO 6709 point ({(string?)coordinate?.Attribute("description") ?? "no description"})");
            return;
        }
        var magnitude = quake.Element(Eb + "Magnitude");
        var attrs = new JsonObject
        {
            ["event_id"] = eventId,
            ["info_kind"] = head.InfoKind,
            ["depth_km"] = depth,
            ["magnitude"] = JmaXml.Number(JmaXml.Text(magnitude)),
            ["magnitude_type"] = (string?)magnitude?.Attribute("type"),
            ["origin_time"] = JmaXml.Time(quake.Element(S + "OriginTime"))?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["epicenter_code"] = JmaXml.Text(area?.Element(S + "Code")),
            ["coordinate_description"] = (string?)coordinate?.Attribute("description"),
        };
        if (JmaXml.Text(area?.Element(S + "DetailedName")) is { } detailed) attrs["detailed_name"] = detailed;
        if (maxInt is not null) attrs["max_intensity"] = maxInt;
        head.Annotate(attrs);
        result.Records.Add(new FeatureRecord
        {
            Layer = Layers.Sensors,
            SourceKey = "quake:" + eventId,
            EntityKey = "jma-quake:" + eventId,
            Name = JmaXml.Text(area?.Element(S + "Name")),
            Geometry = JmaXml.Point(lon, lat),
            Status = "震源",
            Severity = JmaXml.IntensitySeverity(maxInt),
            ObservedAt = JmaXml.Time(quake.Element(S + "OriginTime")) ?? head.TargetDateTime ?? head.ReportDateTime,
            ReportedAt = head.ReportDateTime,
            Attrs = attrs,
            Location = at,
        });
    }

    private static void Intensities(XElement observation, string eventId, DateTimeOffset? observedAt, JmaHead head, MunicipalityDirectory directory, ParseResult result)
    {
        var tables = JmaAreas.Embedded;
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pref in observation.Elements(S + "Pref"))
        {
            var prefCode = JmaXml.PrefectureCode(JmaXml.Text(pref.Element(S + "Code")));
            var areas = pref.Elements(S + "Area").ToList();
            if (areas.Count == 0)
            {
                Add(pref, "pref", prefCode, null, null);
                continue;
            }
            foreach (var area in areas)
            {
                // 地震情報／細分区域: its own polygon from the seismic table (never the tsunami table's same code)
                tables.TryGet(JmaAreaTable.Seismic, JmaXml.Text(area.Element(S + "Code")), out var seismic);
                Add(area, "area", seismic is null ? prefCode : null, pref, seismic, prefCode);
                foreach (var city in area.Elements(S + "City"))
                {
                    var cityCode = JmaXml.Text(city.Element(S + "Code"));
                    // a whole municipality by its code (its boundary when imported); part of one, or a code no
                    // municipality has, by the JMA city table's centroid (JmaXml.CityPlacement)
                    var (cityCode6, cityPlaced) = JmaXml.CityPlacement(cityCode, directory);
                    Add(city, "city", cityCode6, area, cityPlaced, prefCode);
                    // stations carry only a code: a point for their city — the municipality's representative point
                    // (inside it by construction), else the JMA centroid of the city's code
                    var stationPoint = cityPlaced is null && cityCode6 is not null && directory.TryGetPoint(cityCode6, out var lon, out var lat)
                        ? JmaXml.Point(lon, lat) : null;
                    foreach (var station in city.Elements(S + "IntensityStation"))
                        Add(station, "station", cityCode6, city, stationPoint is null ? cityPlaced : null, prefCode, stationPoint);
                }
            }
        }

        // code6: the municipality (or prefecture) the record claims and is located by when it has no table geometry.
        void Add(XElement e, string level, string? code6, XElement? parent, JmaArea? placed, string? prefCode = null, Point? point = null)
        {
            var at = SafeXml.PathOf(e);
            var code = JmaXml.Text(e.Element(S + "Code"));
            var name = JmaXml.Text(e.Element(S + "Name"));
            var intensity = JmaXml.Text(e.Element(S + (level == "station" ? "Int" : "MaxInt")));
            if (code is null)
            {
                result.Reject(at, $"{level} without Code");
                return;
            }
            if (code6 is null && placed is null)
            {
                result.Reject(at, $"{level} {name} ({code}): no municipality or prefecture code to place it by, and not in the {JmaAreas.TableName(level == "area" ? JmaAreaTable.Seismic : JmaAreaTable.City)} table");
                return;
            }
            var sourceKey = $"{eventId}:{level}:{code}";
            if (!keys.Add(sourceKey))
            {
                result.Reject(at, $"duplicate {level} code {code}");
                return;
            }
            var attrs = new JsonObject
            {
                ["event_id"] = eventId,
                ["info_kind"] = head.InfoKind,
                ["level"] = level,
                ["code"] = code,
                ["intensity"] = intensity,
            };
            if (parent is not null && JmaXml.Text(parent.Element(S + "Name")) is { } parentName) attrs["within"] = parentName;
            if (JmaXml.Text(e.Element(S + "Condition")) is { } condition) attrs["condition"] = condition;
            if (prefCode is not null && level == "area") attrs["prefecture_code"] = prefCode;
            if (placed is not null) JmaXml.MarkPlaced(attrs, placed);
            else if (point is not null) attrs["location_precision"] = "municipality";
            head.Annotate(attrs);
            result.Records.Add(new FeatureRecord
            {
                Layer = Layers.Sensors,
                SourceKey = sourceKey,
                EntityKey = $"jma-seis-{level}:{code}",
                MunicipalityCode = code6,
                Name = name,
                Geometry = placed?.Geometry.Copy() ?? point,
                LocatedByCode = placed is null && point is null,
                Status = intensity is null ? null : "震度" + intensity,
                Severity = JmaXml.IntensitySeverity(intensity),
                ObservedAt = observedAt,
                ReportedAt = head.ReportDateTime,
                Attrs = attrs,
                Location = at,
            });
        }
    }
}
