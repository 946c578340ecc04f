using System.Security.Cryptography;
using System.Text;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Auth;

/// <summary>The caller a request's Bearer key — or a signed-in person's session — identifies.</summary>
/// <param name="KeyId">The key's id; for a person "person:{email}" (what idempotency answers and raw documents are kept under).</param>
/// <param name="Scopes">The key's scopes; for a person, the read scope its roles give (and admin for admins).</param>
/// <param name="Person">The signed-in person's email; null for a key.</param>
public sealed record Caller(string KeyId, string OrganizationId, IReadOnlySet<string> Scopes, string? Person = null)
{
    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains("admin");

    /// <summary>
    /// Whether this caller may push to the source: an admin anywhere; else a push source of its organization — a key
    /// with push:{layer}, a person of that organization whatever the layer (the organization owns the source).
    /// </summary>
    public bool MayPushTo(DisasterHub.Data.Source source) => Scopes.Contains("admin")
        || (source.Kind == "push" && source.OwnerOrgId == OrganizationId && (Person is not null || Scopes.Contains($"push:{source.Layer}")));

    /// <summary>The audit columns: a key's id, or the person's email.</summary>
    public (string? ApiKeyId, string? Person) AuditActor => Person is null ? (KeyId, null) : (null, Person);
}

/// <summary>
/// API keys: "dh_{id}.{secret}". Only SHA-256 of the secret is stored (the secret is 256 random bits, so a slow hash
/// adds nothing); it is shown once, at creation.
/// </summary>
public static class ApiKeys
{
    public static (ApiKey Row, string Token) Create(string orgId, IEnumerable<string> scopes, string? label, DateTimeOffset now)
    {
        var id = "k" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var row = new ApiKey
        {
            Id = id, OrganizationId = orgId, Label = label, CreatedAt = now,
            Scopes = [.. scopes.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct()],
            SecretSha256 = SHA256.HashData(Encoding.UTF8.GetBytes(secret)),
        };
        return (row, $"dh_{id}.{secret}");
    }

    public static async Task<Caller?> AuthenticateAsync(HubDbContext db, string? authorization, CancellationToken ct)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = authorization["Bearer ".Length..].Trim();
        if (!token.StartsWith("dh_", StringComparison.Ordinal)) return null;
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot < 4) return null;
        var id = token[3..dot];
        var secret = token[(dot + 1)..];
        var key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null || key.RevokedAt is not null) return null;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        if (!CryptographicOperations.FixedTimeEquals(hash, key.SecretSha256)) return null;
        return new Caller(key.Id, key.OrganizationId, key.Scopes.ToHashSet(StringComparer.Ordinal));
    }

    private static string Base64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
