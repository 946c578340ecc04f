using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>
/// <c>jma-vxko</c>: 指定河川洪水予報 (VXKO50–59). One record per water-level station (水位観測所) with the current
/// water level (TimeDefine 現況), its flood-risk criteria and the river's forecast kind (氾濫注意情報 …).
/// The telegram gives a station's place only as text, so the record is located by the station's municipality code.
/// </summary>
public sealed class JmaFloodForecastXmlParser : IFeedParser
{
    public const string FormatName = "jma-vxko";

    internal static readonly string[] InfoKinds = ["指定河川洪水予報"];

    private static readonly XNamespace M = JmaNs.Meteorology;
    private static readonly XNamespace Eb = JmaNs.ElementBasis;

    /// <summary>Criteria WaterLevel types → attrs.criteria keys (metres).</summary>
    private static readonly (string Type, string Key)[] CriteriaKeys =
    [
        ("レベル１水防団待機水位", "level1_standby_m"),
        ("レベル２氾濫注意水位", "level2_caution_m"),
        ("レベル３避難判断水位", "level3_evacuation_m"),
        ("レベル４氾濫危険水位", "level4_danger_m"),
        ("レベル４計画高水位等", "planned_high_water_m"),
    ];

    public string Format => FormatName;
    public string Layer => Layers.Sensors;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => JmaXml.SniffInfoKind(head, fileName, InfoKinds);

    private sealed class Station
    {
        public required string Code { get; init; }
        public string? Name { get; set; }
        public string? PlaceText { get; set; }
        public required XElement Element { get; init; }
        public XElement? LevelItem { get; set; }
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (_, head) = JmaXml.Load(content, InfoKinds);
        var result = new ParseResult { Format = Format, Encoding = "utf-8" };
        var directory = context.Municipalities ?? MunicipalityDirectory.LoadEmbedded();

        // The river forecast: kind (氾濫警戒情報, code 30) and rivers, from the headline (the body's main Item has only text).
        var headlineItem = head.HeadElement.Element(JmaNs.Head + "Headline")?.Elements(JmaNs.Head + "Information")
            .SelectMany(i => i.Elements(JmaNs.Head + "Item")).FirstOrDefault();
        var kindName = JmaXml.Text(headlineItem?.Element(JmaNs.Head + "Kind")?.Element(JmaNs.Head + "Name"));
        var kindCode = JmaXml.Text(headlineItem?.Element(JmaNs.Head + "Kind")?.Element(JmaNs.Head + "Code"));
        var condition = JmaXml.Text(headlineItem?.Element(JmaNs.Head + "Kind")?.Element(JmaNs.Head + "Condition"));
        var prefecture = HeadAreas(head, "気象情報／府県予報区・細分区域等").Select(a => JmaXml.PrefectureCode(a.Code)).FirstOrDefault(c => c is not null);
        var headMunicipalities = HeadAreas(head, "気象・地震・火山情報／市町村等").ToList();

        var body = head.Body;
        var warning = body?.Elements(M + "Warning").FirstOrDefault(w => (string?)w.Attribute("type") == "指定河川洪水予報");
        var rivers = warning?.Elements(M + "Item").SelectMany(i => i.Elements(M + "Areas")).Where(a => (string?)a.Attribute("codeType") == "河川")
            .SelectMany(a => a.Elements(M + "Area")).Select(a => JmaXml.Text(a.Element(M + "Name"))).OfType<string>().Distinct().ToList() ?? [];
        // 浸水想定地区: the municipalities each station's forecast covers (Prefecture/City/CityCode).
        var stationCities = warning?.Descendants(M + "Area").Where(a => (string?)a.Attribute("codeType") == "水位観測所").ToList() ?? [];

        // Stations: those the forecast names, then those with water-level series; keyed by code (and name, as
        // template telegrams reuse one code).
        var stations = new List<Station>();
        Station? Find(string code, string? name) => stations.FirstOrDefault(s => s.Code == code && (s.Name == name || name is null || s.Name is null));
        var candidates = (warning?.Descendants(M + "Station") ?? []).Concat(
            body?.Elements(M + "MeteorologicalInfos").Where(m => (string?)m.Attribute("type") == "水位・流量情報").SelectMany(m => m.Descendants(M + "Station")) ?? []);
        foreach (var s in candidates)
        {
            var code = JmaXml.Text(s.Element(M + "Code"));
            var name = JmaXml.Text(s.Element(M + "Name"));
            if (code is null)
            {
                result.Reject(SafeXml.PathOf(s), "Station without Code");
                continue;
            }
            var station = Find(code, name);
            if (station is null)
            {
                station = new Station { Code = code, Name = name, Element = s };
                stations.Add(station);
            }
            station.PlaceText ??= JmaXml.Text(s.Element(M + "Location"))?.TrimStart('>');
            if (s.Parent?.Name == M + "Item" && s.Parent.Descendants(Eb + "WaterLevel").Any()) station.LevelItem ??= s.Parent;
        }

