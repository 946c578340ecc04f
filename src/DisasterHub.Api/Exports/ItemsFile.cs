using Microsoft.AspNetCore.Http;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Adapters.Sensors;
using DisasterHub.Core;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Exports;

/// <summary>
/// An OGC items answer as a file instead of GeoJSON (<c>f=csv</c>, <c>f=gpkg</c>): the same features — same filter,
/// sort, page, sharing rules and <c>properties=</c> — written from the GeoJSON features the read path yields, so the
/// formats can never disagree about what a caller may see.
/// </summary>
public static class ItemsFile
{
    /// <summary>The feature properties that become columns, in order (after <c>id</c>), with their GeoPackage type.</summary>
    private static readonly (string Name, string Type)[] Properties =
    [
        ("layer", "TEXT"), ("name", "TEXT"), ("address", "TEXT"), ("municipality_code", "TEXT"), ("status", "TEXT"),
        ("severity", "INTEGER"), ("observed_at", "DATETIME"), ("received_at", "DATETIME"), ("valid_from", "DATETIME"),
        ("valid_until", "DATETIME"), ("stale", "INTEGER"), ("source_id", "TEXT"), ("sources", "TEXT"), ("source_key", "TEXT"),
        ("entity_key", "TEXT"), ("classification", "TEXT"), ("workspace", "TEXT"), ("licenses", "TEXT"), ("conflicts", "TEXT"),
        ("provenance", "TEXT"), ("attrs", "TEXT"),
    ];

    /// <summary>The columns of a request: every property, or those <c>properties=</c> kept (attribute keys stay in attrs).</summary>
    private static (string Name, string Type)[] ColumnsFor(string[]? kept) =>
        kept is null ? Properties
        : [.. Properties.Where(p => kept.Contains(p.Name) || (p.Name == "attrs" && kept.Any(k => !Properties.Any(x => x.Name == k))))];

    /// <summary>
    /// CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads 開設 as 開設), CRLF line ends, every cell
    /// neutralized against formula injection (<see cref="CsvCell"/>); a point's <c>lon</c>/<c>lat</c> (any other
    /// geometry: a point inside it) and the geometry as <c>wkt</c>.
    /// </summary>
    /// <summary>
    /// A GeoPackage made into a temporary file by <paramref name="write"/> (SQLite needs a file), sent as the answer's
    /// attachment <paramref name="name"/>.gpkg and deleted, also when writing or sending fails.
    /// </summary>
    public static async Task SendGeoPackageAsync(HttpContext ctx, string name, Func<string, Task> write, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"disasterhub-{Guid.NewGuid():N}.gpkg");
        try
        {
            await write(path);
            ctx.Response.ContentType = "application/geopackage+sqlite3";
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.gpkg\"";
            await using var file = File.OpenRead(path);
            ctx.Response.ContentLength = file.Length;
            await file.CopyToAsync(ctx.Response.Body, ct);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static async Task WriteCsvAsync(Stream output, IAsyncEnumerable<string> features, string[]? kept, CancellationToken ct)
    {
        var columns = ColumnsFor(kept);
        await using var w = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        await w.WriteLineAsync(CsvCell.Line(["id", .. columns.Select(c => c.Name), "lon", "lat", "wkt"]));
        var wkt = new WKTWriter { MaxCoordinatesPerLine = int.MaxValue };
        var n = 0;
        await foreach (var json in features.WithCancellation(ct))
        {
            var (id, props, geometry) = Read(json);
            var point = geometry is null ? null : geometry as Point ?? geometry.InteriorPoint;
            await w.WriteLineAsync(CsvCell.Line([
                id, .. columns.Select(c => Text(props?[c.Name])),
                point is null || point.IsEmpty ? null : point.X.ToString("0.#######", CultureInfo.InvariantCulture),
                point is null || point.IsEmpty ? null : point.Y.ToString("0.#######", CultureInfo.InvariantCulture),
                geometry is null ? null : wkt.Write(geometry)]));
            if (++n % 500 == 0) await w.FlushAsync(ct);
        }
        await w.FlushAsync(ct);
    }

    /// <summary>A GeoPackage with one feature table named after the collection, and an <c>export_info</c> table.</summary>
    public static async Task<long> WriteGeoPackageAsync(string path, string collection, IAsyncEnumerable<string> features, string[]? kept,
        IEnumerable<(string Key, string Value)> info, DateTimeOffset now, CancellationToken ct) =>
        (await WriteGeoPackageAsync(path, [(collection, features)], kept, info, now, ct))[collection];

    /// <summary>
    /// A GeoPackage with one feature table per collection (the map view's visible layers: <c>view.gpkg</c>) and an
    /// <c>export_info</c> table; the feature count of each.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, long>> WriteGeoPackageAsync(string path,
        IReadOnlyList<(string Collection, IAsyncEnumerable<string> Features)> collections, string[]? kept,
        IEnumerable<(string Key, string Value)> info, DateTimeOffset now, CancellationToken ct)
    {
        var columns = ColumnsFor(kept);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using var gpkg = new GeoPackageFile(path);
        foreach (var (collection, features) in collections)
        {
            var table = gpkg.CreateFeatureTable(collection, $"DisasterHub collection {collection}",
                [new("feature_id", "TEXT"), .. columns.Select(c => new GeoPackageFile.Column(c.Name, c.Type))], now);
            await foreach (var json in features.WithCancellation(ct))
            {
                var (id, props, geometry) = Read(json);
                if (geometry is null) continue; // every feature the hub holds has one; a feature table row needs one
                gpkg.Add(table, geometry, [id, .. columns.Select(c => Value(props?[c.Name], c.Type))]);
            }
            gpkg.Finish(table);
            counts[collection] = table.Count;
        }
        gpkg.AddAttributes("export_info", "what this file holds: the request, its time, the sources and licences", info, now);
        gpkg.Commit();
        return counts;
    }

    private static (string? Id, JsonObject? Properties, Geometry? Geometry) Read(string json)
    {
        var feature = JsonNode.Parse(json)!.AsObject();
        GeoJsonGeometry.TryRead(feature["geometry"], out var geometry, out _);
        return (Text(feature["id"]), feature["properties"] as JsonObject, geometry);
    }

    /// <summary>A property as cell text: strings as they are, numbers and booleans as JSON writes them, arrays and objects as JSON.</summary>
    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static object? Value(JsonNode? node, string type)
    {
        if (node is null) return null;
        return type switch
        {
            "INTEGER" when node.GetValueKind() is JsonValueKind.True or JsonValueKind.False => node.GetValue<bool>() ? 1L : 0L,
            "INTEGER" when node.GetValueKind() == JsonValueKind.Number => node.GetValue<long>(),
            "DATETIME" when DateTimeOffset.TryParse(Text(node), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
            _ => Text(node),
        };
    }
}
