using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Adapters.Sensors;
using DisasterHub.Core;
using Json.Schema;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Adapters.Catalogue;

/// <summary>
/// The generic push of a catalogue layer (issue 12 item 2): a feature's properties — EEI header fields (<c>id</c>,
/// <c>name</c>, <c>status</c>, <c>municipality_code</c>, <c>observed_at</c> …) and the layer's attributes — checked
/// against the layer's JSON Schema; a feature that breaks it is rejected with its pointer (or line and column) and the
/// rule, the others become records. Shared by the GeoJSON and CSV readers below; pure like every parser.
/// </summary>
public static class LayerFeatures
{
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>The schema's failures on <paramref name="properties"/>, each as (pointer below the properties, "keyword: message").</summary>
    public static List<(string Pointer, string Rule)> Check(LayerDefinition layer, JsonObject properties)
    {
        var results = layer.Schema.Evaluate(JsonSerializer.SerializeToElement(properties), Evaluation);
        var failures = new List<(string, string)>();
        if (results.IsValid) return failures;
        foreach (var d in (IEnumerable<EvaluationResults>?)results.Details ?? [results])
            foreach (var (keyword, message) in d.Errors ?? new Dictionary<string, string>())
                // a property the schema does not allow fails against the `false` subschema, which has no keyword of its own
                failures.Add((d.InstanceLocation.ToString(), keyword switch
                {
                    "" => "additionalProperties: not a property of this layer (its schema allows no others)",
                    "enum" => $"enum: {message}: {string.Join(", ", Allowed(layer, d.InstanceLocation.ToString()))}",
                    _ => $"{keyword}: {message}",
                }));
        if (failures.Count == 0) failures.Add(("", "the properties do not match the layer's schema"));
        return failures;
    }

    /// <summary>The code list of a top-level property ("/status" → 開設, 未開設 …), for a reason that says what would do.</summary>
    private static IEnumerable<string> Allowed(LayerDefinition layer, string pointer) =>
        layer.SchemaJson["properties"]?[pointer.TrimStart('/')]?["enum"] is JsonArray values ? values.Select(v => v?.ToString() ?? "null") : [];

    /// <summary>A record from checked properties; null with the reason when the EEI header cannot be read.</summary>
    /// <remarks>
    /// A feature with a geometry and no <c>municipality_code</c> gets the code of the municipality its interior point lies
    /// in (the context's boundaries), so it joins the roll-up and a municipal pusher's jurisdiction check has a code to
    /// check; <c>attrs.municipality_code_from</c> says so.
    /// </remarks>
    public static FeatureRecord? ToRecord(LayerDefinition layer, JsonObject properties, string? featureId, Geometry? geometry, string location,
        ParseContext context, out string? error)
    {
        error = null;
        var id = Text(properties["id"]) ?? featureId ?? Text(properties["municipality_code"]);
        if (string.IsNullOrWhiteSpace(id))
        {
            error = "id: every feature needs an id (its key in this source; a re-push with the same id replaces it)";
            return null;
        }
        DateTimeOffset? Time(string key) => Text(properties[key]) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime() : null;
        if (geometry is not null && !layer.GeometryTypes.Contains(geometry.GeometryType))
        {
            error = $"geometry: {geometry.GeometryType} is not one of the layer's geometry types ({string.Join(", ", layer.GeometryTypes)})";
            return null;
        }
        var code = Text(properties["municipality_code"]);
        var codeFromLocation = false;
        if (code is null && geometry is not null && !geometry.IsEmpty
            && (context.Boundaries ?? DisasterHub.Core.Checks.MunicipalBoundaries.LoadEmbedded()).At(geometry.InteriorPoint.Coordinate) is [var area, ..])
        {
            code = area.Code;
            codeFromLocation = true;
        }
        if (geometry is null && code is null)
        {
            error = "geometry: a feature needs a geometry, or a municipality_code to be placed by";
            return null;
        }
        var record = new FeatureRecord
        {
            Layer = layer.Id,
            SourceKey = id,
            EntityKey = Text(properties["entity_key"]) ?? (layer.Identity == "source_key" ? $"{layer.Id}:{id}" : null),
            MunicipalityCode = code,
            Name = Text(properties["name"]),
            Address = Text(properties["address"]),
            Geometry = geometry,
            LocatedByCode = geometry is null,
            Status = Text(properties["status"]),
            Severity = properties["severity"] is JsonValue sv && sv.TryGetValue(out int sev) ? sev : null,
            ObservedAt = Time("observed_at"),
            ReportedAt = Time("reported_at"),
            ValidFrom = Time("valid_from"),
            ValidUntil = Time("valid_until"),
            Location = location,
        };
        if (Text(properties["classification"]) is { } c) record.Classification = c;
        foreach (var (key, value) in properties)
            if (!LayerCatalogue.HeaderFields.Contains(key) && value is not null) record.Attrs[key] = value.DeepClone();
        if (codeFromLocation) record.Attrs["municipality_code_from"] = "location";
        return record;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? v.ToString().Trim() is { Length: > 0 } s ? s : null : null;
}

/// <summary><c>{layer}.geojson</c>: a GeoJSON FeatureCollection of one catalogue layer, checked against its schema.</summary>
public sealed class LayerGeoJsonParser(LayerDefinition layer) : IFeedParser
{
    public const string Suffix = ".geojson";
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public string Format => layer.Id + Suffix;
    public string Layer => layer.Id;

