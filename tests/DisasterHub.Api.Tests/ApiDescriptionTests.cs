using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// What an app developer meets first (issue 15 items 1 and 3): the OpenAPI 3.1 document lists every route the hub
/// serves, the OGC landing page links it as service-desc, /docs renders under its own CSP from the hub alone, and CORS
/// answers for public reads and never for pushes, subscriptions or the audit log.
/// </summary>
public sealed partial class api_description_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync();

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [GeneratedRegex(@"\{([^}:?]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    [Fact]
    public async Task describe_every_route_in_openapi_3_1_and_link_it_from_the_ogc_landing_page()
    {
        var doc = JsonDocument.Parse(await _hub.Http.GetStringAsync("/openapi/v1.json")).RootElement;
        Assert.StartsWith("3.1", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = doc.GetProperty("paths").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateObject().Select(m => m.Name.ToUpperInvariant()).ToHashSet());
        var routes = _hub.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/hangfire", StringComparison.Ordinal) && !raw.StartsWith("hangfire", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Path: "/" + RouteParameter().Replace(e.RoutePattern.RawText!.Trim('/'), "{$1}"), Method: m)))
            .ToList();
        Assert.True(routes.Count > 30, $"{routes.Count} routes");
        var missing = routes.Where(r => !paths.TryGetValue(r.Path, out var methods) || !methods.Contains(r.Method)).ToList();
        Assert.True(missing.Count == 0, "not described: " + string.Join(", ", missing.Select(m => $"{m.Method} {m.Path}")));
        Assert.Contains("/api/v1/sources/{id}/documents", paths.Keys);

        var landing = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc")).RootElement.GetProperty("links").EnumerateArray().ToList();
        var desc = landing.Single(l => l.GetProperty("rel").GetString() == "service-desc");
        Assert.Equal(new Uri(_hub.BaseUrl, "/openapi/v1.json").ToString(), desc.GetProperty("href").GetString());
        Assert.Contains(landing, l => l.GetProperty("rel").GetString() == "service-doc");
    }

    [Fact]
    public async Task serve_the_reference_page_from_the_hub_alone_under_its_own_policy()
    {
        var page = await _hub.Http.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self' 'unsafe-inline'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", csp, StringComparison.Ordinal);
        // every script it loads comes from the hub, and is there
        var scripts = Regex.Matches(html, "<script[^>]+src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var src in scripts)
        {
            Assert.False(src.StartsWith("http", StringComparison.Ordinal) && !src.StartsWith(_hub.BaseUrl.ToString(), StringComparison.Ordinal), src);
            Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync(new Uri(new Uri(_hub.BaseUrl, "/docs/"), src))).StatusCode);
        }
        // the map keeps the strict policy
        Assert.Contains("script-src 'self';", string.Join(";", (await _hub.Http.GetAsync("/")).Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> Preflight(string path, string method)
    {
        using var req = new HttpRequestMessage(HttpMethod.Options, path);
        req.Headers.Add("Origin", "https://app.example");
        req.Headers.Add("Access-Control-Request-Method", method);
        req.Headers.Add("Access-Control-Request-Headers", "authorization");
        return await _hub.Http.SendAsync(req);
    }

    [Fact]
    public async Task allow_cross_origin_public_reads_and_never_pushes_subscriptions_or_the_audit_log()
    {
        foreach (var path in new[] { "/ogc/collections", "/ogc/collections/merged_shelters/items", "/tiles/merged.json", "/api/v1/events", "/api/v1/cap/atom", "/openapi/v1.json" })
        {
            var pre = await Preflight(path, "GET");
            Assert.True(pre.StatusCode == HttpStatusCode.NoContent, $"{path}: {pre.StatusCode}");
            Assert.Equal("*", pre.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
        using (var get = new HttpRequestMessage(HttpMethod.Get, "/tiles/merged.json"))
        {
            get.Headers.Add("Origin", "https://app.example");
            var r = await _hub.Http.SendAsync(get);
            Assert.Equal("*", r.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }
        foreach (var (path, method) in new[] { ("/api/v1/sources/nanao-status/documents", "POST"), ("/api/v1/subscriptions", "POST"), ("/api/v1/audit", "GET"), ("/ogc/collections", "POST") })
        {
            var pre = await Preflight(path, method);
            Assert.False(pre.Headers.Contains("Access-Control-Allow-Origin"), $"{method} {path} allowed cross-origin");
        }
        using (var audit = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit"))
        {
            audit.Headers.Add("Origin", "https://app.example");
            Assert.False((await _hub.Http.SendAsync(audit)).Headers.Contains("Access-Control-Allow-Origin"));
        }
    }
}