        if (stations.Count == 0)
        {
            result.Reject(body is null ? "/Report" : SafeXml.PathOf(body),
                head.Cancelled ? "cancelled telegram (取消) names no stations" : "no water-level stations (Stations/Station) in this telegram");
            return head.Stamp(result);
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var station in stations)
        {
            var at = SafeXml.PathOf(station.Element);
            if (!keys.Add(station.Code))
            {
                result.Reject(at, $"duplicate station code {station.Code} ({station.Name})");
                continue;
            }
            var attrs = new JsonObject { ["station_code"] = station.Code };
            if (rivers.Count > 0) attrs["river"] = rivers[0];
            if (rivers.Count > 1) attrs["rivers"] = new JsonArray(rivers.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray());
            if (station.PlaceText is not null) attrs["place"] = station.PlaceText;
            if (kindCode is not null) attrs["kind_code"] = kindCode;
            if (condition is not null) attrs["condition"] = condition;

            DateTimeOffset? observed = null;
            double? level = null;
            int? levelStep = null;
            if (station.LevelItem is { } levelItem)
            {
                var defines = levelItem.Parent?.Element(M + "TimeDefines")?.Elements(M + "TimeDefine").ToList() ?? [];
                var now = defines.FirstOrDefault(d => JmaXml.Text(d.Element(M + "Name")) == "現況") ?? defines.FirstOrDefault();
                var timeId = (string?)now?.Attribute("timeId") ?? "1";
                observed = JmaXml.Time(now?.Element(M + "DateTime"));
                var levels = levelItem.Descendants(Eb + "WaterLevel").ToList();
                var current = levels.FirstOrDefault(w => (string?)w.Attribute("type") == "水位" && (string?)w.Attribute("refID") == timeId);
                var quality = (string?)current?.Attribute("condition");
                if (quality is not null) attrs["quality"] = quality;
                if (quality != "欠測") level = JmaXml.Number(JmaXml.Text(current));
                attrs["water_level_m"] = level;
                levelStep = (int?)JmaXml.Number(JmaXml.Text(levels.FirstOrDefault(w => (string?)w.Attribute("type") == "レベル" && (string?)w.Attribute("refID") == timeId)));
                if (levelStep is not null) attrs["level"] = levelStep;
                var forecast = levels.Where(w => (string?)w.Attribute("type") == "水位" && (string?)w.Attribute("refID") != timeId)
                    .Select(w => JmaXml.Number(JmaXml.Text(w))).OfType<double>().ToList();
                if (forecast.Count > 0) attrs["forecast_max_water_level_m"] = forecast.Max();
            }

            var criteria = Criteria(body, station);
            if (criteria.Count > 0) attrs["criteria"] = criteria;
            head.Annotate(attrs);

            var code6 = StationMunicipality(station, stationCities, headMunicipalities, prefecture, directory);
            if (code6 is null)
            {
                result.Reject(at, $"station {station.Name ?? station.Code}: no municipality code to place it by (no 浸水想定地区 CityCode, 市町村等 area or known municipality named '{station.PlaceText}')");
                continue;
            }

            result.Records.Add(new FeatureRecord
            {
                Layer = Layers.Sensors,
                SourceKey = station.Code,
                EntityKey = "jma-river-station:" + station.Code,
                MunicipalityCode = code6,
                Name = station.Name,
                LocatedByCode = true,
                Status = head.Cancelled ? "取消" : kindName,
                Severity = head.Cancelled ? 0 : Severity(level, criteria, levelStep, kindName, kindCode),
                ObservedAt = observed ?? head.ReportDateTime,
                ReportedAt = head.ReportDateTime,
                Attrs = attrs,
                Location = at,
            });
        }
        return head.Stamp(result);
    }

