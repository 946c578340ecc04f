using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>One row of amedastable.json.</summary>
public sealed record AmedasStation(string Id, string? Type, string? Elems, double Lat, double Lon, double? Alt, string? Name, string? Kana, string? NameEn);

/// <summary>Reading the bosai AMeDAS JSON (FIELDS §5).</summary>
public static partial class Amedas
{
    [GeneratedRegex(@"^\s*\{\s*""\d{5}""\s*:\s*\{")]
    private static partial Regex StationKeyed();

    [GeneratedRegex(@"(?<!\d)(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?!\d)")]
    private static partial Regex FileTimestamp();

    internal static bool SniffStationKeyed(ReadOnlySpan<byte> head, string? fileName, out string text)
    {
        text = "";
        if (fileName is not null && Path.HasExtension(fileName) && !fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF');
        return StationKeyed().IsMatch(text);
    }

    internal static bool LooksLikeTable(string text) => text.Contains("\"kjName\"", StringComparison.Ordinal) && text.Contains("\"lat\"", StringComparison.Ordinal);

    internal static (JsonObject Root, string Encoding) LoadObject(ReadOnlyMemory<byte> content, string what)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, JmaQuakeListParser.Options);
        return root is JsonObject o ? (o, encoding) : throw new UnparseableDocumentException("/", $"{what} must be a JSON object keyed by station id");
    }

    /// <summary>"[45, 31.2]" (degrees, minutes) → 45.52.</summary>
    internal static double? DegMin(JsonNode? node) =>
        node is JsonArray { Count: 2 } a && a[0]?.GetValueKind() == JsonValueKind.Number && a[1]?.GetValueKind() == JsonValueKind.Number
            ? a[0]!.GetValue<double>() + a[1]!.GetValue<double>() / 60.0
            : null;

    /// <summary>Reads the station table; rows without a usable position are reported through <paramref name="reject"/>.</summary>
    public static Dictionary<string, AmedasStation> ReadTable(JsonObject table, Action<string, string>? reject = null)
    {
        var stations = new Dictionary<string, AmedasStation>(StringComparer.Ordinal);
        foreach (var (id, node) in table)
        {
            if (node is not JsonObject row)
            {
                reject?.Invoke("/" + id, "must be an object");
                continue;
            }
            var lat = DegMin(row["lat"]);
            var lon = DegMin(row["lon"]);
            if (lat is null || lon is null)
            {
                reject?.Invoke($"/{id}/lat", "lat and lon must be [degrees, minutes] pairs");
                continue;
            }
            stations[id] = new AmedasStation(id, JmaQuakeListParser.Str(row["type"]), JmaQuakeListParser.Str(row["elems"]), lat.Value, lon.Value,
                row["alt"]?.GetValueKind() == JsonValueKind.Number ? row["alt"]!.GetValue<double>() : null,
                JmaQuakeListParser.Str(row["kjName"]), JmaQuakeListParser.Str(row["knName"]), JmaQuakeListParser.Str(row["enName"]));
        }
        return stations;
    }

    /// <summary>The yyyyMMddHHmmss (JST) in a file name such as amedas-map-20210224150000.json, in UTC.</summary>
    public static DateTimeOffset? TimeFromFileName(string? fileName)
    {
        if (fileName is null) return null;
        var m = FileTimestamp().Match(Path.GetFileName(fileName));
        if (!m.Success) return null;
        return DateTime.TryParseExact(m.Value, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, TimeSpan.FromHours(9)).ToUniversalTime()
            : null;
    }

    internal static void AddStationAttrs(JsonObject attrs, AmedasStation s)
    {
        attrs["station_id"] = s.Id;
        if (s.Type is not null) attrs["station_type"] = s.Type;
        if (s.Elems is not null) attrs["elements"] = s.Elems;
        if (s.Alt is not null) attrs["altitude_m"] = s.Alt;
        if (s.Kana is not null) attrs["kana"] = s.Kana;
        if (s.NameEn is not null) attrs["name_en"] = s.NameEn;
    }
}

/// <summary>
/// <c>jma-amedas</c>: the AMeDAS map (www.jma.go.jp/bosai/amedas/data/map/{yyyyMMddHHmmss}.json),
/// <c>{stationId: {element: [value, qualityFlag]}}</c>. Needs the station table (amedastable.json) as a companion for
/// the station positions and names. Severity from the 1-hour rainfall.
/// </summary>
public sealed class AmedasMapParser : IFeedParser
{
    public const string FormatName = "jma-amedas";

    /// <summary>1-hour rainfall (mm) at or above which severity is 1, 2, 3 (JMA's 強い雨 / 激しい雨 / 非常に激しい雨).</summary>
    public static readonly double[] RainThresholds = [20, 30, 50];

    /// <summary>JSON element → attrs key.</summary>
    private static readonly (string Element, string Key)[] Elements =
    [
        ("precipitation10m", "precipitation_10m"),
        ("precipitation1h", "precipitation_1h"),
        ("precipitation3h", "precipitation_3h"),
        ("precipitation24h", "precipitation_24h"),
        ("temp", "temp"),
        ("humidity", "humidity"),
        ("wind", "wind"),
        ("windDirection", "wind_direction"),
        ("sun1h", "sun_1h"),
        ("snow", "snow"),
        ("snow1h", "snow_1h"),
        ("snow6h", "snow_6h"),
        ("snow12h", "snow_12h"),
        ("snow24h", "snow_24h"),
    ];

