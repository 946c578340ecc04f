using DisasterHub.Api.Auth;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>Hub:Basemap:Online</c>: the online raster basemap the map offers beside its offline one (municipal detail at
/// street zooms). Default: GSI 地理院タイル (標準地図).
/// </summary>
/// <param name="Default"><c>Hub:Basemap:Default</c>: what a browser that has not chosen yet starts with (offline).</param>
/// <param name="Url">An XYZ template ({z}/{x}/{y}); absolute (another origin: the page's CSP allows that origin), or a path on the hub. Empty turns the online basemap off.</param>
public sealed record BasemapOptions(string Url, string Attribution, int MaxZoom, string Default)
{
    public const string GsiUrl = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";
    public const string GsiAttribution = "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\">地理院タイル</a>";

    public static BasemapOptions From(IConfiguration config)
    {
        var s = config.GetSection("Hub:Basemap:Online");
        // offline unless configured: the map fetches nothing from another site until someone chooses to
        return new BasemapOptions(s["Url"] ?? GsiUrl, s["Attribution"] ?? GsiAttribution, s.GetValue("MaxZoom", 18),
            config["Hub:Basemap:Default"] == "online" ? "online" : "offline");
    }

    /// <summary>The origin the page must be allowed to fetch tiles from (null: none, or the hub itself).</summary>
    public string? Origin => Uri.TryCreate(Url.Replace("{", "", StringComparison.Ordinal).Replace("}", "", StringComparison.Ordinal), UriKind.Absolute, out var u)
        && u.Scheme is "http" or "https" ? u.GetLeftPart(UriPartial.Authority) : null;
}

/// <summary><c>GET /api/v1/basemap</c>: what the map's basemap switch offers (basemap.js reads it at start-up).</summary>
public static class BasemapEndpoints
{
    public static IEndpointRouteBuilder MapBasemap(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/basemap", (BasemapOptions o) => Results.Json(new
        {
            @default = o.Url.Length == 0 ? "offline" : o.Default,
            online = o.Url.Length == 0 ? null : new { url = o.Url, attribution = o.Attribution, maxzoom = o.MaxZoom },
            offline = new
            {
                outline = "/geodata/japan-outline.geojson",
                municipalities = "/geodata/municipal-boundaries.geojson",
                attribution = "Basemap: Natural Earth (public domain); 「国土数値情報（行政区域データ）」（国土交通省）を加工して作成",
            },
        })).WithSummary("The basemaps the map offers: the configured online raster tiles (Hub:Basemap:Online) and the shipped offline one").WithTags("Map").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }
}
