using System.Globalization;
using System.Text.Json;
using DisasterHub.Core;
using DisasterHub.Data;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Exports;

/// <summary>An export's area: a prefecture (two-digit code) or a bbox, and how it was asked for.</summary>
public sealed record ExportArea(string Label, string? Prefecture, double[]? Bbox)
{
    /// <summary>From <c>area=</c> (17, 170003 or 石川県) or <c>bbox=</c>; null with the reason when neither is usable.</summary>
    public static (ExportArea? Area, string? Problem) Parse(string? area, string? bbox)
    {
        if (!string.IsNullOrWhiteSpace(bbox))
        {
            var n = bbox.Split(',').Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
            if (n.Length != 4 || n.Any(d => !double.IsFinite(d)) || n[0] >= n[2] || n[1] >= n[3] || n[0] < -180 || n[2] > 180 || n[1] < -90 || n[3] > 90)
                return (null, "bbox must be minLon,minLat,maxLon,maxLat in degrees (WGS84), min < max");
            return (new ExportArea($"bbox {bbox}", null, n), null);
        }
        if (string.IsNullOrWhiteSpace(area)) return (null, "name the area: area= a prefecture (17, 170003 or 石川県), or bbox=minLon,minLat,maxLon,maxLat");
        var pref = Endpoints.ReportingStatusEndpoints.PrefectureOf(area.Trim());
        return pref is null ? (null, $"area '{area}' is not a prefecture (a code such as 17 or 170003, or a name such as 石川県)") : (new ExportArea($"prefecture {pref}", pref, null), null);
    }
}

/// <summary>What an export holds, for its answer and for the CLI.</summary>
public sealed record ExportSummary(string Path, DateTimeOffset GeneratedAt, IReadOnlyDictionary<string, long> Features, int Boundaries, int Tiles, IReadOnlyList<ExportSource> Sources);

/// <summary>The area is unknown to the hub (no boundaries or points for that prefecture).</summary>
public sealed class ExportAreaException(string message) : Exception(message);

/// <summary>
/// Offline bundles of an area for offices that lose the network: a GeoPackage with every merged layer the caller may
/// read plus the municipal boundaries, and an MBTiles set of the merged vector tiles. Both carry their time, the
/// sources whose records they hold with licence and attribution, and the boundary credit.
/// </summary>
public sealed class AreaExport(ExportQueries queries, TileQueries tiles, TimeProvider clock, LayerCatalogue catalogue)
{
    public const string BoundaryCredit = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成";
    public const int MaxTiles = 20_000;

    /// <summary>The zooms of an MBTiles bundle: up to z12 unless asked, never beyond z14 (HTTP and CLI alike).</summary>
    public const int DefaultMaxZoom = 12, MaxZoom = 14;

    private static readonly GeoPackageFile.Column[] FeatureColumns =
    [
        new("id", "TEXT"), new("entity_key", "TEXT"), new("name", "TEXT"), new("status", "TEXT"), new("severity", "INTEGER"),
        new("municipality_code", "TEXT"), new("observed_at", "DATETIME"), new("received_at", "DATETIME"), new("valid_until", "DATETIME"),
        new("sources", "TEXT"), new("attrs", "TEXT"),
    ];

    public async Task<ExportSummary> WriteGeoPackageAsync(string path, ExportArea area, Clearance clearance, string workspace, CancellationToken ct)
    {
        var areaWkb = await AreaAsync(area, ct);
        var now = clock.GetUtcNow();
        var sourceIds = new SortedSet<string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, long>();
        using var gpkg = new GeoPackageFile(path);
        foreach (var layer in catalogue.Ids)
        {
            var table = gpkg.CreateFeatureTable(layer, $"DisasterHub merged layer {layer} ({workspace})", FeatureColumns, now);
            await foreach (var r in queries.RowsAsync(new ReadScope(RowSet.Merged, [layer], workspace, clearance, now), areaWkb, ct))
            {
                gpkg.Add(table, r.Wkb, r.Id, r.EntityKey, r.Name, r.Status, r.Severity is { } s ? (long)s : null, r.MunicipalityCode,
                    r.ObservedAt, r.ReceivedAt, r.ValidUntil, string.Join(',', r.Sources), r.AttrsJson);
                sourceIds.UnionWith(r.Sources);
            }
            gpkg.Finish(table);
            counts[layer] = table.Count;
        }
        var boundaries = gpkg.CreateFeatureTable("municipalities", $"municipal boundaries — {BoundaryCredit}",
            [new("code", "TEXT"), new("prefecture", "TEXT"), new("name", "TEXT")], now);
        foreach (var b in await queries.BoundariesAsync(areaWkb, area.Prefecture, ct)) gpkg.Add(boundaries, b.Wkb, b.Code, b.Prefecture, b.Name);
        gpkg.Finish(boundaries);
        var sources = await queries.SourcesAsync(sourceIds, ct);
        gpkg.AddAttributes("export_info", "what this export holds: time, area, clearance, sources and licences, credits",
            Info(now, area, clearance, workspace, counts, sources, boundaries.Count), now);
        gpkg.Commit();
        return new ExportSummary(path, now, counts, (int)boundaries.Count, 0, sources);
    }

