using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Shelters;

/// <summary>Attribute keys the shelter layer's records carry (snake_case English).</summary>
public static class ShelterAttrs
{
    public const string Kind = "kind";
    public const string CommonId = "common_id";
    public const string Hazards = "hazards";
    public const string Capacity = "capacity";
    public const string CapacityText = "capacity_text";
    public const string CapacityIndoor = "capacity_indoor";
    public const string CapacityOutdoor = "capacity_outdoor";
    public const string Evacuees = "evacuees";
    public const string Phone = "phone";
    public const string SameAddressAsShelter = "same_address_as_shelter";
    public const string SameAddressAsEmergencySite = "same_address_as_emergency_site";
    public const string Kana = "kana";
    public const string NameEn = "name_en";
    public const string District = "district";
    public const string Communities = "communities";
    public const string AcceptedPersons = "accepted_persons";
    public const string OtherMatters = "other_matters";
    public const string Elevation = "elevation";
    public const string Url = "url";
    public const string Notes = "notes";
    public const string ShelterId = "shelter_id";
    public const string CoordinatesSwapped = "coordinates_swapped";

    public const string KindEmergencySite = "emergency_site";
    public const string KindShelter = "shelter";

    /// <summary>Hazard keys in the order of the 8 flag columns.</summary>
    public static readonly IReadOnlyList<string> HazardKeys =
        ["flood", "landslide", "storm_surge", "earthquake", "tsunami", "large_fire", "inland_flood", "volcano"];
}

/// <summary>The 開設状況 words (DESIGN §2) and the English words a push may use instead.</summary>
public static class ShelterStatus
{
    public const string NotOpened = "未開設";
    public const string Open = "開設";
    public const string Closed = "閉鎖";
    public const string Unknown = "不明";
    public const string Permanent = "常設";

    public static bool TryNormalize(string? raw, out string status)
    {
        status = (raw ?? "").Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant() switch
        {
            "未開設" or "not_opened" or "not opened" or "notopened" => NotOpened,
            "開設" or "開設中" or "open" or "opened" => Open,
            "閉鎖" or "closed" => Closed,
            "不明" or "unknown" => Unknown,
            "常設" or "permanent" => Permanent,
            _ => "",
        };
        return status.Length > 0;
    }
}

/// <summary>
/// The normalized names of a document's columns (a CSV header) or of one GeoJSON feature's properties, and where each
/// value sits: shared by every row of a CSV document, so a row is its cells and nothing more (issue 16: a per-row
/// dictionary was a third of a national registry's parse allocations). The first column of a repeated name wins.
/// </summary>
internal sealed class FieldNames
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private bool? _hazards;

    /// <param name="keys">The normalized names, in column order (null for a column without one).</param>
    /// <param name="sharedByRows">Whether every row of a document reads through these names (a CSV header): only then
    /// are the names the mappings ask for remembered; one GeoJSON feature's names are asked once each.</param>
    public FieldNames(IEnumerable<string?> keys, bool sharedByRows = false)
    {
        if (sharedByRows) _asked = new(ReferenceEqualityComparer.Instance);
        var i = 0;
        foreach (var key in keys)
        {
            if (key is not null) _index.TryAdd(key, i);
            i++;
        }
    }

    // A document's names the mappings ask for, as they spell them (constants), by reference → column or -1: normalized
    // and looked up once per name and document, not twice per name and row (a GSI row asks ~45 times: two string hashes
    // of each Japanese name every time). Bounded: names built at run time cannot grow it without end.
    private readonly Dictionary<object, int>? _asked;

    /// <summary>The column of the field of that name (normalized as <see cref="FieldRow.Key"/>), or -1.</summary>
    public int IndexOf(string name)
    {
        if (_asked is not null && _asked.TryGetValue(name, out var i)) return i;
        i = _index.TryGetValue(FieldRow.Key(name), out var found) ? found : -1;
        if (_asked is { Count: < 256 }) _asked[name] = i;
        return i;
    }

    /// <summary>Whether a field of that name (normalized as <see cref="FieldRow.Key"/>) is present.</summary>
    public bool Has(string name) => IndexOf(name) >= 0;

    public IEnumerable<string> Keys => _index.Keys;

    /// <summary>Whether any hazard flag column is present (<see cref="ShelterFields.HazardNames"/>): asked of every row, answered once.</summary>
    public bool HasHazardColumns => _hazards ??= ShelterFields.HazardNames.Any(names => names.Any(Has));
}

/// <summary>A row of named fields (CSV header → cell, or GeoJSON property → value as text), keys NFKC-normalized.</summary>
internal sealed class FieldRow
{
    private readonly FieldNames _names;
    private readonly IReadOnlyList<string?> _values;

