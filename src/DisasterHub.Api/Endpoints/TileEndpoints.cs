using Microsoft.EntityFrameworkCore;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Vector tiles: <c>/tiles/{layer}/{z}/{x}/{y}.mvt</c> (one EEI layer, every source) and
/// <c>/tiles/merged/{z}/{x}/{y}.mvt</c> (every merged layer, one MVT layer each), TileJSON beside them, ETag/304,
/// cached in memory until the layer changes.
/// </summary>
public static class TileEndpoints
{
    private const string Mvt = "application/vnd.mapbox-vector-tile";

    public static IEndpointRouteBuilder MapTiles(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/tiles").WithTags("Tiles").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("/merged.json", async (HttpContext ctx, HubDbContext db, LayerCatalogue catalogue, CancellationToken ct) => TileJson(ctx, "merged", catalogue.Ids, await AttributionAsync(db, catalogue.Ids, ct)));
        g.MapGet("/{layer}.json", async (string layer, HttpContext ctx, HubDbContext db, LayerCatalogue catalogue, CancellationToken ct) =>
            catalogue.IsKnown(layer) ? TileJson(ctx, layer, [layer], await AttributionAsync(db, [layer], ct)) : Results.NotFound());
        g.MapGet("/merged/{z:int}/{x:int}/{y:int}.mvt", (int z, int x, int y, HttpContext ctx, TileQueries q, TileCache cache, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
            Tile(RowSet.Merged, [.. ctx.RequestServices.GetRequiredService<LayerCatalogue>().Ids], "merged", z, x, y, ctx, q, cache, db, clock, ct));
        g.MapGet("/{layer}/{z:int}/{x:int}/{y:int}.mvt", (string layer, int z, int x, int y, HttpContext ctx, TileQueries q, TileCache cache, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
            ctx.RequestServices.GetRequiredService<LayerCatalogue>().IsKnown(layer) ? Tile(RowSet.Features, [layer], layer, z, x, y, ctx, q, cache, db, clock, ct) : Task.FromResult(Results.NotFound()));
        return app;
    }

    /// <summary>The credits the layers' sources ask for (their configured Attribution, else nothing), then the hub's own.</summary>
    private static async Task<string> AttributionAsync(HubDbContext db, IReadOnlyCollection<string> layers, CancellationToken ct)
    {
        var credits = await db.Sources.AsNoTracking().Where(s => s.Enabled && layers.Contains(s.Layer) && s.Attribution != null)
            .OrderBy(s => s.Id).Select(s => s.License == null ? s.Attribution! : s.Attribution + " (" + s.License + ")").Distinct().ToListAsync(ct);
        return string.Join("; ", credits.Append("DisasterHub"));
    }

    private static IResult TileJson(HttpContext ctx, string name, IEnumerable<string> layers, string attribution)
    {
        // the public base URL, never the Host header; of the query only what a tile reads (as of, workspace)
        var baseUrl = $"{ctx.PublicBase()}/tiles/{name}";
        var kept = string.Join('&', new[] { "at", "workspace" }
            .Where(p => ctx.Request.Query[p].ToString().Length > 0)
            .Select(p => $"{p}={Uri.EscapeDataString(ctx.Request.Query[p].ToString())}"));
        return Results.Json(new
        {
            tilejson = "3.0.0",
            name = $"DisasterHub {name}",
            tiles = new[] { baseUrl + "/{z}/{x}/{y}.mvt" + (kept.Length > 0 ? "?" + kept : "") },
            minzoom = 0,
            maxzoom = 18,
            bounds = new[] { 122.0, 20.0, 154.0, 46.0 },
            attribution,
            vector_layers = layers.Select(l => new { id = l, fields = TileQueries.Fields }),
        });
    }

    private static async Task<IResult> Tile(RowSet set, string[] layers, string name, int z, int x, int y, HttpContext ctx,
        TileQueries q, TileCache cache, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (z is < 0 or > 22 || x < 0 || y < 0 || x >= 1 << z || y >= 1 << z) return Results.Problem(statusCode: 404, detail: "no such tile");
        if (!OgcEndpoints.TryParseInstant(ctx.Request.Query["at"], out var at)) return Results.Problem(statusCode: 400, detail: "at must be an RFC 3339 instant with a zone");
        var levels = await ReadAccess.LevelsAsync(ctx, db, ct);
        var workspace = ReadAccess.Workspace(ctx);
        var key = $"{workspace}|{name}|{z}/{x}/{y}|{levels.CacheKey}|{at?.UtcTicks}";
        if (!cache.TryGet(key, out var entry))
        {
            var generation = cache.Generation;
            var body = await q.TileAsync(new ReadScope(set, layers, workspace, levels, clock.GetUtcNow(), at), z, x, y, ct);
            entry = cache.Store(key, body, workspace, layers, generation);
            ctx.Response.Headers["X-Tile-Cache"] = "miss";
        }
        else
        {
            ctx.Response.Headers["X-Tile-Cache"] = "hit";
        }
        ctx.Response.Headers.ETag = entry.ETag;
        // a tile depends on the caller's clearance: shared caches must not hand a responders' tile to the public
        ctx.Response.Headers.CacheControl = levels.Levels.Length > 1 ? "private, no-cache" : "no-cache";
        ctx.Response.Headers.Vary = "Authorization, Cookie";
        if (ctx.Request.Headers.IfNoneMatch.Contains(entry.ETag)) return Results.StatusCode(304);
        return Results.Bytes(entry.Body, Mvt);
    }
}