    private static readonly string[] KnownElements = Elements.Select(e => e.Element).ToArray();

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) =>
        Amedas.SniffStationKeyed(head, fileName, out var text) && !Amedas.LooksLikeTable(text)
        && (text.Contains("\"precipitation1h\"", StringComparison.Ordinal) || text.Contains("\"temp\"", StringComparison.Ordinal) || text.Contains("\"wind\"", StringComparison.Ordinal));

    /// <summary>Quality flag (AQC) 0 正常 and 1 準正常 are usable; a missing (null) flag with a value is taken as given; anything else (4 資料不足, 5 欠測, 6 …) is not.</summary>
    public static bool Usable(int? flag) => flag is null or 0 or 1;

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (root, encoding) = Amedas.LoadObject(content, "the AMeDAS map");
        var firstRow = root.Select(kv => kv.Value).OfType<JsonObject>().FirstOrDefault();
        if (root.Count > 0 && (firstRow is null || !firstRow.Any(kv => KnownElements.Contains(kv.Key))))
            throw new UnparseableDocumentException("/", "not an AMeDAS map: station objects carry none of the AMeDAS elements (temp, precipitation1h, wind …)");

        var tableDoc = context.Companions.Values
            .Select(bytes => TextDecoding.DecodeHead(bytes.Span[..Math.Min(bytes.Length, 4096)]).Text.Contains("\"kjName\"", StringComparison.Ordinal) ? bytes : (ReadOnlyMemory<byte>?)null)
            .FirstOrDefault(b => b is not null)
            ?? throw new UnparseableDocumentException("document", "AMeDAS data needs the station table: pass --with amedastable.json");
        var table = Amedas.ReadTable(Amedas.LoadObject(tableDoc, "the AMeDAS station table").Root);

        var result = new ParseResult { Format = Format, Encoding = encoding };
        var observedAt = Amedas.TimeFromFileName(context.FileName) ?? context.ReceivedAt.ToUniversalTime();
        foreach (var (id, node) in root)
        {
            var at = "/" + id;
            if (node is not JsonObject row)
            {
                result.Reject(at, "must be an object of element arrays");
                continue;
            }
            if (!table.TryGetValue(id, out var station))
            {
                result.Reject(at, $"station {id} is not in the station table (amedastable.json)");
                continue;
            }
            var attrs = new JsonObject();
            Amedas.AddStationAttrs(attrs, station);
            var quality = new JsonObject();
            var any = false;
            double? rain1h = null;
            foreach (var (element, key) in Elements)
            {
                if (row[element] is not JsonArray pair) continue;
                var value = pair.Count > 0 && pair[0]?.GetValueKind() == JsonValueKind.Number ? pair[0]!.GetValue<double>() : (double?)null;
                var flag = pair.Count > 1 && pair[1]?.GetValueKind() == JsonValueKind.Number ? pair[1]!.GetValue<int>() : (int?)null;
                if (!Usable(flag)) value = null;
                if (flag is not null and not 0) quality[key] = flag;
                attrs[key] = value;
                if (value is not null) any = true;
                if (element == "precipitation1h") rain1h = value;
            }
            if (quality.Count > 0) attrs["quality"] = quality;
            result.Records.Add(new FeatureRecord
            {
                Layer = Layers.Sensors,
                SourceKey = id,
                EntityKey = "jma-amedas:" + id,
                Name = station.Name,
                Geometry = JmaXml.Point(station.Lon, station.Lat),
                Status = any ? "観測" : "欠測",
                Severity = RainSeverity(rain1h),
                ObservedAt = observedAt,
                Attrs = attrs,
                Location = at,
            });
        }
        return result;
    }

    /// <summary>≥ 50 mm/h → 3, ≥ 30 → 2, ≥ 20 → 1, else 0; null when there is no usable 1-hour value.</summary>
    public static int? RainSeverity(double? mm) => mm switch
    {
        null => null,
        >= 50 => 3,
        >= 30 => 2,
        >= 20 => 1,
        _ => 0,
    };
}

/// <summary><c>jma-amedas-table</c>: the AMeDAS station table alone (amedastable.json): one record per station, no observation.</summary>
public sealed class AmedasTableParser : IFeedParser
{
    public const string FormatName = "jma-amedas-table";

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) =>
        Amedas.SniffStationKeyed(head, fileName, out var text) && Amedas.LooksLikeTable(text);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (root, encoding) = Amedas.LoadObject(content, "the AMeDAS station table");
        var firstRow = root.Select(kv => kv.Value).OfType<JsonObject>().FirstOrDefault();
        if (root.Count > 0 && (firstRow is null || firstRow["kjName"] is null || firstRow["lat"] is null))
            throw new UnparseableDocumentException("/", "not an AMeDAS station table: rows need kjName, lat, lon");
        var result = new ParseResult { Format = Format, Encoding = encoding };
        foreach (var station in Amedas.ReadTable(root, result.Reject).Values)
        {
            var attrs = new JsonObject();
            Amedas.AddStationAttrs(attrs, station);
            result.Records.Add(new FeatureRecord
            {
                Layer = Layers.Sensors,
                SourceKey = station.Id,
                EntityKey = "jma-amedas:" + station.Id,
                Name = station.Name,
                Geometry = JmaXml.Point(station.Lon, station.Lat),
                Status = "station",
                Attrs = attrs,
                Location = "/" + station.Id,
            });
        }
        return result;
    }
}
