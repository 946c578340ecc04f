namespace DisasterHub.Api.Http;

/// <summary>
/// Headers on every response, error answers included (added when the response starts, after the exception handler
/// has reset it): a content security policy the web map runs under, no MIME sniffing, no framing, no referrer to
/// other sites.
/// </summary>
/// <remarks>
/// The policy fits the map as written: scripts and styles are files under wwwroot (no inline script, no style
/// attributes in markup — styles are set through the CSSOM, which CSP does not govern), MapLibre starts its worker
/// from a <c>blob:</c> URL and draws images from <c>data:</c>/<c>blob:</c>, and everything is fetched from the hub itself.
/// </remarks>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
        "connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The API reference page (<c>/docs</c>, Scalar) writes its configuration as an inline script and inline styles:
    /// allowed there only, still nothing from another origin.
    /// </summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'";

    /// <summary>The map's policy, with the configured online basemap's origin allowed for images and fetches (its tiles).</summary>
    public static string MapPolicy(string? basemapOrigin) => basemapOrigin is null ? ContentSecurityPolicy
        : ContentSecurityPolicy.Replace("img-src 'self'", $"img-src 'self' {basemapOrigin}", StringComparison.Ordinal)
            .Replace("connect-src 'self'", $"connect-src 'self' {basemapOrigin}", StringComparison.Ordinal);

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        var policy = MapPolicy(app.ApplicationServices.GetRequiredService<Endpoints.BasemapOptions>().Origin);
        return app.Use(async (ctx, next) =>
    {
        ctx.Response.OnStarting(() =>
        {
            var h = ctx.Response.Headers;
            h.ContentSecurityPolicy = ctx.Request.Path.StartsWithSegments("/docs") ? DocsContentSecurityPolicy : policy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        await next(ctx);
    });
    }
}
