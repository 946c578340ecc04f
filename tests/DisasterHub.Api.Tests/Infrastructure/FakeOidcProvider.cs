using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>
/// An OpenID Connect provider of the test's own on a loopback port, enough for the authorization-code flow with PKCE:
/// discovery, an authorize endpoint that consents at once for the account the test chose (redirecting back with a code),
/// a token endpoint that checks the code, the client and the PKCE verifier and returns an ID token signed with its RSA
/// key (echoing the nonce), and the JWKS. What the hub does with it is the real ASP.NET Core OpenID Connect handler.
/// </summary>
public sealed class FakeOidcProvider : IAsyncDisposable
{
    public const string ClientId = "disasterhub-test";
    public const string ClientSecret = "test-client-secret";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge, string RedirectUri, string Email)> _codes = new();
    private WebApplication _app = null!;

    public string Issuer { get; private set; } = "";

    /// <summary>The account the next authorize request signs in as (the provider's user, not a hub person).</summary>
    public string Email { get; set; } = "";

    public bool EmailVerified { get; set; } = true;

    /// <summary>Token requests refused (wrong code, client or verifier): each would be a failed sign-in.</summary>
    public int Refused;

    public static async Task<FakeOidcProvider> StartAsync()
    {
        var p = new FakeOidcProvider();
        (p._app, p.Issuer) = await Loopback.StartAsync(p.Map);
        return p;
    }

    private SecurityKey Key => new RsaSecurityKey(_rsa) { KeyId = "test-key" };

    private void Map(WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["scopes_supported"] = new[] { "openid", "email", "profile" },
        }));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "test-key" });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        app.MapGet("/authorize", (HttpRequest r) =>
        {
            var q = r.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256")
                return Results.BadRequest("unexpected authorize request");
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["nonce"].ToString(), q["code_challenge"].ToString(), q["redirect_uri"].ToString(), Email);
            var back = $"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}";
            return Results.Redirect(back);
        });
        app.MapPost("/token", async (HttpRequest r) =>
        {
            var f = await r.ReadFormAsync();
            var (client, secret) = (f["client_id"].ToString(), f["client_secret"].ToString());
            var verifier = f["code_verifier"].ToString();
            if (f["grant_type"] != "authorization_code" || client != ClientId || secret != ClientSecret
                || !_codes.TryRemove(f["code"].ToString(), out var grant) || grant.RedirectUri != f["redirect_uri"]
                || Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
            {
                Interlocked.Increment(ref Refused);
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }
            var now = DateTime.UtcNow;
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = ClientId,
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddMinutes(5),
                SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
                Claims = new Dictionary<string, object>
                {
                    ["sub"] = "provider-user-" + grant.Email,
                    ["email"] = grant.Email,
                    ["email_verified"] = EmailVerified,
                    ["nonce"] = grant.Nonce,
                },
            });
            return Results.Json(new { access_token = "opaque-" + Guid.NewGuid(), token_type = "Bearer", expires_in = 300, id_token = idToken });
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _rsa.Dispose();
    }
}
