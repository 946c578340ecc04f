using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>Kinds of 第4号様式 その2 items.</summary>
public enum FdmaItemKind
{
    /// <summary>A single count (人, 棟, 件, 箇所, 戸, 回線, 隻).</summary>
    Count,

    /// <summary>住家被害: one item counted in 棟, 世帯 and 人 (attrs <c>{key}_buildings</c>, <c>_households</c>, <c>_persons</c>).</summary>
    Housing,
}

/// <summary>One item of the form: attrs key (snake_case English), the Japanese label, CSV header(s), unit.</summary>
/// <param name="JsonPath">Member name in <c>fdma-damage-json</c>; for fires the member of the <c>fires</c> object.</param>
/// <param name="Damage">Whether a value &gt; 0 counts as damage for severity (dispatch counts do not).</param>
public sealed record FdmaItem(string Key, string Label, string CsvHeader, string Unit, FdmaItemKind Kind = FdmaItemKind.Count, string? JsonPath = null, bool Damage = true);

/// <summary>
/// The 消防庁 災害報告取扱要領 第4号様式 その2 (被害状況即報) items the damage formats carry (FIELDS §7), and the rules both
/// <c>fdma-damage-json</c> and <c>fdma-damage-csv</c> share: status, severity, keys.
/// </summary>
public static class FdmaDamage
{
    public const string Status = "報告";

    public static readonly IReadOnlyList<FdmaItem> Items =
    [
        new("deaths", "死者", "死者", "人"),
        new("missing", "行方不明者", "行方不明者", "人"),
        new("injured_serious", "負傷者 重傷", "重傷", "人"),
        new("injured_minor", "負傷者 軽傷", "軽傷", "人"),
        new("houses_destroyed", "住家 全壊", "全壊", "棟/世帯/人", FdmaItemKind.Housing),
        new("houses_half_destroyed", "住家 半壊", "半壊", "棟/世帯/人", FdmaItemKind.Housing),
        new("houses_partially_damaged", "住家 一部破損", "一部破損", "棟/世帯/人", FdmaItemKind.Housing),
        new("inundation_above_floor", "住家 床上浸水", "床上浸水", "棟/世帯/人", FdmaItemKind.Housing),
        new("inundation_below_floor", "住家 床下浸水", "床下浸水", "棟/世帯/人", FdmaItemKind.Housing),
        new("non_residential_public", "非住家 公共建物", "非住家_公共建物", "棟"),
        new("non_residential_other", "非住家 その他", "非住家_その他", "棟"),
        new("fires_buildings", "火災発生 建物", "火災_建物", "件", JsonPath: "fires.建物"),
        new("fires_hazardous_materials", "火災発生 危険物", "火災_危険物", "件", JsonPath: "fires.危険物"),
        new("fires_other", "火災発生 その他", "火災_その他", "件", JsonPath: "fires.その他"),
        new("affected_households", "り災世帯数", "り災世帯数", "世帯"),
        new("affected_persons", "り災者数", "り災者数", "人"),
        new("schools", "文教施設", "文教施設", "箇所"),
        new("hospitals", "病院", "病院", "箇所"),
        new("roads", "道路", "道路", "箇所"),
        new("bridges", "橋りょう", "橋りょう", "箇所"),
        new("rivers", "河川", "河川", "箇所"),
        new("ports", "港湾", "港湾", "箇所"),
        new("sabo", "砂防", "砂防", "箇所"),
        new("cleaning_facilities", "清掃施設", "清掃施設", "箇所"),
        new("landslides", "崖くずれ", "崖くずれ", "箇所"),
        new("railways_interrupted", "鉄道不通", "鉄道不通", "箇所"),
        new("ships", "被害船舶", "被害船舶", "隻"),
        new("water_supply_households", "水道", "水道", "戸"),
        new("telephone_lines", "電話", "電話", "回線"),
        new("electricity_households", "電気", "電気", "戸"),
        new("gas_households", "ガス", "ガス", "戸"),
        new("block_walls", "ブロック塀等", "ブロック塀等", "箇所"),
        new("firefighters_dispatched", "消防職員出動延人数", "消防職員出動延人数", "人", Damage: false),
        new("fire_corps_dispatched", "消防団員出動延人数", "消防団員出動延人数", "人", Damage: false),
    ];

    /// <summary>住家 units: JSON member / CSV suffix → attrs suffix.</summary>
    public static readonly IReadOnlyList<(string Unit, string Suffix)> HousingUnits = [("棟", "buildings"), ("世帯", "households"), ("人", "persons")];

    /// <summary>
    /// deaths or missing &gt; 0 → 3; injured_serious or any houses_destroyed_* &gt; 0 → 2; any other damage item &gt; 0 → 1;
    /// nothing → 0.
    /// </summary>
    public static int Severity(JsonObject attrs)
    {
        long V(string key) => attrs[key] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
        if (V("deaths") > 0 || V("missing") > 0) return 3;
        if (V("injured_serious") > 0 || HousingUnits.Any(u => V("houses_destroyed_" + u.Suffix) > 0)) return 2;
        foreach (var item in Items.Where(i => i.Damage))
        {
            if (item.Kind == FdmaItemKind.Housing)
            {
                if (HousingUnits.Any(u => V($"{item.Key}_{u.Suffix}") > 0)) return 1;
            }
            else if (V(item.Key) > 0) return 1;
        }
        return 0;
    }

    public static string EntityKey(string code6) => "damage:" + code6;

    /// <summary>The municipality's full name from the directory ("石川県七尾市"), when the document names none.</summary>
    public static string? NameOf(string code6, ParseContext context) =>
        (context.Municipalities ?? MunicipalityDirectory.LoadEmbedded()).Get(code6)?.FullName;
}
