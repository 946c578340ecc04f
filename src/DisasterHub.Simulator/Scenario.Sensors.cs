using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    /// <summary>An invented river water-level station: base level and rise per step (m), flood thresholds (m).</summary>
    public sealed record RiverStation(int Id, string Name, string River, double Lat, double Lon, double BaseLevel, double RisePerStep,
        double Standby, double Caution, double EvacuationJudgement, double Danger);

    public static readonly IReadOnlyList<RiverStation> RiverStations =
    [
        new(1, "演習川 演習橋水位観測所", "演習川", 37.0452, 136.9618, 0.80, 0.32, 1.50, 2.00, 2.50, 2.90),
        new(2, "演習川 訓練橋水位観測所", "演習川", 37.0547, 136.9751, 0.60, 0.25, 1.20, 1.70, 2.10, 2.50),
        new(3, "模擬川 模擬水門水位観測所", "模擬川", 37.0361, 136.9443, 1.10, 0.18, 1.80, 2.30, 2.70, 3.10),
    ];

    /// <summary>The step at which the rivers crest; they recede at half the rate afterwards.</summary>
    public const int RiverPeakStep = 7;

    public static double RiverLevel(RiverStation s, int step)
    {
        var n = Math.Max(step, 0);
        var rise = Math.Min(n, RiverPeakStep) * s.RisePerStep - Math.Max(n - RiverPeakStep, 0) * s.RisePerStep / 2;
        return Math.Round(s.BaseLevel + Math.Max(rise, 0), 2);
    }

    /// <summary>Things per SensorThings page, so three stations take two pages.</summary>
    public const int SensorThingsPageSize = 2;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // readable Japanese and "+09:00"; never embedded in HTML
    };

    internal static byte[] JsonBytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, Json);

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>
    /// An OGC SensorThings API 1.1 response to
    /// <c>GET {serviceRoot}/Things?$expand=Locations,Datastreams/Observations($orderby=phenomenonTime desc;$top=1)</c>:
    /// each Thing with its Location and its water-level Datastream carrying the latest Observation, paged with
    /// <c>@iot.nextLink</c> (absolute, as the standard requires).
    /// </summary>
    /// <param name="serviceRoot">Absolute service root, e.g. <c>http://127.0.0.1:8091/feeds/sta/v1.1</c>.</param>
    public byte[] SensorThingsPage(int step, string serviceRoot, int skip, int top = SensorThingsPageSize)
    {
        skip = Math.Max(skip, 0);
        top = Math.Clamp(top, 1, 100);
        var at = Utc(TimeAt(step));
        var page = RiverStations.Skip(skip).Take(top).Select(s => (JsonNode)new JsonObject
        {
            ["@iot.id"] = s.Id,
            ["@iot.selfLink"] = $"{serviceRoot}/Things({s.Id})",
            ["name"] = s.Name,
            ["description"] = $"{s.River}の水位観測所（架空・演習用）",
            ["properties"] = new JsonObject
            {
                ["river"] = s.River,
                ["municipality_code"] = "172022",
                ["operator"] = "七尾市（演習）",
            },
            ["Locations"] = new JsonArray(new JsonObject
            {
                ["@iot.id"] = s.Id,
                ["name"] = s.Name,
                ["description"] = "観測所の位置",
                ["encodingType"] = "application/geo+json",
                ["location"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(s.Lon, s.Lat) },
            }),
            ["Datastreams"] = new JsonArray(new JsonObject
            {
                ["@iot.id"] = s.Id,
                ["@iot.selfLink"] = $"{serviceRoot}/Datastreams({s.Id})",
                ["name"] = $"{s.Name} 水位",
                ["description"] = "河川水位（零点高からの高さ）",
                ["observationType"] = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                ["unitOfMeasurement"] = new JsonObject { ["name"] = "metre", ["symbol"] = "m", ["definition"] = "http://unitsofmeasure.org/ucum.html#para-29" },
                ["ObservedProperty"] = new JsonObject
                {
                    ["@iot.id"] = 1,
                    ["name"] = "water_level",
                    ["definition"] = "http://vocabs.lter-europe.net/EnvThes/22035",
                    ["description"] = "河川水位",
                },
                ["properties"] = new JsonObject
                {
                    // The river words; the Japanese names are 水防団待機水位, 氾濫注意水位, 避難判断水位, 氾濫危険水位.
                    ["thresholds"] = new JsonObject
                    {
                        ["unit"] = "m",
                        ["standby"] = s.Standby,
                        ["caution"] = s.Caution,
                        ["evacuation_judgement"] = s.EvacuationJudgement,
                        ["danger"] = s.Danger,
                    },
                },
                ["Observations"] = new JsonArray(new JsonObject
                {
                    ["@iot.id"] = s.Id * 100_000 + Math.Max(step, 0),
                    ["phenomenonTime"] = at,
                    ["resultTime"] = at,
                    ["result"] = RiverLevel(s, step),
                }),
            }),
        }).ToArray();
        var doc = new JsonObject
        {
            ["@iot.count"] = RiverStations.Count,
            ["value"] = new JsonArray(page),
        };
        if (skip + top < RiverStations.Count)
            doc["@iot.nextLink"] = $"{serviceRoot}/Things?$skip={skip + top}&$top={top}";
        return JsonBytes(doc);
    }

    /// <summary>An invented AMeDAS station: id (5 digits), kanji/kana/English names, position, 1-hour rain per step (mm).</summary>
    public sealed record RainGauge(string Id, string KjName, string KnName, string EnName, double Lat, double Lon, int Alt, double[] Rain1h);

    // Ids 569xx are not used by real Ishikawa stations; positions around Nanao.
    public static readonly IReadOnlyList<RainGauge> RainGauges =
    [
        new("56901", "演習七尾", "エンシュウナナオ", "Enshu Nanao", 37.048, 136.962, 4, [6, 12, 21, 33, 41, 52, 37, 22, 9, 3, 0]),
        new("56902", "演習中島", "エンシュウナカジマ", "Enshu Nakajima", 37.105, 136.860, 12, [4, 9, 18, 27, 35, 44, 31, 18, 7, 2, 0]),
        new("56903", "演習鹿島", "エンシュウカシマ", "Enshu Kashima", 36.985, 136.930, 20, [3, 7, 14, 22, 29, 36, 25, 14, 5, 1, 0]),
    ];

    public static double Rain1h(RainGauge g, int step) => step < 0 ? 0 : g.Rain1h[Math.Min(step, g.Rain1h.Length - 1)];

    private static JsonArray DegMin(double value)
    {
        var deg = Math.Floor(value);
        return new JsonArray(deg, Math.Round((value - deg) * 60, 1));
    }

    /// <summary>The station table (amedastable.json): {id: {type, elems, lat: [deg, min], lon: [deg, min], alt, kjName, knName, enName}}.</summary>
    public static byte[] AmedasTable()
    {
        var table = new JsonObject();
        foreach (var g in RainGauges)
            table[g.Id] = new JsonObject
            {
                ["type"] = "A",
                ["elems"] = "11112010",
                ["lat"] = DegMin(g.Lat),
                ["lon"] = DegMin(g.Lon),
                ["alt"] = g.Alt,
                ["kjName"] = g.KjName,
                ["knName"] = g.KnName,
                ["enName"] = g.EnName,
            };
        return JsonBytes(table);
    }

    /// <summary>File name of the AMeDAS map for a step: its start in JST, yyyyMMddHHmmss.json, as JMA names them.</summary>
    public string AmedasMapName(int step) =>
        TimeAt(step).ToOffset(TimeSpan.FromHours(9)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + ".json";

    /// <summary>The AMeDAS map for a step: {id: {element: [value, quality flag]}}.</summary>
    public static byte[] AmedasMap(int step)
    {
        var map = new JsonObject();
        foreach (var g in RainGauges)
        {
            var rain = Rain1h(g, step);
            var total24 = Enumerable.Range(0, Math.Max(step, 0) + 1).Sum(s => Rain1h(g, s));
            map[g.Id] = new JsonObject
            {
                ["temp"] = new JsonArray(Math.Round(11.5 - 0.2 * Math.Min(Math.Max(step, 0), 6), 1), 0),
                ["humidity"] = new JsonArray(Math.Min(80 + 3 * Math.Max(step, 0), 99), 0),
                ["precipitation10m"] = new JsonArray(Math.Round(rain / 5, 1), 0),
                ["precipitation1h"] = new JsonArray(rain, 0),
                ["precipitation24h"] = new JsonArray(total24, 0),
                ["wind"] = new JsonArray(Math.Round(3.0 + rain / 10, 1), 0),
                ["windDirection"] = new JsonArray(6, 0),
            };
        }
        return JsonBytes(map);
    }
}
