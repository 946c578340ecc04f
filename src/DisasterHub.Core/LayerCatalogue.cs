using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace DisasterHub.Core;

/// <summary>
/// One catalogue layer (issue 12): what the hub knows about an EEI item — titles, EEI item, geometry types, the JSON
/// Schema (2020-12) of a feature's properties with units (<c>x-unit</c>), basic/specific share (<c>x-share</c>) and
/// default classification (<c>x-classification</c>) per attribute, staleness, merge identity, roll-up contribution and
/// map style. Read from <c>catalogue/*.json</c> (embedded) and <c>Hub:LayerCatalogue</c> (an operator's directory).
/// </summary>
public sealed class LayerDefinition
{
    public required string Id { get; init; }
    public required string TitleJa { get; init; }
    public required string TitleEn { get; init; }
    public string? EeiItem { get; init; }
    public string? EeiName { get; init; }
    public required IReadOnlyList<string> GeometryTypes { get; init; }
    public string Classification { get; init; } = Classifications.Public;
    public int? StaleAfterMinutes { get; init; }

    /// <summary>How records of the layer are merged: <c>entity_key</c> (共通ID or municipality + normalized name) or <c>source_key</c> (each source's record alone).</summary>
    public string Identity { get; init; } = "entity_key";

    /// <summary>Carries restoration estimates whose revisions are kept and checked (power, water, gas, telecom).</summary>
    public bool Lifeline { get; init; }

    /// <summary>The layer's contribution to the municipality roll-up, as written in the file (<c>count_status</c>, <c>sum</c>, …).</summary>
    public required JsonObject Rollup { get; init; }

    public required JsonObject Style { get; init; }

    /// <summary>The schema as written (served at <c>/api/v1/layers/{id}</c>).</summary>
    public required JsonObject SchemaJson { get; init; }

    public required JsonSchema Schema { get; init; }

    /// <summary>The attributes (schema properties that are not EEI header fields), in file order.</summary>
    public required IReadOnlyList<LayerAttribute> Attributes { get; init; }

    /// <summary>Where the definition came from ("catalogue/shelters.json" or the operator's file path).</summary>
    public required string Origin { get; init; }

    public LayerAttribute? Attribute(string key) => Attributes.FirstOrDefault(a => a.Key == key);
}

/// <summary>One attribute of a layer: its JSON type, unit, basic (基本共有) or specific (特定), and default classification.</summary>
public sealed record LayerAttribute(string Key, string Type, string? Format, string Title, string? Unit, bool Basic, string Classification);

/// <summary>
/// The layer catalogue: every layer the hub serves, one definition per file, validated at start-up. Read paths
/// (OGC collections, tiles, queryables, roll-up, the map's layer list and legend) and the sharing rules' defaults come
/// from it; adding a layer is one file. Immutable once loaded: one instance per hub (DI), none process-wide.
/// </summary>
public sealed partial class LayerCatalogue
{
    /// <summary>The EEI header fields every layer has; a schema describes them for pushes, they are not attributes.</summary>
    public static readonly FrozenSet<string> HeaderFields = FrozenSet.ToFrozenSet(
        ["id", "name", "address", "municipality_code", "status", "severity", "observed_at", "reported_at", "valid_from", "valid_until", "classification", "entity_key"],
        StringComparer.Ordinal);

