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

    /// <summary>A valid API key with the admin scope.</summary>
    public const string Admin = nameof(Admin);

    public static IServiceCollection AddHubAuth(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(PublicRead, p => p.RequireAssertion(_ => true))
            .AddPolicy(KeyCheckedByEndpoint, p => p.RequireAssertion(_ => true))
            .AddPolicy(Admin, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireClaim(HubClaims.Scope, "admin"));
        return services;
    }
}