    private static IEnumerable<(string? Name, string? Code)> HeadAreas(JmaHead head, string codeType) =>
        head.HeadElement.Descendants(JmaNs.Head + "Areas").Where(a => (string?)a.Attribute("codeType") == codeType)
            .SelectMany(a => a.Elements(JmaNs.Head + "Area"))
            .Select(a => (JmaXml.Text(a.Element(JmaNs.Head + "Name")), JmaXml.Text(a.Element(JmaNs.Head + "Code"))));

    private static JsonObject Criteria(XElement? body, Station station)
    {
        var criteria = new JsonObject();
        var part = body?.Descendants(M + "HydrometricStationPart").FirstOrDefault(p =>
        {
            var area = p.Element(M + "Area");
            return JmaXml.Text(area?.Element(M + "Code")) == station.Code
                && (station.Name is null || JmaXml.Text(area?.Element(M + "Name")) == station.Name);
        });
        foreach (var w in part?.Element(M + "Criteria")?.Elements(Eb + "WaterLevel") ?? [])
        {
            var type = (string?)w.Attribute("type");
            var key = CriteriaKeys.FirstOrDefault(k => k.Type == type).Key;
            if (key is not null && JmaXml.Number(JmaXml.Text(w)) is { } v) criteria[key] = v;
        }
        return criteria;
    }

    private static string? StationMunicipality(Station station, List<XElement> stationCities, List<(string? Name, string? Code)> headMunicipalities,
        string? prefecture, MunicipalityDirectory directory)
    {
        var place = station.PlaceText;
        var mine = stationCities.Where(a => JmaXml.Text(a.Element(M + "Code")) == station.Code
            && (station.Name is null || JmaXml.Text(a.Element(M + "Name")) == station.Name)).ToList();
        // The 浸水想定地区 city whose name is in the station's place text ("武雄市"), else the first one.
        var city = mine.FirstOrDefault(a => place is not null && JmaXml.Text(a.Element(M + "City")) is { } c && place.Contains(c, StringComparison.Ordinal))
            ?? mine.FirstOrDefault();
        if (JmaXml.MunicipalityFromJmaCode(JmaXml.Text(city?.Element(M + "CityCode"))) is { } fromCity) return fromCity;

        if (place is not null)
            foreach (var (name, code) in headMunicipalities)
                if (name is not null && place.Contains(name, StringComparison.Ordinal) && JmaXml.MunicipalityFromJmaCode(code) is { } fromHead)
                    return fromHead;

        if (place is not null && prefecture is not null && directory.Get(prefecture) is { } pref)
        {
            var entry = directory.Entries.Where(e => !e.IsPrefecture && e.Prefecture == pref.Prefecture && place.StartsWith(e.Name, StringComparison.Ordinal))
                .OrderByDescending(e => e.Name.Length).FirstOrDefault();
            if (entry is not null) return entry.Code;
        }
        return null;
    }

    /// <summary>
    /// By the current water level against the station's criteria (≥ 氾濫危険 → 3, ≥ 避難判断 → 2, ≥ 氾濫注意 → 1, else 0),
    /// else by the reported level step (1 → 0, 2 → 1, 3 → 2, 4–5 → 3), else by the forecast kind
    /// (20 注意 → 1, 30 警戒 → 2, 40/41 危険 → 3, 50+ 発生 → 3, 解除 → 0).
    /// </summary>
    public static int? Severity(double? level, JsonObject criteria, int? levelStep, string? kindName, string? kindCode)
    {
        if (level is { } l && criteria.Count > 0)
        {
            if (criteria["level4_danger_m"] is { } d && l >= (double)d) return 3;
            if (criteria["level3_evacuation_m"] is { } e && l >= (double)e) return 2;
            if (criteria["level2_caution_m"] is { } c && l >= (double)c) return 1;
            if (criteria["level2_caution_m"] is not null) return 0;
        }
        if (levelStep is { } s) return s switch { <= 1 => 0, 2 => 1, 3 => 2, _ => 3 };
        if (kindName?.Contains("解除", StringComparison.Ordinal) == true) return 0;
        if (kindCode is null || !int.TryParse(kindCode, NumberStyles.None, CultureInfo.InvariantCulture, out var k)) return null;
        return k switch
        {
            >= 50 => 3,
            >= 40 => 3,
            >= 30 => 2,
            >= 20 => 1,
            _ => null,
        };
    }
}
