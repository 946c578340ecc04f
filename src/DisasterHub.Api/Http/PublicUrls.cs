using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DisasterHub.Api.Http;

/// <summary>
/// The hub's public base URL, for every absolute link it writes (OGC links, TileJSON <c>tiles</c>):
/// <c>Hub:PublicBaseUrl</c>, else the address the hub is bound to — never the request's Host header, which a caller
/// chooses and a shared cache would then serve to everyone.
/// </summary>
public sealed class PublicUrls(IConfiguration config, IServer server)
{
    private readonly string? _configured = Configured(config["Hub:PublicBaseUrl"]);

    /// <summary>Scheme, host and port (and a path prefix when configured), without a trailing slash.</summary>
    /// <remarks>The bound address is read on each call: it is known only once the server listens (port 0 in tests).</remarks>
    public string Base => _configured ?? Bound();

    private static string? Configured(string? configured)
    {
        if (string.IsNullOrEmpty(configured)) return null;
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https") || u.Query.Length > 0 || u.UserInfo.Length > 0)
            throw new InvalidOperationException($"Hub:PublicBaseUrl must be an absolute http(s) URL without query or user info, not '{configured}'");
        return configured.TrimEnd('/');
    }

    private string Bound()
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost";
        // a wildcard binding has no name of its own: loopback is the one name sure to reach it
        return bound.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal).TrimEnd('/');
    }

    /// <summary>Host names accepted in Host headers when <c>AllowedHosts</c> is not configured: loopback and the public base's host.</summary>
    public IReadOnlyList<string> DefaultAllowedHosts() =>
        [.. new[] { "localhost", "127.0.0.1", "[::1]", new Uri(Base).Host }.Distinct(StringComparer.OrdinalIgnoreCase)];
}

/// <summary><c>GetRequiredService&lt;PublicUrls&gt;</c> shortened for endpoints.</summary>
public static class PublicUrlsExtensions
{
    public static string PublicBase(this HttpContext ctx) => ctx.RequestServices.GetRequiredService<PublicUrls>().Base;
}
