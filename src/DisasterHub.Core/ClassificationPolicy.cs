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

    /// <summary>No configured rules: the catalogue's defaults alone (<see cref="WithCatalogue"/>), and the personal-data keys.</summary>
    public static ClassificationPolicy Default() => new()
    {
        PersonalData = ["evacuee_names", "person_names", "contact_person", "residents_list"],
    };

    /// <summary>The layers the rules cover: set by <see cref="WithCatalogue"/> (every catalogue layer).</summary>
    public IReadOnlyList<string> LayerIds { get; private init; } = [];

    /// <summary>
    /// The rules in force: each catalogue layer's classification and its attributes' <c>x-classification</c> are the
    /// defaults; what configuration (<c>Hub:Classification</c>) says for a layer or attribute overrides them.
    /// </summary>
    public ClassificationPolicy WithCatalogue(LayerCatalogue catalogue)
    {
        var layers = new Dictionary<string, string>(StringComparer.Ordinal);
        var attributes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var def in catalogue.Layers)
        {
            layers[def.Id] = Layers.GetValueOrDefault(def.Id, def.Classification);
            var attrs = def.Attributes.Where(a => a.Classification != Classifications.Public).ToDictionary(a => a.Key, a => a.Classification, StringComparer.Ordinal);
            foreach (var (key, level) in Attributes.GetValueOrDefault(def.Id) ?? []) attrs[key] = level;
            attributes[def.Id] = attrs;
        }
        return new ClassificationPolicy { Layers = layers, Attributes = attributes, PersonalData = PersonalData, LayerIds = catalogue.Ids };
    }

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
        foreach (var layer in LayerIds)
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
