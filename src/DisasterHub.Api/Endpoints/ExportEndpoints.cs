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
        return app;
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
