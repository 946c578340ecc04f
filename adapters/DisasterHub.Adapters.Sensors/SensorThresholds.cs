using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DisasterHub.Adapters.Sensors;

/// <summary>
/// Levels at which a reading becomes caution (severity 1), warning (2) and critical (3); below all of them it is
/// normal (0). <see cref="Standby"/> is informational (水防団待機水位: status "standby", severity 0). Any level may be
/// missing; with none at all a reading has no severity. <see cref="Unit"/> is the unit the levels are in (null: the
/// datastream's own unit).
/// </summary>
public sealed record ThresholdLevels(double? Caution, double? Warning, double? Critical, string? Unit = null, double? Standby = null)
{
    public bool IsEmpty => Caution is null && Warning is null && Critical is null;

    /// <summary>≥ critical → 3, ≥ warning → 2, ≥ caution → 1, else 0; null when no level is set.</summary>
    public int? Evaluate(double value)
    {
        if (IsEmpty) return null;
        if (Critical is { } c && value >= c) return 3;
        if (Warning is { } w && value >= w) return 2;
        if (Caution is { } k && value >= k) return 1;
        return 0;
    }

    /// <summary>The level word of a reading: normal, standby, caution, warning, critical (null without levels).</summary>
    public string? LevelWord(double value) => Evaluate(value) switch
    {
        null => null,
        0 when Standby is { } s && value >= s => "standby",
        int n => SensorThresholds.SeverityWord(n),
    };

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        if (Standby is { } s) o["standby"] = s;
        if (Caution is { } c) o["caution"] = c;
        if (Warning is { } w) o["warning"] = w;
        if (Critical is { } k) o["critical"] = k;
        if (Unit is not null) o["unit"] = Unit;
        return o;
    }

    private static readonly string[] StandbyKeys = ["standby", "水防団待機水位", "待機水位"];
    private static readonly string[] CautionKeys = ["caution", "advisory", "flood_caution", "氾濫注意水位", "注意水位", "注意"];
    private static readonly string[] WarningKeys = ["warning", "evacuation_judgement", "evacuation_judgment", "evacuation_decision", "避難判断水位", "警戒水位", "警戒", "警報"];
    private static readonly string[] CriticalKeys = ["critical", "danger", "flood_danger", "氾濫危険水位", "危険水位", "危険"];

    /// <summary>
    /// Reads a thresholds object as a source writes it in Thing/Datastream <c>properties</c>:
    /// <c>{"caution": 2.0, "warning": 2.5, "critical": 2.9}</c>, the river words
    /// <c>{"standby", "caution", "evacuation_judgement", "danger"}</c>, or the Japanese names
    /// (水防団待機水位, 氾濫注意水位, 避難判断水位, 氾濫危険水位). Numbers or numeric strings; null when none is usable.
    /// </summary>
    public static ThresholdLevels? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        var levels = new ThresholdLevels(Find(o, CautionKeys), Find(o, WarningKeys), Find(o, CriticalKeys),
            o["unit"]?.GetValueKind() == JsonValueKind.String ? (string?)o["unit"] : null, Find(o, StandbyKeys));
        return levels.IsEmpty ? null : levels;
    }

    private static double? Find(JsonObject o, string[] keys)
    {
        foreach (var (key, value) in o)
            if (keys.Contains(SensorThresholds.NormalizeName(key), StringComparer.Ordinal) && SensorThresholds.Number(value) is { } n)
                return n;
        return null;
    }
}

