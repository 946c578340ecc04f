using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DisasterHub.Simulator;

/// <summary>
/// The catalogue layers nobody wrote an adapter for (issue 12), as a designated public institution or a municipality
/// would push them with the generic format: one GeoJSON FeatureCollection per layer (<c>/feeds/eei/{layer}.geojson</c>,
/// read by the hub as <c>{layer}.geojson</c>), around 七尾市 and its neighbours, changing with the scenario's steps.
/// </summary>
public sealed partial class Scenario
{
    public static readonly IReadOnlyList<string> EeiLayers =
        ["road_closures", "isolated_communities", "water_outages", "telecom_outages", "gas_outages", "medical_facilities", "welfare_facilities", "supply_depots", "disaster_hq"];

    private static JsonObject Feature(string id, JsonNode? geometry, JsonObject properties) =>
        new() { ["type"] = "Feature", ["id"] = id, ["geometry"] = geometry, ["properties"] = properties };

    private static JsonObject PointAt(double lon, double lat) => new() { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) };

    private static JsonObject Line(params (double Lon, double Lat)[] points) =>
        new() { ["type"] = "LineString", ["coordinates"] = new JsonArray([.. points.Select(p => (JsonNode?)new JsonArray(p.Lon, p.Lat))]) };

    private static JsonObject Box(double w, double s, double e, double n) => new()
    {
        ["type"] = "Polygon",
        ["coordinates"] = new JsonArray(new JsonArray(new JsonArray(w, s), new JsonArray(e, s), new JsonArray(e, n), new JsonArray(w, n), new JsonArray(w, s))),
    };

    private string Iso(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>The layer's document at a step; null for a layer the scenario does not feed.</summary>
    public byte[]? EeiGeoJson(string layer, int step)
    {
        var n = Math.Max(step, 0);
        var observed = Iso(TimeAt(n));
        var features = new JsonArray();
        void Add(string id, JsonNode? g, JsonObject p)
        {
            p["observed_at"] = observed;
            features.Add(Feature(id, g, p));
        }
        switch (layer)
        {
            case "road_closures":
                Add("R249-NAKAJIMA", Line((136.8600, 37.1180), (136.8750, 37.1120), (136.8900, 37.1060)), new JsonObject
                {
                    ["name"] = "国道249号 七尾市中島町", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 12 ? "規制中" : "解除", ["severity"] = n < 12 ? 3 : 0,
                    ["road_type"] = "一般国道", ["route_name"] = "国道249号", ["section"] = "七尾市中島町浜田〜中島町外", ["regulation"] = "通行止(異常気象等)",
                    ["cause"] = "土砂崩れ", ["start_at"] = Iso(TimeAt(0)), ["detour"] = "県道23号", ["road_manager"] = "国土交通省 金沢河川国道事務所",
                });
                Add("P23-NANAO", Line((136.9550, 37.0480), (136.9650, 37.0440), (136.9760, 37.0420)), new JsonObject
                {
                    ["name"] = "県道23号 七尾市街", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 6 ? "規制中" : "解除", ["severity"] = n < 6 ? 2 : 0,
                    ["road_type"] = "都道府県道", ["route_name"] = "県道23号", ["regulation"] = "片側交互通行", ["cause"] = "路面損傷", ["start_at"] = Iso(TimeAt(0)),
                });
                Add("R1-NOTOJIMA", Line((136.9700, 37.0900), (136.9850, 37.1000), (137.0000, 37.1080)), new JsonObject
                {
                    ["name"] = "能登島大橋", ["municipality_code"] = Places.Nanao.Code6, ["status"] = "規制中", ["severity"] = 3,
                    ["road_type"] = "都道府県道", ["route_name"] = "県道47号", ["regulation"] = "通行止(異常気象等)", ["cause"] = "橋梁損傷", ["start_at"] = Iso(TimeAt(1)),
                });
                break;
            case "isolated_communities":
                Add("NANAO-NOTOJIMA-NAKA", PointAt(137.0050, 37.1150), new JsonObject
                {
                    ["name"] = "能登島中部", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 10 ? "孤立" : "解消", ["severity"] = n < 10 ? 3 : 0,
                    ["community"] = "能登島向田町", ["households"] = 84, ["people"] = 190, ["cause"] = "道路寸断", ["access"] = n < 10 ? "ヘリのみ" : "復旧", ["derived"] = false,
                });
                break;
            case "water_outages":
                Add("NANAO-W1", Box(136.94, 37.03, 136.99, 37.06), new JsonObject
                {
                    ["name"] = "七尾市 中心部", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 14 ? "供給停止" : "復旧", ["severity"] = n < 14 ? 2 : 0,
                    ["households_out"] = Math.Max(0, 12_000 - 800 * n), ["operator"] = "七尾市上下水道部", ["restoration_eta"] = Iso(TimeAt(14 + (n < 5 ? 4 : 0))),
                    ["cause"] = "配水管破損",
                });
                break;
            case "telecom_outages":
                Add("NANAO-T1", Box(136.945, 37.035, 136.985, 37.06), new JsonObject
                {
                    ["name"] = "七尾市 中心部", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 8 ? "サービス停止" : "一部利用可", ["severity"] = n < 8 ? 2 : 1,
                    ["carrier"] = "演習モバイル", ["service"] = "携帯電話", ["households_out"] = 1_900, ["restoration_eta"] = Iso(TimeAt(8)),
                });
                break;
            case "gas_outages":
                Add("NANAO-G1", Box(136.955, 37.035, 136.975, 37.05), new JsonObject
                {
                    ["name"] = "七尾市 府中町周辺", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 16 ? "供給停止" : "復旧", ["severity"] = n < 16 ? 1 : 0,
                    ["households_out"] = 2_400, ["operator"] = "演習ガス", ["restoration_eta"] = Iso(TimeAt(16)),
                });
                break;
            case "medical_facilities":
                Add("NANAO-HOSP-1", PointAt(136.9660, 37.0430), new JsonObject
                {
                    ["name"] = "公立能登総合病院", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 4 ? "要支援" : "通常", ["severity"] = n < 4 ? 2 : 0,
                    ["accepting"] = "制限", ["damage"] = "一部", ["power"] = n < 4 ? "自家発電" : "通常", ["water"] = "貯水", ["beds_total"] = 434, ["beds_free"] = Math.Max(0, 40 - 3 * n),
                });
                break;
            case "welfare_facilities":
                Add("NANAO-WEL-1", PointAt(136.9520, 37.0520), new JsonObject
                {
                    ["name"] = "特別養護老人ホーム 演習の里", ["municipality_code"] = Places.Nanao.Code6, ["status"] = n < 6 ? "要支援" : "通常", ["severity"] = n < 6 ? 2 : 0,
                    ["facility_type"] = "高齢者施設", ["residents"] = 80, ["staff_short"] = n < 6 ? 6 : 0, ["evacuation_needed"] = false, ["power"] = "自家発電", ["water"] = "停止",
                });
                break;
            case "supply_depots":
                Add("NANAO-DEPOT-1", PointAt(136.9700, 37.0500), new JsonObject
                {
                    ["name"] = "七尾市 物資集積拠点(総合市民体育館)", ["municipality_code"] = Places.Nanao.Code6, ["status"] = "稼働", ["severity"] = 0,
                    ["depot_type"] = "地域内輸送拠点", ["operator"] = "七尾市",
                    ["stock"] = new JsonObject { ["飲料水(L)"] = 2_000 + 500 * n, ["食料(食)"] = 3_000 + 400 * n, ["毛布(枚)"] = 800 },
                    ["needs"] = new JsonObject { ["飲料水(L)"] = 6_000, ["簡易トイレ(個)"] = 300 },
                });
                break;
            case "disaster_hq":
                Add(Places.Nanao.Code6, null, new JsonObject
                {
                    ["name"] = "七尾市災害対策本部", ["municipality_code"] = Places.Nanao.Code6, ["status"] = "設置", ["hq_status"] = "設置",
                    ["established_at"] = Iso(TimeAt(0)), ["relief_act"] = n >= 2, ["relief_act_at"] = n >= 2 ? Iso(TimeAt(2)) : null,
                });
                Add(Places.Nakanoto.Code6, null, new JsonObject
                {
                    ["name"] = "中能登町災害対策本部", ["municipality_code"] = Places.Nakanoto.Code6, ["status"] = n >= 1 ? "設置" : "未設置", ["hq_status"] = n >= 1 ? "設置" : "未設置",
                });
                break;
            default:
                return null;
        }
        // null members (an absent relief_act_at) are left out: the schema types them as strings
        foreach (var f in features) RemoveNulls((JsonObject)f!["properties"]!);
        return Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "FeatureCollection", ["features"] = features }.ToJsonString());
    }

    private static void RemoveNulls(JsonObject o)
    {
        foreach (var key in o.Where(p => p.Value is null).Select(p => p.Key).ToList()) o.Remove(key);
    }
}
