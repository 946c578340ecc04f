using System.Globalization;
using DisasterHub.Api.Http;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Exports;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Offline bundles of an area: <c>GET /api/v1/exports/area.gpkg?area=17</c> (GeoPackage: every merged layer the caller
/// may read, the municipal boundaries, <c>export_info</c> with time, sources, licences and credits) and
/// <c>GET /api/v1/exports/area.mbtiles?area=17&amp;maxzoom=12</c> (the merged vector tiles). <c>bbox=</c> instead of
/// <c>area=</c>; <c>workspace=</c> for a drill. The caller's clearance applies as on every read.
/// </summary>
public static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapExports(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/exports").WithTags("Exports").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("/area.gpkg", (HttpContext ctx, AreaExport export, HubDbContext db, CancellationToken ct) =>
            Export(ctx, db, "gpkg", "application/geopackage+sqlite3", (path, area, levels, ws) => export.WriteGeoPackageAsync(path, area, levels, ws, ct), ct));
        g.MapGet("/area.mbtiles", (HttpContext ctx, AreaExport export, HubDbContext db, CancellationToken ct) =>
        {
            var z = AreaExport.DefaultMaxZoom;
            if (ctx.Request.Query["maxzoom"].ToString() is { Length: > 0 } mz
                && (!int.TryParse(mz, NumberStyles.None, CultureInfo.InvariantCulture, out z) || z > AreaExport.MaxZoom))
                return Task.FromResult(Problem($"maxzoom must be an integer 0–{AreaExport.MaxZoom}", "maxzoom"));
            return Export(ctx, db, "mbtiles", "application/vnd.sqlite3", (path, area, levels, ws) => export.WriteMbTilesAsync(path, area, levels, ws, z, ct), ct);
        });
        g.MapGet("/view.csv", (HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, IConfiguration config, CancellationToken ct) =>
            View(ctx, q, db, clock, config, "csv", ct))
            .WithSummary("The map view's visible layers as CSV: bbox=W,S,E,N, layers=OGC collection ids, workspace=, at= (the caller's clearance)");
        g.MapGet("/view.gpkg", (HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, IConfiguration config, CancellationToken ct) =>
            View(ctx, q, db, clock, config, "gpkg", ct))
            .WithSummary("The map view's visible layers as a GeoPackage (a table per layer, export_info): bbox=, layers=, workspace=, at=");
        return app;
    }

    private static readonly HashSet<string> ViewParameters = new(StringComparer.Ordinal) { "bbox", "layers", "workspace", "at" };

    /// <summary>Features per layer a view export holds at most (the OGC items page limit).</summary>
    public const int ViewMaxPerLayer = 10_000;

    /// <summary>
    /// <c>view.csv</c> / <c>view.gpkg</c>: the map's visible layers (OGC collection ids, merged or per source) within the
    /// view's bbox, as of <c>at=</c>, in the caller's workspace and clearance — read through the OGC items path
    /// (<see cref="FeatureQueries.ItemsAsync"/>) and written by <see cref="ItemsFile"/>, so the file holds exactly the
    /// features and attributes the caller's items request would.
    /// </summary>
    private static async Task View(HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, IConfiguration config, string format, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        var catalogue = ctx.RequestServices.GetRequiredService<Core.LayerCatalogue>();
        if (QueryGuard.Unknown(query, ViewParameters, _ => false) is { } unknown)
        {
            await Problem($"unknown parameter '{unknown}': a view export takes bbox, layers, workspace and at", unknown).ExecuteAsync(ctx);
            return;
        }
        var (area, bboxProblem) = ExportArea.Parse(null, query.One("bbox"));
        if (query.One("bbox") is not { Length: > 0 } || area?.Bbox is not { } bbox)
        {
            await Problem(query.One("bbox") is { Length: > 0 } ? bboxProblem! : "bbox=minLon,minLat,maxLon,maxLat (the map view) is required", "bbox").ExecuteAsync(ctx);
            return;
        }
        var maxDegrees = config.GetValue("Hub:Exports:ViewMaxDegrees", 10.0);
        if (bbox[2] - bbox[0] > maxDegrees || bbox[3] - bbox[1] > maxDegrees)
        {
            await Problem($"the view is too large to export: at most {maxDegrees.ToString(CultureInfo.InvariantCulture)}° on each side (zoom in, or use area.gpkg for a prefecture)", "bbox", 422).ExecuteAsync(ctx);
            return;
        }
        var layers = (query.One("layers") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        if (layers.Length == 0)
        {
            await Problem("layers= names the visible layers: OGC collection ids such as merged_shelters or shelters", "layers").ExecuteAsync(ctx);
            return;
        }
        OgcEndpoints.TryParseInstant(query.One("at"), out var at);
        var clearance = await ReadAccess.LevelsAsync(ctx, db, ct);
        var workspace = ReadAccess.Workspace(ctx);
        var now = clock.GetUtcNow();
        var reads = new List<(string Collection, ItemQuery Query)>();
        foreach (var layer in layers)
        {
            var scope = layer == OgcEndpoints.Rollup ? null : OgcEndpoints.Scope(catalogue, layer, clearance, workspace, now, at);
            if (scope is null)
            {
                await ParameterProblem.For("layers", $"unknown layer '{layer}': layers are OGC collection ids ({string.Join(", ", catalogue.Ids.Take(3))}, merged_{catalogue.Ids.First()}, …)", property: layer).ExecuteAsync(ctx);
                return;
            }
            var iq = new ItemQuery(scope, bbox, ViewMaxPerLayer, 0)
            {
                ItemsUrl = $"{ctx.PublicBase()}/ogc/collections/{layer}/items",
                CollectionUrl = $"{ctx.PublicBase()}/ogc/collections/{layer}",
            };
            if (await q.CountAsync(iq, ct) > ViewMaxPerLayer)
            {
                await Problem($"{layer} has more than {ViewMaxPerLayer} features in this view: zoom in", "bbox", 422).ExecuteAsync(ctx);
                return;
            }
            reads.Add((layer, iq));
        }
        var name = $"disasterhub-view-{(workspace == "live" ? "" : workspace + "-")}{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";
        ctx.Response.Headers["X-Export-Generated-At"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (format == "csv")
        {
            ctx.Response.ContentType = "text/csv; charset=utf-8";
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.csv\"";
            await ItemsFile.WriteCsvAsync(ctx.Response.Body, Concat(reads.Select(r => q.ItemsAsync(r.Query, ct))), null, ct);
            return;
        }
        var info = new List<(string, string)>
        {
            ("generated_at", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            ("bbox", string.Join(',', bbox.Select(d => d.ToString(CultureInfo.InvariantCulture)))), ("layers", string.Join(',', layers)),
            ("workspace", workspace), ("drill", workspace == "live" ? "no" : "訓練 / drill"), ("clearance", string.Join(',', clearance.Levels)),
            ("as_of", at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "now"),
            ("licences", "each feature's licenses column names its sources' licence and attribution"), ("producer", "DisasterHub"),
        };
        await ItemsFile.SendGeoPackageAsync(ctx, name, path =>
            ItemsFile.WriteGeoPackageAsync(path, [.. reads.Select(r => (r.Collection, q.ItemsAsync(r.Query, ct)))], null, info, now, ct), ct);
    }

    private static async IAsyncEnumerable<string> Concat(IEnumerable<IAsyncEnumerable<string>> parts)
    {
        foreach (var part in parts)
            await foreach (var item in part) yield return item;
    }

    private static async Task<IResult> Export(HttpContext ctx, HubDbContext db, string extension, string contentType,
        Func<string, ExportArea, Core.Clearance, string, Task<ExportSummary>> write, CancellationToken ct)
    {
        var (area, problem) = ExportArea.Parse(ctx.Request.Query["area"], ctx.Request.Query["bbox"]);
        if (area is null) return Problem(problem!, ctx.Request.Query["bbox"].Count > 0 ? "bbox" : "area");
        var levels = await ReadAccess.LevelsAsync(ctx, db, ct);
        var workspace = ReadAccess.Workspace(ctx);
        var path = Path.Combine(Path.GetTempPath(), $"disasterhub-export-{Guid.NewGuid():N}.{extension}");
        try
        {
            var summary = await write(path, area, levels, workspace);
            var bytes = await File.ReadAllBytesAsync(path, ct);
            ctx.Response.Headers["X-Export-Generated-At"] = summary.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var name = $"disasterhub-{(area.Prefecture ?? "bbox")}-{summary.GeneratedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.{extension}";
            return Results.File(bytes, contentType, name);
        }
        catch (ExportAreaException e)
        {
            return Problem(e.Message, ctx.Request.Query["bbox"].Count > 0 ? "bbox" : "area", 422);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IResult Problem(string detail, string parameter, int status = 400) => ParameterProblem.For(parameter, detail, status);
}