    public async Task<ExportSummary> WriteMbTilesAsync(string path, ExportArea area, Clearance clearance, string workspace, int maxZoom, CancellationToken ct)
    {
        var areaWkb = await AreaAsync(area, ct);
        var env = new WKBReader().Read(areaWkb).EnvelopeInternal;
        var list = TilesOf(env, maxZoom).ToList();
        if (list.Count > MaxTiles) throw new ExportAreaException($"{list.Count} tiles up to z{maxZoom} exceed the limit of {MaxTiles}: choose a lower maxzoom or a smaller area");
        var now = clock.GetUtcNow();
        var scope = new ReadScope(RowSet.Merged, [.. catalogue.Ids], workspace, clearance, now);
        var json = JsonSerializer.Serialize(new { vector_layers = catalogue.Ids.Select(l => new { id = l, fields = TileQueries.Fields, minzoom = 0, maxzoom = maxZoom }) });
        var sources = await queries.SourcesAsync(await queries.SourceIdsAsync(scope, areaWkb, ct), ct);
        var inv = CultureInfo.InvariantCulture;
        using var mb = new MbTilesFile(path,
        [
            ("name", $"DisasterHub {area.Label}"), ("format", "pbf"), ("type", "overlay"), ("version", "1"),
            ("minzoom", "0"), ("maxzoom", maxZoom.ToString(inv)),
            ("bounds", string.Join(',', new[] { env.MinX, env.MinY, env.MaxX, env.MaxY }.Select(d => d.ToString("0.######", inv)))),
            ("center", $"{env.Centre.X.ToString("0.######", inv)},{env.Centre.Y.ToString("0.######", inv)},{Math.Min(maxZoom, 8)}"),
            ("description", $"merged EEI layers of {area.Label}, workspace {workspace}, as the hub held them at {now:yyyy-MM-ddTHH:mm:ssZ}, clearance {string.Join('+', clearance.Levels)}"),
            ("attribution", Attribution(sources)),
            ("json", json),
        ]);
        foreach (var (z, x, y) in list) mb.Add(z, x, y, await tiles.TileAsync(scope, z, x, y, ct));
        mb.Commit();
        return new ExportSummary(path, now, new Dictionary<string, long>(), 0, mb.Count, sources);
    }

    private async Task<byte[]> AreaAsync(ExportArea area, CancellationToken ct) =>
        await queries.AreaAsync(area.Prefecture, area.Bbox, ct) ?? throw new ExportAreaException($"the hub knows no municipalities of {area.Label}");

    private static string Attribution(IEnumerable<ExportSource> sources) =>
        string.Join("; ", sources.Select(s => s.Attribution ?? s.Name).Append("DisasterHub"));

    private static IEnumerable<(string, string)> Info(DateTimeOffset now, ExportArea area, Clearance clearance, string workspace,
        Dictionary<string, long> counts, List<ExportSource> sources, long boundaries)
    {
        yield return ("generated_at", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        yield return ("area", area.Label);
        yield return ("workspace", workspace);
        yield return ("clearance", string.Join(',', clearance.Levels));
        foreach (var (layer, n) in counts) yield return ($"features.{layer}", n.ToString(CultureInfo.InvariantCulture));
        foreach (var s in sources)
            yield return ($"source.{s.Id}", $"{s.Name} — licence: {s.License ?? "not stated by the source's configuration"}{(s.Attribution is null ? "" : $" — attribution: {s.Attribution}")}");
        yield return ("boundaries", $"{boundaries} municipal boundaries — {BoundaryCredit}");
        yield return ("producer", "DisasterHub");
    }

    /// <summary>The XYZ tiles covering an envelope (WGS84) from z0 to maxZoom.</summary>
    public static IEnumerable<(int Z, int X, int Y)> TilesOf(NetTopologySuite.Geometries.Envelope env, int maxZoom)
    {
        for (var z = 0; z <= maxZoom; z++)
        {
            var (x0, y0) = Tile(env.MinX, env.MaxY, z);
            var (x1, y1) = Tile(env.MaxX, env.MinY, z);
            for (var x = x0; x <= x1; x++)
                for (var y = y0; y <= y1; y++)
                    yield return (z, x, y);
        }
    }

    private static (int X, int Y) Tile(double lon, double lat, int z)
    {
        var n = 1 << z;
        lat = Math.Clamp(lat, -85.0511, 85.0511);
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var r = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(r) + 1 / Math.Cos(r)) / Math.PI) / 2 * n);
        return (Math.Clamp(x, 0, n - 1), Math.Clamp(y, 0, n - 1));
    }
}
