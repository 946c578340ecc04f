using Microsoft.AspNetCore.Authorization;

namespace DisasterHub.Api.Auth;

/// <summary>
/// The hub's named authorization policies, all in one place; every endpoint names one
/// (<c>endpoint_policies_should</c> enumerates them). The API key is the "ApiKey" scheme
/// (<see cref="ApiKeyAuthenticationHandler"/>).
/// </summary>
public static class HubPolicies
{
    /// <summary>Anyone, signed in or not: public reads (a key only widens the clearance), health, the API description.</summary>
    public const string PublicRead = nameof(PublicRead);

    /// <summary>
    /// Endpoints that act on a key and decide themselves, against the store, so revocation is immediate and denials are
    /// audited with the endpoint's own problem details: push (key's organization owns the source), subscriptions (the
    /// key's organization), the audit log (admin), municipal headquarters (the municipality's key).
    /// </summary>
    public const string KeyCheckedByEndpoint = nameof(KeyCheckedByEndpoint);

    /// <summary>A valid API key with the admin scope, or a signed-in person with the admin role.</summary>
    public const string Admin = nameof(Admin);

    /// <summary>
    /// Resource-based: the caller (key or person) may write to this source — its organization owns it (a key also needs
    /// push:{layer}), or an admin. Asked by the push and media endpoints with the source they read
    /// (<see cref="OwnsSourceHandler"/>).
    /// </summary>
    public const string PushToSource = nameof(PushToSource);

    /// <summary>A signed-in person (the session cookie): their own session, authenticator enrolment.</summary>
    public const string SignedIn = nameof(SignedIn);

    /// <summary>The policy scheme every request authenticates with: it picks the key or the session cookie.</summary>
    public const string HubScheme = "Hub";

    /// <summary>
    /// One scheme set: "ApiKey" for requests with an Authorization header (machines), the Identity session cookie for
    /// the rest (people). A request with a Bearer key is never cookie-authenticated, so it needs no CSRF token.
    /// </summary>
    public static IServiceCollection AddHubAuth(this IServiceCollection services, IConfiguration config)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = HubScheme;
                o.DefaultChallengeScheme = HubScheme;
            })
            .AddPolicyScheme(HubScheme, "API key or session", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.Count > 0 ? ApiKeyAuthenticationHandler.SchemeName : People.CookieScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddHubSessions(config);
        services.AddHubPeople(config);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, OwnsSourceHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(PublicRead, p => p.RequireAssertion(_ => true))
            .AddPolicy(KeyCheckedByEndpoint, p => p.RequireAssertion(_ => true))
            .AddPolicy(PushToSource, p => p.AddRequirements(new OwnsSourceRequirement()))
            .AddPolicy(SignedIn, p => p.AddAuthenticationSchemes(People.CookieScheme).RequireAuthenticatedUser())
            .AddPolicy(Admin, p => p.RequireAssertion(c => c.User.HasClaim(HubClaims.Scope, "admin")
                || (c.User.Identity?.AuthenticationType == People.CookieScheme && c.User.IsInRole(HubRoles.Admin))));
        return services;
    }
}
