using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Alerts;

/// <summary>
/// <c>lalert-shelter</c>: 公共情報コモンズ 避難所情報 (Shelter, pcxml v3/v4). One <c>shelters</c> record per
/// Informations/Information. Commons shelter messages rarely carry coordinates: such records have no geometry and
/// the hub locates them from its shelter registry by EntityKey (<c>{code6}:{normalized name}</c>); offline validation
/// rejects them ("no usable location").
/// </summary>
public sealed class LAlertShelterParser : IFeedParser
{
    public const string FormatName = "lalert-shelter";

    public static readonly IReadOnlyList<string> Sorts = ["未開設", "開設", "閉鎖", "不明", "常設"];

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => LAlertMessage.SniffKind(head) == LAlertKind.Shelter;

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var message = LAlertMessage.Load(content);
        var result = new ParseResult { Format = Format, Encoding = message.Encoding };
        var usedKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (obj, _, report) in message.Contents(LAlertKind.Shelter, Format))
        {
            var body = LAlertMessage.Body(report, "Shelter");
            if (body is null) continue; // empty template / Head-only
            var common = message.CommonAttrs(obj, report);
            var defaultCode = message.DefaultCode(report);
            var reportTime = LAlertMessage.ReportTime(report) ?? message.DateTimeSent;
            var disaster = AlertXml.Text(AlertXml.Child(body, "Disaster"), "DisasterName");
            var infos = AlertXml.Children(AlertXml.Child(body, "Informations"), "Information").ToList();
            for (var i = 0; i < infos.Count; i++)
            {
                var info = infos[i];
                var at = SafeXml.PathOf(info);
                var location = AlertXml.Child(info, "Location");
                var name = AlertXml.Text(location, "areaName");
                if (name is null)
                {
                    result.Reject(at, "no shelter name (Location/commons:areaName)");
                    continue;
                }
                var sort = AlertXml.Text(info, "Sort");
                if (sort is not null && !Sorts.Contains(sort))
                {
                    result.Reject(at + "/Sort", $"'{sort}' is not one of {string.Join(", ", Sorts)}");
                    continue;
                }
                var code = defaultCode;
                if (AlertXml.Text(location, "jisX0402") is { } rawCode)
                {
                    if (!MunicipalityCode.TryNormalize(rawCode, out var c, out var error))
                    {
                        result.Reject(at + "/Location/jisX0402", error!);
                        continue;
                    }
                    code = c;
                }
                if (!LAlertMessage.TryLocationGeometry(location, out var geometry, out var why))
                {
                    result.Reject(at + "/Location", why);
                    continue;
                }
                // A shelter is a point: a circle's centre (radius 0 already is one), a polygon's interior point.
                if (geometry is not null and not NetTopologySuite.Geometries.Point) geometry = geometry.InteriorPoint;

                var attrs = common.DeepClone().AsObject();
                var type = AlertXml.Text(info, "Type");
                if (type is not null)
                {
                    attrs["shelter_type"] = type;
                    attrs["kind"] = type.Contains("避難場所", StringComparison.Ordinal) ? "emergency_site" : "shelter";
                }
                void Add(string key, string? value)
                {
                    if (value is not null) attrs[key] = value;
                }
                void AddCount(string key, string? text)
                {
                    if (AlertXml.Count(text) is { } n) attrs[key] = n;
                }
                Add("type_detail", AlertXml.Text(info, "TypeDetail"));
                Add("kana", AlertXml.Text(location, "areaNameKana"));
                Add("phone", AlertXml.Children(location, "ContactInfo").Select(AlertXml.Text).FirstOrDefault(t => t is not null));
                Add("congestion", AlertXml.Text(info, "Status"));
                Add("disaster_name", disaster);
                if (AlertXml.ZonedOrJst(AlertXml.Text(info, "DateTime")) is { } changed) attrs["opened_or_closed_at"] = AlertXml.Iso(changed);
                AddCount("capacity", AlertXml.Text(info, "Capacity"));
                var numberOf = AlertXml.Child(info, "NumberOf");
                AddCount("evacuees", AlertXml.Text(numberOf, "HeadCount"));
                AddCount("evacuees_voluntary", AlertXml.Text(numberOf, "HeadCountVoluntary"));
                AddCount("households", AlertXml.Text(numberOf, "Households"));
                AddCount("households_voluntary", AlertXml.Text(numberOf, "HouseholdsVoluntary"));

                var normalized = NameNormalizer.Normalize(name);
                var sourceKey = code is not null ? $"{code}:{normalized}" : $"lalert:{normalized}";
                if (!usedKeys.Add(sourceKey))
                {
                    sourceKey += $"#{i + 1}";
                    usedKeys.Add(sourceKey);
                }
                result.Records.Add(message.Stamp(new FeatureRecord
                {
                    Layer = Layers.Shelters,
                    SourceKey = sourceKey,
                    EntityKey = code is not null ? $"{code}:{normalized}" : $"lalert-shelter:{normalized}",
                    MunicipalityCode = code,
                    Name = name,
                    Address = AlertXml.Text(location, "Address"),
                    Geometry = geometry,
                    LocatedByCode = false,
                    Status = sort,
                    ObservedAt = AlertXml.ZonedOrJst(AlertXml.Text(info, "CheckedDateTime")) ?? reportTime,
                    ReportedAt = reportTime,
                    Attrs = attrs,
                    Location = at,
                }, report, validity: false));
            }
        }
        return result;
    }
}

