using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DisasterHub.Api.Auth;

/// <summary>Claim types of a principal authenticated by an API key.</summary>
public static class HubClaims
{
    public const string KeyId = "hub:key";
    public const string Organization = "hub:org";
    public const string Scope = "hub:scope";
}

/// <summary>
/// The "ApiKey" authentication scheme (Authorization: Bearer dh_…). It does no lookup of its own: it turns the verdict
/// <see cref="KeyVerifier"/> reached before the rate limiter (cached, drawn from the per-address lookup budget) into a
/// <see cref="ClaimsPrincipal"/> with the key's id, organization and scopes. That verdict may be up to the cache's age
/// old, so endpoints that act on the key (push, subscriptions, audit, headquarters) still check it against the store —
/// a revocation counts at once there.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var resolved = Context.Resolved();
        if (!resolved.Presented) return Task.FromResult(AuthenticateResult.NoResult());
        if (resolved.Caller is not { } caller) return Task.FromResult(AuthenticateResult.Fail("no valid API key"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal(caller), SchemeName)));
    }

    public static ClaimsPrincipal Principal(Caller caller)
    {
        var claims = new List<Claim> { new(HubClaims.KeyId, caller.KeyId), new(HubClaims.Organization, caller.OrganizationId) };
        claims.AddRange(caller.Scopes.Select(s => new Claim(HubClaims.Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, HubClaims.KeyId, null));
    }

    /// <summary>The key's caller back from a principal this scheme made (null for any other principal).</summary>
    public static Caller? CallerOf(ClaimsPrincipal user) =>
        user.Identity is ClaimsIdentity { IsAuthenticated: true, AuthenticationType: SchemeName } && user.FindFirstValue(HubClaims.KeyId) is { } key
            && user.FindFirstValue(HubClaims.Organization) is { } org
            ? new Caller(key, org, user.FindAll(HubClaims.Scope).Select(c => c.Value).ToHashSet(StringComparer.Ordinal))
            : null;

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}
