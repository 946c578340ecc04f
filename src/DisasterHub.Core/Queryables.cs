namespace DisasterHub.Core;

public enum QueryableType { String, Number, Integer, Boolean, Timestamp, Geometry }

/// <summary>
/// One property a collection can be filtered (<c>filter=</c>, <c>?name=value</c>) and sorted on. A column of the
/// EEI header, or a key of the layer's <c>attrs</c> (<see cref="IsAttribute"/>).
/// </summary>
public sealed record QueryableProperty(string Name, QueryableType Type, string Title, bool IsAttribute = false);

/// <summary>
/// The properties each layer can be filtered and sorted on: the EEI header fields, and the layer's attributes as its
/// catalogue schema types them (<see cref="LayerCatalogue"/>). Which of these a caller may use is cut by the sharing rules: an attribute hidden from
/// the caller (<see cref="ClassificationPolicy.Hidden"/>) is not queryable for it, so filtering cannot reveal it.
/// </summary>
public static class Queryables
{
    /// <summary>The record's time, what the temporal functions and <c>datetime</c> talk about.</summary>
    public const string RecordTime = "observed_at";

    public const string GeometryName = "geometry";

    private static readonly QueryableProperty[] Header =
    [
        new(GeometryName, QueryableType.Geometry, "location (CRS84)"),
        new("name", QueryableType.String, "name"),
        new("address", QueryableType.String, "address"),
        new("municipality_code", QueryableType.String, "全国地方公共団体コード (6 digits)"),
        new("status", QueryableType.String, "status (開設, 未開設, 発令, 停電中 …)"),
        new("severity", QueryableType.Integer, "severity 0–4"),
        new("observed_at", QueryableType.Timestamp, "when the source observed it (the record's time)"),
        new("received_at", QueryableType.Timestamp, "when the hub received it"),
        new("valid_from", QueryableType.Timestamp, "start of validity"),
        new("valid_until", QueryableType.Timestamp, "end of validity"),
        new("source_id", QueryableType.String, "source (first source of a merged record)"),
        new("entity_key", QueryableType.String, "identity of the real-world thing"),
        new("stale", QueryableType.Boolean, "no source has reported within its expected interval"),
    ];

    /// <summary>
    /// What a caller may filter and sort one layer on: the header, and the layer's attributes less those hidden from
    /// it (<paramref name="hidden"/>: <see cref="ClassificationPolicy.Hidden"/> of the caller's levels for this layer).
    /// </summary>
    public static IReadOnlyDictionary<string, QueryableProperty> For(LayerDefinition? layer, IReadOnlyCollection<string> hidden)
    {
        var result = new Dictionary<string, QueryableProperty>(StringComparer.Ordinal);
        foreach (var q in Header) result[q.Name] = q;
        foreach (var a in layer?.Attributes ?? [])
            if (!hidden.Contains(a.Key) && Type(a) is { } type) result.TryAdd(a.Key, new QueryableProperty(a.Key, type, a.Unit is null ? a.Title : $"{a.Title} ({a.Unit})", true));
        return result;
    }

    /// <summary>The queryable type of a catalogue attribute; arrays and objects are not queryable.</summary>
    private static QueryableType? Type(LayerAttribute a) => a.Type switch
    {
        "string" => a.Format == "date-time" ? QueryableType.Timestamp : QueryableType.String,
        "integer" => QueryableType.Integer,
        "number" => QueryableType.Number,
        "boolean" => QueryableType.Boolean,
        _ => null,
    };

    /// <summary>JSON Schema type words of a queryable.</summary>
    public static object Schema(QueryableProperty q) => q.Type switch
    {
        QueryableType.String => new { title = q.Title, type = "string" },
        QueryableType.Number => new { title = q.Title, type = "number" },
        QueryableType.Integer => new { title = q.Title, type = "integer" },
        QueryableType.Boolean => new { title = q.Title, type = "boolean" },
        QueryableType.Timestamp => new { title = q.Title, type = "string", format = "date-time" },
        _ => (object)new { title = q.Title, format = "geometry-any", @ref = "https://geojson.org/schema/Geometry.json" },
    };
}