    /// <summary>A row's values in the order of <paramref name="names"/>' columns (missing trailing cells read as empty).</summary>
    public FieldRow(FieldNames names, IReadOnlyList<string?> values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>A row of its own names (a GeoJSON feature's properties).</summary>
    public FieldRow(IReadOnlyList<KeyValuePair<string, string?>> values) : this(new FieldNames(values.Select(v => v.Key)), values.Select(v => v.Value).ToArray())
    {
    }

    // Column names come from a small fixed set (and each document's header): normalized once, not per row and lookup.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Keys = new(StringComparer.Ordinal);

    public static string Key(string name)
    {
        if (Keys.TryGetValue(name, out var key)) return key;
        key = NameNormalizer.Normalize(name);
        if (Keys.Count < 10_000) Keys.TryAdd(name, key); // bounded: hostile headers cannot grow it without end
        return key;
    }

    public bool Has(string name) => _names.Has(name);

    public bool HasAny(params ReadOnlySpan<string> names)
    {
        foreach (var n in names)
            if (Has(n)) return true;
        return false;
    }

    /// <summary>Whether the row's document has any hazard flag column.</summary>
    public bool HasHazardColumns => _names.HasHazardColumns;

    /// <summary>The first of the named fields that has a non-blank value, trimmed.</summary>
    public string? Get(params ReadOnlySpan<string> names)
    {
        foreach (var n in names)
            if (_names.IndexOf(n) is var i and >= 0 && (i < _values.Count ? _values[i] : "") is { } v && !string.IsNullOrWhiteSpace(v))
                return v.Trim();
        return null;
    }

    public IEnumerable<string> Names => _names.Keys;
}

internal static partial class ShelterFields
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>Column / property names of the 8 hazard flags: GSI name, then the Digital Agency name.</summary>
    public static readonly string[][] HazardNames =
    [
        ["洪水", "災害種別_洪水"],
        ["崖崩れ、土石流及び地滑り", "災害種別_崖崩れ、土石流及び地滑り"],
        ["高潮", "災害種別_高潮"],
        ["地震", "災害種別_地震"],
        ["津波", "災害種別_津波"],
        ["大規模な火事", "大規模火事", "災害種別_大規模な火事", "災害種別_大規模火事"],
        ["内水氾濫", "災害種別_内水氾濫"],
        ["火山現象", "災害種別_火山現象"],
    ];

    /// <summary>"1", "1.0", 1, ○ are set; "", null, 0 are not.</summary>
    public static bool IsFlagSet(string? v)
    {
        // the registry's own spelling, before any parsing: most cells are "1" or empty
        if (v is "1") return true;
        if (string.IsNullOrWhiteSpace(v) || v is "0") return false;
        var s = (System.Text.Ascii.IsValid(v) ? v : v.Normalize(NormalizationForm.FormKC)).Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d != 0;
        return s is "○" or "◯" or "〇" or "●" or "有" or "true" or "TRUE" or "True" or "yes" or "Y" or "y";
    }

    public static void AddHazards(FieldRow row, JsonObject attrs)
    {
        if (!row.HasHazardColumns) return;
        // the set flags first, then the array at its size (Add<T> would look the type up by reflection per call, and
        // grow the array's list as it went)
        var set = new JsonNode?[HazardNames.Length];
        var n = 0;
        for (var i = 0; i < HazardNames.Length; i++)
            if (IsFlagSet(row.Get(HazardNames[i]))) set[n++] = JsonValue.Create(ShelterAttrs.HazardKeys[i]);
        attrs[ShelterAttrs.Hazards] = new JsonArray(set.AsSpan(0, n));
    }

    public static void AddText(JsonObject attrs, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value)) attrs[key] = value.Trim();
    }

    public static void AddFlag(JsonObject attrs, string key, string? value, bool present)
    {
        if (present) attrs[key] = IsFlagSet(value);
    }

    [GeneratedRegex(@"^(\d+)\s*人?")]
    private static partial Regex LeadingCount();

    [GeneratedRegex(@"屋内\s*(\d+)\s*人")]
    private static partial Regex Indoor();

    [GeneratedRegex(@"屋外\s*(\d+)\s*人")]
    private static partial Regex Outdoor();

    /// <summary>
    /// 想定収容人数 is free text: "810人（2平方メートルあたり1人）" → 810; "屋内191人／屋外0人(面積の1/2)" → indoor 191,
    /// outdoor 0, capacity their sum. The text is always kept as capacity_text.
    /// </summary>
    public static void AddCapacity(JsonObject attrs, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        attrs[ShelterAttrs.CapacityText] = text.Trim();
        var s = text.Normalize(NormalizationForm.FormKC).Replace(",", "", StringComparison.Ordinal).Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d < int.MaxValue && d == Math.Floor(d))
        {
            attrs[ShelterAttrs.Capacity] = (int)d;
            return;
        }
        var lead = LeadingCount().Match(s);
        if (lead.Success && int.TryParse(lead.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            attrs[ShelterAttrs.Capacity] = n;
            return;
        }
        var inMatch = Indoor().Match(s);
        var outMatch = Outdoor().Match(s);
        int? indoor = inMatch.Success && int.TryParse(inMatch.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : null;
        int? outdoor = outMatch.Success && int.TryParse(outMatch.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : null;
        if (indoor is not null) attrs[ShelterAttrs.CapacityIndoor] = indoor;
        if (outdoor is not null) attrs[ShelterAttrs.CapacityOutdoor] = outdoor;
        if (indoor is not null || outdoor is not null) attrs[ShelterAttrs.Capacity] = (indoor ?? 0) + (outdoor ?? 0);
    }

    /// <summary>A non-negative whole number ("180", "180.0", "1,200"), or null.</summary>
    public static int? ParseCount(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Normalize(NormalizationForm.FormKC).Replace(",", "", StringComparison.Ordinal).Trim().TrimEnd('人');
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d < int.MaxValue && d == Math.Floor(d)
            ? (int)d
            : null;
    }

    public static bool TryParseNumber(string? text, out double value)
    {
        value = double.NaN;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Normalize(NormalizationForm.FormKC).Trim();
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>
    /// A WGS84 point from latitude and longitude, or the reason there is none. Swapped values (a "latitude" of 122–154
    /// and a "longitude" of 20–46) are put right and flagged, since no point in Japan can be read the other way.
    /// </summary>
    public static bool TryMakePoint(double lat, double lon, JsonObject attrs, out Point point, out string reason)
    {
        point = null!;
        reason = "";
        if (!double.IsFinite(lat) || !double.IsFinite(lon))
        {
            reason = "coordinates are not finite numbers";
            return false;
        }
        if (lat == 0 && lon == 0)
        {
            reason = "coordinates are 0,0 (missing)";
            return false;
        }
        if (lat is >= 122 and <= 154 && lon is >= 20 and <= 46)
        {
            (lat, lon) = (lon, lat);
            attrs[ShelterAttrs.CoordinatesSwapped] = true;
        }
        if (lat is < -90 or > 90 || lon is < -180 or > 180)
        {
            reason = FormattableString.Invariant($"coordinates out of range (lat {lat}, lon {lon})");
            return false;
        }
        point = Factory.CreatePoint(new Coordinate(lon, lat));
        return true;
    }

    public static bool TryMakePoint(string? latText, string? lonText, JsonObject attrs, out Point point, out string reason)
    {
        point = null!;
        if (string.IsNullOrWhiteSpace(latText) || string.IsNullOrWhiteSpace(lonText))
        {
            reason = "missing coordinates (緯度/経度)";
            return false;
        }
        if (!TryParseNumber(latText, out var lat) || !TryParseNumber(lonText, out var lon))
        {
            reason = $"coordinates are not numbers (緯度 '{latText}', 経度 '{lonText}')";
            return false;
        }
        return TryMakePoint(lat, lon, attrs, out point, out reason);
    }

    /// <summary>
    /// The municipality code from, in order: code fields, the directory by prefecture + municipality name, by full name,
    /// by address. A code that is present but wrong is an error, never silently replaced by a name lookup.
    /// </summary>
    public static bool TryResolveMunicipality(IEnumerable<string?> codes, MunicipalityDirectory directory,
        string? prefecture, string? municipality, string? fullName, string? address, out string code6, out string reason)
    {
        code6 = "";
        reason = "";
        foreach (var c in codes)
        {
            if (string.IsNullOrWhiteSpace(c)) continue;
            if (MunicipalityCode.TryNormalize(c, out code6, out var error)) return true;
            reason = error!;
            return false;
        }
        var entry = (municipality is not null ? directory.Find(prefecture, municipality) : null)
            ?? (fullName is not null ? directory.FindByFullName(fullName) ?? directory.FindByAddress(fullName) : null)
            ?? (address is not null ? directory.FindByAddress(address) : null);
        if (entry is not null && !entry.IsPrefecture)
        {
            code6 = entry.Code;
            return true;
        }
        reason = "no municipality code, and the municipality name "
            + $"'{prefecture}{municipality ?? fullName ?? address}' is not in the directory";
        return false;
    }

    public static MunicipalityDirectory Directory(ParseContext context) =>
        context.Municipalities ?? MunicipalityDirectory.LoadEmbedded();

    public static string EntityKey(string? commonId, string code6, string name) =>
        !string.IsNullOrWhiteSpace(commonId) ? commonId.Trim() : $"{code6}:{NameNormalizer.Normalize(name)}";

    /// <summary>Row numbers as JSON numbers come out of properties ("NO": 33016) must not become "33016.0".</summary>
    public static string? JsonText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "1" : "0",
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