/// <summary>
/// <c>lalert-damage</c>: 公共情報コモンズ 被害情報 (DamageInformation). One <c>damage</c> record per message for its
/// municipality (LocatedByCode), with the 第4号様式 counts under the keys <c>fdma-damage-json</c> uses (deaths, missing,
/// injured_serious, houses_destroyed_buildings …). Items without a key are kept in <c>other_items</c>.
/// </summary>
public sealed class LAlertDamageParser : IFeedParser
{
    public const string FormatName = "lalert-damage";

    public string Format => FormatName;
    public string Layer => Layers.Damage;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => LAlertMessage.SniffKind(head) == LAlertKind.Damage;

    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["死者"] = "deaths", ["行方不明者"] = "missing", ["行方不明者数"] = "missing",
        ["負傷者_重傷"] = "injured_serious", ["重傷"] = "injured_serious", ["負傷者_軽傷"] = "injured_minor", ["軽傷"] = "injured_minor",
        ["公共建物"] = "non_residential_public", ["非住家_公共建物"] = "non_residential_public", ["非住家_その他"] = "non_residential_other",
        ["り災世帯数"] = "affected_households", ["り災者数"] = "affected_persons",
        ["文教施設"] = "schools", ["病院"] = "hospitals", ["道路"] = "roads", ["橋りょう"] = "bridges", ["河川"] = "rivers",
        ["港湾"] = "ports", ["砂防"] = "sabo", ["清掃施設"] = "cleaning_facilities", ["崖くずれ"] = "landslides",
        ["鉄道不通"] = "railways_interrupted", ["被害船舶"] = "ships", ["水道"] = "water_supply_households",
        ["電話"] = "telephone_lines", ["電気"] = "electricity_households", ["ガス"] = "gas_households", ["ブロック塀等"] = "block_walls",
    };

    private static readonly Dictionary<string, string> Housing = new(StringComparer.Ordinal)
    {
        ["全壊"] = "houses_destroyed", ["半壊"] = "houses_half_destroyed", ["一部破損"] = "houses_partially_damaged",
        ["床上浸水"] = "inundation_above_floor", ["床下浸水"] = "inundation_below_floor",
    };

    private static readonly Dictionary<string, string> HousingUnits = new(StringComparer.Ordinal) { ["棟"] = "buildings", ["世帯"] = "households", ["人"] = "persons" };

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var message = LAlertMessage.Load(content);
        var result = new ParseResult { Format = Format, Encoding = message.Encoding };
        foreach (var (obj, _, report) in message.Contents(LAlertKind.Damage, Format))
        {
            var body = LAlertMessage.Body(report, "DamageInformation");
            if (body is null || !body.HasElements) continue; // empty template
            var at = SafeXml.PathOf(body);
            var code = message.DefaultCode(report);
            if (code is null)
            {
                result.Reject(at, "no municipality code (targetArea/jisX0402, Headline area or EditorialOffice OrganizationCode)");
                continue;
            }
            var attrs = message.CommonAttrs(obj, report);
            if (AlertXml.Text(AlertXml.Child(body, "Disaster"), "DisasterName") is { } disaster) attrs["disaster_name"] = disaster;
            var others = new JsonArray();
            var severity = 0;
            foreach (var item in body.Descendants().Where(e => !e.HasElements))
            {
                var typeAttr = item.Attributes().FirstOrDefault(x => x.Name.LocalName.EndsWith("DamageType", StringComparison.Ordinal));
                if (typeAttr is null) continue;
                var label = typeAttr.Value.Trim();
                var unit = item.Attributes().FirstOrDefault(x => x.Name.LocalName == "counterUnit")?.Value.Trim();
                if (AlertXml.Text(item) is not { } text) continue;
                if (!AlertXml.TryNumber(text.Replace(",", "", StringComparison.Ordinal), out var value) || value < 0)
                {
                    result.Reject(SafeXml.PathOf(item), $"{label}: '{text}' is not a non-negative number");
                    continue;
                }
                string? key = null;
                if (Housing.TryGetValue(label, out var h) && unit is not null && HousingUnits.TryGetValue(unit, out var suffix)) key = $"{h}_{suffix}";
                else if (item.Name.LocalName.StartsWith("Building", StringComparison.Ordinal) && label == "その他") key = "non_residential_other";
                else if (item.Name.LocalName.StartsWith("Fire", StringComparison.Ordinal)) key = label switch { "建物" => "fires_buildings", "危険物" => "fires_hazardous_materials", "その他" => "fires_other", _ => null };
                else if (!item.Name.LocalName.StartsWith("House", StringComparison.Ordinal)) key = Keys.GetValueOrDefault(label);
                if (key is null)
                {
                    others.Add(new JsonObject { ["type"] = label, ["unit"] = unit, ["value"] = value });
                    continue;
                }
                attrs[key] = value == Math.Floor(value) && value < long.MaxValue ? (JsonNode)(long)value : value;
                if (value > 0)
                    severity = Math.Max(severity, key is "deaths" or "missing" ? 3 : key == "injured_serious" || key.StartsWith("houses_destroyed_", StringComparison.Ordinal) ? 2 : 1);
            }
            if (others.Count > 0) attrs["other_items"] = others;
            var reportTime = LAlertMessage.ReportTime(report) ?? message.DateTimeSent;
            result.Records.Add(message.Stamp(new FeatureRecord
            {
                Layer = Layers.Damage,
                SourceKey = (string?)attrs["document_id"] ?? $"damage:{code}",
                EntityKey = "damage:" + code,
                MunicipalityCode = code,
                LocatedByCode = true,
                Status = "報告",
                Severity = severity,
                ObservedAt = reportTime,
                ReportedAt = reportTime,
                Attrs = attrs,
                Location = at,
            }, report, validity: false));
        }
        return result;
    }
}