    /// <summary>Never guessed: the format is named (the source's format or <c>?format=</c>), since any layer's GeoJSON looks alike.</summary>
    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => false;

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        if (SafeJson.Parse(text, Options) is not JsonObject doc || doc["type"]?.GetValueKind() != JsonValueKind.String || (string)doc["type"]! != "FeatureCollection")
            throw new UnparseableDocumentException("/type", "the document must be a GeoJSON FeatureCollection");
        if (doc["features"] is not JsonArray features) throw new UnparseableDocumentException("/features", "a FeatureCollection needs a 'features' array");
        var result = new ParseResult { Format = Format, Encoding = encoding };
        for (var i = 0; i < features.Count; i++)
        {
            context.Budget.ThrowIfCancellationRequested();
            var at = $"/features/{i}";
            if (features[i] is not JsonObject f || f["type"]?.GetValueKind() != JsonValueKind.String || (string)f["type"]! != "Feature")
            {
                result.Reject(at, "type: a member of features must be a GeoJSON Feature");
                continue;
            }
            var properties = f["properties"] as JsonObject ?? [];
            var failures = LayerFeatures.Check(layer, properties);
            if (failures.Count > 0)
            {
                foreach (var (pointer, rule) in failures) result.Reject($"{at}/properties{pointer}", rule);
                continue;
            }
            Geometry? geometry = null;
            if (f["geometry"] is JsonObject g && !GeoJsonGeometry.TryRead(g, out geometry, out var geometryError))
            {
                result.Reject($"{at}/geometry", geometryError);
                continue;
            }
            var featureId = f["id"] is JsonValue idv && idv.GetValueKind() is JsonValueKind.String or JsonValueKind.Number ? idv.ToString() : null;
            if (LayerFeatures.ToRecord(layer, properties, featureId, geometry, at, context, out var error) is { } record) result.Records.Add(record);
            else result.Reject(error!.StartsWith("geometry", StringComparison.Ordinal) ? $"{at}/geometry" : $"{at}/properties/id", error);
        }
        return result;
    }
}

/// <summary>
/// <c>{layer}.csv</c>: one feature per row, the header naming the properties (EEI header fields and the layer's
/// attributes), placed by <c>lon</c>/<c>lat</c> columns, a <c>wkt</c> column, or <c>municipality_code</c>. Cells are
/// typed by the schema (integer, number, boolean, arrays split on <c>;</c>, objects as JSON) and then checked like
/// GeoJSON; a rejection names the line and the column.
/// </summary>
public sealed class LayerCsvParser(LayerDefinition layer) : IFeedParser
{
    public const string Suffix = ".csv";
    /// <summary>Columns that are not properties: the feature's id and its place.</summary>
    private static readonly string[] PlaceColumns = ["id", "lon", "lat", "wkt"];