/// <summary>
/// Severity thresholds by ObservedProperty name, for stations whose feed does not carry its own levels
/// (a Thing's <c>flood_levels</c> / a Datastream's <c>thresholds</c> win). Names are compared after
/// <see cref="NormalizeName"/> (case, spaces and hyphens ignored). Configure it when registering the parser:
/// <c>new SensorThingsParser(thresholds)</c>.
/// </summary>
public sealed class SensorThresholds
{
    public Dictionary<string, ThresholdLevels> ByObservedProperty { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The defaults: rainfall 20/30/50 mm/h (JMA 強い雨 / 激しい雨 / 非常に激しい雨); ambient dose rate
    /// 0.23/1/20 µSv/h (0.23 is the decontamination reference, 20 µSv/h OIL2); measured seismic intensity
    /// 3.5/4.5/5.5 (震度4 / 5弱 / 6弱). River water level has no default: its levels belong to the station.
    /// </summary>
    public static SensorThresholds CreateDefault()
    {
        var t = new SensorThresholds();
        var rain = new ThresholdLevels(20, 30, 50, "mm/h");
        foreach (var n in new[] { "rainfall", "rainfall_intensity", "rainfall_1h", "rain_1h", "precipitation", "precipitation_1h", "precipitation_intensity", "hourly_rainfall", "雨量", "時間雨量", "1時間雨量", "降水量", "1時間降水量" })
            t.Set(n, rain);
        var dose = new ThresholdLevels(0.23, 1, 20, "µSv/h");
        foreach (var n in new[] { "dose_rate", "air_dose_rate", "ambient_dose_rate", "ambient_dose_equivalent_rate", "gamma_dose_rate", "radiation_dose_rate", "空間線量率", "線量率", "空間放射線量率" })
            t.Set(n, dose);
        var intensity = new ThresholdLevels(3.5, 4.5, 5.5);
        foreach (var n in new[] { "seismic_intensity", "measured_seismic_intensity", "jma_seismic_intensity", "計測震度" })
            t.Set(n, intensity);
        return t;
    }

    public void Set(string observedPropertyName, ThresholdLevels levels) => ByObservedProperty[NormalizeName(observedPropertyName)] = levels;

    public ThresholdLevels? Find(string? observedPropertyName) =>
        observedPropertyName is not null && ByObservedProperty.TryGetValue(NormalizeName(observedPropertyName), out var l) ? l : null;

    /// <summary>Lower case, NFKC, spaces and hyphens as underscores: "Water Level" → "water_level".</summary>
    public static string NormalizeName(string name)
    {
        var s = name.Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant();
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s) sb.Append(ch is ' ' or '-' or '\t' ? '_' : ch);
        return sb.ToString();
    }

    /// <summary>Observed-property names (normalized) that mean a river water level, to which a Thing's flood_levels apply.</summary>
    public static bool IsWaterLevel(string? observedPropertyName)
    {
        if (observedPropertyName is null) return false;
        var n = NormalizeName(observedPropertyName);
        return n.Contains("water_level", StringComparison.Ordinal) || n.Contains("水位", StringComparison.Ordinal)
            || n is "river_level" or "stage" or "gage_height" or "gauge_height" or "water_surface_elevation";
    }

    public static string SeverityWord(int severity) => severity switch
    {
        0 => "normal",
        1 => "caution",
        2 => "warning",
        _ => "critical",
    };

    internal static double? Number(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.Number => node.GetValue<double>(),
        JsonValueKind.String when double.TryParse((string?)node, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        _ => null,
    };

    // Units the levels may be converted between: canonical unit and factor to it.
    private static readonly Dictionary<string, (string Base, double Factor)> Units = new(StringComparer.Ordinal)
    {
        ["mm/h"] = ("mm/h", 1), ["mm/hr"] = ("mm/h", 1), ["mmh-1"] = ("mm/h", 1), ["mm/hour"] = ("mm/h", 1),
        ["usv/h"] = ("usv/h", 1), ["nsv/h"] = ("usv/h", 0.001), ["msv/h"] = ("usv/h", 1000), ["usv/hr"] = ("usv/h", 1), ["nsv/hr"] = ("usv/h", 0.001),
        ["m"] = ("m", 1), ["cm"] = ("m", 0.01), ["mm"] = ("mm", 1), ["metre"] = ("m", 1), ["meter"] = ("m", 1),
    };

    private static string CanonicalUnit(string unit) =>
        unit.Replace('µ', 'u').Replace('μ', 'u').Replace(" ", "", StringComparison.Ordinal).Replace("·", "", StringComparison.Ordinal)
            .ToLowerInvariant();

    /// <summary>
    /// The reading in the levels' unit: as is when either unit is unknown to the feed or the levels have none, converted
    /// between known units (nSv/h → µSv/h, cm → m), null when the units are incompatible (no severity then).
    /// </summary>
    public static double? InUnitOf(double value, string? valueUnit, string? levelsUnit)
    {
        if (levelsUnit is null || valueUnit is null) return value;
        var a = CanonicalUnit(valueUnit);
        var b = CanonicalUnit(levelsUnit);
        if (a == b) return value;
        if (Units.TryGetValue(a, out var ua) && Units.TryGetValue(b, out var ub) && ua.Base == ub.Base)
            return value * ua.Factor / ub.Factor;
        return null;
    }
}