    private static readonly string[] GeometryNames = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];
    private static readonly string[] Identities = ["entity_key", "source_key"];

    private readonly FrozenDictionary<string, LayerDefinition> _byId;

    public IReadOnlyList<LayerDefinition> Layers { get; }

    /// <summary>Layer ids in catalogue order (panel order, then id).</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Each layer's roll-up rules as the roll-up query binds them: layer → {count_status, sum, lifeline}.</summary>
    public string RollupJson { get; }

    private LayerCatalogue(List<LayerDefinition> layers)
    {
        Layers = [.. layers.OrderBy(l => PanelOrder(l)).ThenBy(l => l.Id, StringComparer.Ordinal)];
        Ids = [.. Layers.Select(l => l.Id)];
        _byId = Layers.ToFrozenDictionary(l => l.Id, StringComparer.Ordinal);
        var rollup = new JsonObject();
        foreach (var l in Layers)
        {
            var rules = (JsonObject)l.Rollup.DeepClone();
            rules["lifeline"] = l.Lifeline;
            rollup[l.Id] = rules;
        }
        RollupJson = rollup.ToJsonString();
    }

    private static int PanelOrder(LayerDefinition l) => l.Style["panel_order"]?.GetValue<int>() ?? 100;

    public bool IsKnown(string layer) => _byId.ContainsKey(layer);

    public LayerDefinition? Find(string layer) => _byId.GetValueOrDefault(layer);

    public LayerDefinition Get(string layer) => _byId.TryGetValue(layer, out var l) ? l : throw new KeyNotFoundException($"layer '{layer}' is not in the catalogue");

    /// <summary>The shipped catalogue (<c>catalogue/*.json</c>, embedded), plus every <c>*.json</c> in <paramref name="extraDirectory"/>.</summary>
    /// <exception cref="LayerCatalogueException">A file is not a valid definition: the file and the reason.</exception>
    public static LayerCatalogue Load(string? extraDirectory = null)
    {
        var files = new List<(string Origin, string Text)>();
        var asm = typeof(LayerCatalogue).Assembly;
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("DisasterHub.Core.catalogue.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            files.Add(("catalogue/" + name["DisasterHub.Core.catalogue.".Length..], r.ReadToEnd()));
        }
        if (!string.IsNullOrWhiteSpace(extraDirectory))
        {
            if (!Directory.Exists(extraDirectory)) throw new LayerCatalogueException(extraDirectory, "the layer catalogue directory (Hub:LayerCatalogue) does not exist");
            foreach (var f in Directory.GetFiles(extraDirectory, "*.json").Order(StringComparer.Ordinal)) files.Add((f, File.ReadAllText(f)));
        }
        return FromFiles(files);
    }

    /// <summary>Definitions from texts; a later file with the same id as an earlier one replaces it (an operator's override).</summary>
    public static LayerCatalogue FromFiles(IEnumerable<(string Origin, string Text)> files)
    {
        var byId = new Dictionary<string, LayerDefinition>(StringComparer.Ordinal);
        foreach (var (origin, text) in files)
        {
            var def = Parse(origin, text);
            byId[def.Id] = def;
        }
        if (byId.Count == 0) throw new LayerCatalogueException("catalogue", "no layer definitions");
        return new LayerCatalogue([.. byId.Values]);
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{1,39}$")]
    private static partial Regex IdPattern();

    public static LayerDefinition Parse(string origin, string text)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new LayerCatalogueException(origin, "a layer definition is a JSON object");
        }
        catch (JsonException e)
        {
            throw new LayerCatalogueException(origin, $"not JSON: {e.Message}");
        }
        string Req(string name) => root[name] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
            ? s : throw new LayerCatalogueException(origin, $"/{name} is required (a non-empty string)");
        var id = Req("id");
        if (!IdPattern().IsMatch(id)) throw new LayerCatalogueException(origin, "/id must be 2–40 characters of a–z, 0–9 and _ starting with a letter (it is a URL segment, a table value and an MVT layer name)");
        if (id.StartsWith("merged", StringComparison.Ordinal) || id is "municipalities" or "reporting_status")
            throw new LayerCatalogueException(origin, $"/id '{id}' is reserved for the hub's own collections");
        var title = root["title"] as JsonObject ?? throw new LayerCatalogueException(origin, "/title must be an object with ja and en");
        string Title(string lang) => title[lang]?.GetValue<string>() is { Length: > 0 } t ? t : throw new LayerCatalogueException(origin, $"/title/{lang} is required");
        var geometry = root["geometry"] as JsonArray ?? throw new LayerCatalogueException(origin, "/geometry must be an array of GeoJSON geometry types");
        var types = geometry.Select(g => g?.GetValue<string>() ?? "").ToList();
        if (types.Count == 0 || types.FirstOrDefault(t => !GeometryNames.Contains(t)) is { } bad)
            throw new LayerCatalogueException(origin, $"/geometry: '{types.FirstOrDefault(t => !GeometryNames.Contains(t)) ?? ""}' is not one of {string.Join(", ", GeometryNames)}");
        var classification = root["classification"]?.GetValue<string>() ?? Classifications.Public;
        if (!ClassificationPolicy.IsLevel(classification)) throw new LayerCatalogueException(origin, "/classification must be public, responders or restricted");
        var identity = root["identity"]?.GetValue<string>() ?? "entity_key";
        if (!Identities.Contains(identity)) throw new LayerCatalogueException(origin, "/identity must be entity_key or source_key");
        int? stale = root["stale_after_minutes"] is JsonValue sv && sv.TryGetValue(out int m) ? m : null;
        if (stale is <= 0) throw new LayerCatalogueException(origin, "/stale_after_minutes must be positive or null");
        var style = root["style"] as JsonObject ?? throw new LayerCatalogueException(origin, "/style is required (color, icon, by)");
        if (style["color"]?.GetValue<string>() is not { } color || !ColorPattern().IsMatch(color))
            throw new LayerCatalogueException(origin, "/style/color must be a #rrggbb colour");
        if (style["values"] is JsonObject values && values.FirstOrDefault(v => v.Value?.GetValue<string>() is not { } c || !ColorPattern().IsMatch(c)) is { Key: { } badValue })
            throw new LayerCatalogueException(origin, $"/style/values/{badValue} must be a #rrggbb colour");
        var schemaJson = root["schema"] as JsonObject ?? throw new LayerCatalogueException(origin, "/schema is required (a JSON Schema 2020-12 of a feature's properties)");
        if (schemaJson["$schema"]?.GetValue<string>() is { } dialect && dialect != "https://json-schema.org/draft/2020-12/schema")
            throw new LayerCatalogueException(origin, "/schema/$schema must be https://json-schema.org/draft/2020-12/schema");
        JsonSchema schema;
        try
        {
            // A registry per schema: no schema is registered process-wide, so two hubs (or a reloaded catalogue) never clash on $id.
            using var doc = JsonDocument.Parse(schemaJson.ToJsonString());
            schema = JsonSchema.Build(doc.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException or RefResolutionException)
        {
            throw new LayerCatalogueException(origin, $"/schema is not a valid JSON Schema 2020-12: {e.Message}");
        }
        var attributes = new List<LayerAttribute>();
        if (schemaJson["properties"] is JsonObject props)
        {
            foreach (var (key, node) in props)
            {
                if (HeaderFields.Contains(key)) continue;
                if (!AttributeKey().IsMatch(key)) throw new LayerCatalogueException(origin, $"/schema/properties/{key}: an attribute key is 1–63 characters of a–z, 0–9 and _ starting with a letter");
                if (node is not JsonObject p) throw new LayerCatalogueException(origin, $"/schema/properties/{key} must be an object");
                var level = p["x-classification"]?.GetValue<string>() ?? Classifications.Public;
                if (!ClassificationPolicy.IsLevel(level)) throw new LayerCatalogueException(origin, $"/schema/properties/{key}/x-classification must be public, responders or restricted");
                var share = p["x-share"]?.GetValue<string>() ?? "basic";
                if (share is not ("basic" or "specific")) throw new LayerCatalogueException(origin, $"/schema/properties/{key}/x-share must be basic or specific");
                var type = p["type"] is JsonValue tv ? tv.GetValue<string>() : p["type"] is JsonArray ta ? string.Join("|", ta.Select(x => x?.GetValue<string>())) : "any";
                attributes.Add(new LayerAttribute(key, type, p["format"]?.GetValue<string>(), p["title"]?.GetValue<string>() ?? key, p["x-unit"]?.GetValue<string>() is { Length: > 0 } u ? u : null, share == "basic", level));
            }
        }
        var eei = root["eei"] as JsonObject;
        return new LayerDefinition
        {
            Id = id, TitleJa = Title("ja"), TitleEn = Title("en"),
            EeiItem = eei?["item"]?.GetValue<string>(), EeiName = eei?["name"]?.GetValue<string>(),
            GeometryTypes = types, Classification = classification, StaleAfterMinutes = stale, Identity = identity,
            Lifeline = root["lifeline"]?.GetValue<bool>() ?? false,
            Rollup = root["rollup"] as JsonObject ?? [], Style = style, SchemaJson = schemaJson, Schema = schema,
            Attributes = attributes, Origin = origin,
        };
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex AttributeKey();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();
}

/// <summary>A catalogue file is not a valid layer definition: which file, and why (the hub does not start with it).</summary>
public sealed class LayerCatalogueException(string origin, string reason) : Exception($"{origin}: {reason}")
{
    public string Origin { get; } = origin;
    public string Reason { get; } = reason;
}