    public string Format => layer.Id + Suffix;
    public string Layer => layer.Id;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) => false;

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.Decode(content.Span);
        var result = new ParseResult { Format = Format, Encoding = encoding };
        using var rows = CsvReader.Read(text).GetEnumerator();
        if (!rows.MoveNext()) throw new UnparseableDocumentException("line 1", "the CSV has no header");
        var header = rows.Current.Fields.Select(h => h.Trim()).ToList();
        var properties = layer.SchemaJson["properties"] as JsonObject ?? [];
        var allowsMore = layer.SchemaJson["additionalProperties"] is not JsonValue ap || ap.GetValue<bool>();
        for (var c = 0; c < header.Count; c++)
        {
            var name = header[c];
            if (name.Length == 0 || (!PlaceColumns.Contains(name) && !properties.ContainsKey(name) && !allowsMore))
                throw new UnparseableDocumentException($"line 1, column {c + 1}", $"'{name}' is not a property of {layer.Id} (the header names the layer's properties, lon/lat or wkt)");
            if (header.IndexOf(name) != c) throw new UnparseableDocumentException($"line 1, column {c + 1}", $"column '{name}' appears twice");
        }
        int Col(string n) => header.IndexOf(n);
        var (lon, lat, wkt) = (Col("lon"), Col("lat"), Col("wkt"));
        var reader = new WKTReader(new NetTopologySuite.NtsGeometryServices(new PrecisionModel(), 4326));
        while (rows.MoveNext())
        {
            context.Budget.ThrowIfCancellationRequested();
            var row = rows.Current;
            if (CsvReader.IsBlank(row)) continue;
            var at = $"line {row.Line}";
            var props = new JsonObject();
            string? typeError = null;
            for (var c = 0; c < header.Count && typeError is null; c++)
            {
                var name = header[c];
                var cell = row[c].Trim();
                if (PlaceColumns.Contains(name) || cell.Length == 0) continue;
                var type = properties[name]?["type"]?.GetValue<string>() ?? "string";
                if (Typed(cell, type) is { } node) props[name] = node;
                else result.Reject(typeError = $"{at}, column {name}", $"type: '{cell}' is not {Article(type)}");
            }
            if (typeError is not null) continue;
            var failures = LayerFeatures.Check(layer, props);
            if (failures.Count > 0)
            {
                foreach (var (pointer, rule) in failures)
                    result.Reject(pointer.Length > 1 ? $"{at}, column {pointer[1..].Split('/')[0]}" : at, rule);
                continue;
            }
            Geometry? geometry = null;
            try
            {
                if (wkt >= 0 && row[wkt].Trim() is { Length: > 0 } w) geometry = reader.Read(w);
                else if (lon >= 0 && lat >= 0 && row[lon].Trim() is { Length: > 0 } x && row[lat].Trim() is { Length: > 0 } y)
                {
                    if (!double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var dx) || !double.TryParse(y, NumberStyles.Float, CultureInfo.InvariantCulture, out var dy))
                    {
                        result.Reject($"{at}, column lon/lat", $"lon/lat must be decimal degrees ('{x}', '{y}')");
                        continue;
                    }
                    geometry = GeoJsonGeometry.Point(dx, dy);
                }
            }
            catch (ParseException e)
            {
                result.Reject($"{at}, column wkt", $"WKT: {e.Message}");
                continue;
            }
            var id = Col("id") is >= 0 and var ic && row[ic].Trim() is { Length: > 0 } idText ? idText : null;
            if (LayerFeatures.ToRecord(layer, props, id, geometry, at, context, out var error) is { } record) result.Records.Add(record);
            else result.Reject($"{at}, column {(error!.StartsWith("geometry", StringComparison.Ordinal) ? "lon/lat or wkt" : "id")}", error);
        }
        return result;
    }

    private static string Article(string type) => type is "integer" or "array" or "object" ? "an " + type : "a " + type;

    /// <summary>A cell as the JSON value its schema type asks for; null when it cannot be one.</summary>
    private static JsonNode? Typed(string cell, string type) => type switch
    {
        "integer" => long.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : null,
        "number" => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? JsonValue.Create(d) : null,
        "boolean" => cell.ToLowerInvariant() switch { "true" or "1" or "yes" or "○" => JsonValue.Create(true), "false" or "0" or "no" or "×" => JsonValue.Create(false), _ => null },
        "array" => new JsonArray([.. cell.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode?)JsonValue.Create(s))]),
        "object" => TryJson(cell) as JsonObject,
        _ => JsonValue.Create(cell),
    };

    private static JsonNode? TryJson(string s)
    {
        try
        {
            return JsonNode.Parse(s);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
