using System.Text.Json;

namespace DisasterHub.Core;

/// <summary>
/// The data-sharing rules in one place (DESIGN §4), one instance per hub (configuration "Hub:Classification"): a classification per layer and per attribute
/// (public / responders / restricted), and the attributes that are personal data and never leave the hub.
/// Ingest raises each record to its layer's level; every read path drops the attributes above the caller's level.
/// </summary>
public sealed class ClassificationPolicy
{
    private static readonly string[] Order = [Classifications.Public, Classifications.Responders, Classifications.Restricted];

    public Dictionary<string, string> Layers { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> Attributes { get; init; } = [];
    public List<string> PersonalData { get; init; } = [];

    public static ClassificationPolicy Default() => new()
    {
        Attributes = new()
        {
            [Core.Layers.Shelters] = new() { ["phone"] = Classifications.Responders, ["notes"] = Classifications.Responders, ["residents"] = Classifications.Restricted },
            [Core.Layers.PowerOutages] = new() { ["obstacles"] = Classifications.Responders, ["grid_map"] = Classifications.Restricted },
            [Core.Layers.Damage] = new() { ["notes"] = Classifications.Responders, ["reporter"] = Classifications.Responders },
        },
        PersonalData = ["evacuee_names", "person_names", "contact_person", "residents_list"],
    };

    public static int Rank(string level) => Math.Max(0, Array.IndexOf(Order, level));

    public static bool IsLevel(string level) => Order.Contains(level);

    public string LayerLevel(string layer) => Layers.GetValueOrDefault(layer, Classifications.Public);

    /// <summary>At ingest: a record is at least as classified as its layer, and personal data is not kept.</summary>
    public void Apply(FeatureRecord record)
    {
        foreach (var key in PersonalData) record.Attrs.Remove(key);
        var layerLevel = LayerLevel(record.Layer);
        if (!IsLevel(record.Classification) || Rank(layerLevel) > Rank(record.Classification)) record.Classification = layerLevel;
    }

    /// <summary>Attribute keys a caller with these levels may not see, per layer (personal data for everyone).</summary>
    public Dictionary<string, string[]> Hidden(IReadOnlyCollection<string> levels)
    {
        var top = levels.Count == 0 ? 0 : levels.Max(Rank);
        var result = new Dictionary<string, string[]>();
        foreach (var layer in Core.Layers.All)
        {
            var keys = Attributes.GetValueOrDefault(layer)?.Where(a => Rank(a.Value) > top).Select(a => a.Key) ?? [];
            result[layer] = [.. keys.Concat(PersonalData).Distinct()];
        }
        return result;
    }

    public string HiddenJson(IReadOnlyCollection<string> levels) => JsonSerializer.Serialize(Hidden(levels));

    private Clearance[]? _clearances;

    /// <summary>
    /// What a caller cleared up to this level may read (that level and every one below it), in the form every read
    /// query binds. There are three, made once: the policy does not change after start-up, and a tile served from
    /// the cache should not pay for serializing the hidden-attribute map.
    /// </summary>
    public Clearance ClearanceUpTo(string level) =>
        (_clearances ??= [.. Order.Select((_, i) => Order[..(i + 1)]).Select(levels => new Clearance(levels, HiddenJson(levels)))])[Rank(level)];
}

/// <summary>
/// A caller's clearance: the classification levels it may read and, per layer, the attribute keys it may not see
/// (above its level, or personal data). Every read path (OGC API, roll-up, tiles, events, as-of) binds both.
/// </summary>
public sealed record Clearance(string[] Levels, string HiddenJson)
{
    /// <summary>Distinguishes cached answers (tiles) made for different clearances.</summary>
    public string CacheKey => string.Join(',', Levels);
}
