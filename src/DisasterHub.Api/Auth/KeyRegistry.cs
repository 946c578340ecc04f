using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Auth;

/// <summary>
/// The one path that creates, lists and revokes API keys, shared by <c>/api/v1/keys</c> and <c>./hub keys</c>: the same
/// scope and organization checks, the secret made by <see cref="ApiKeys.Create"/> (shown once, only its SHA-256 stored).
/// Auditing is the caller's (the API names the key or person acting, the CLI "cli").
/// </summary>
public sealed class KeyRegistry(HubDbContext db, LayerCatalogue catalogue, TimeProvider clock)
{
    public const string ScopeHelp = "push:<layer>, read:public|responders|restricted, admin";

    public bool IsKnownScope(string s) =>
        s == "admin" || s is "read:public" or "read:responders" or "read:restricted"
        || (s.StartsWith("push:", StringComparison.Ordinal) && catalogue.IsKnown(s[5..]));

    /// <summary>A new key for an existing organization; the token (<c>dh_{id}.{secret}</c>) is returned here and never again.</summary>
    public async Task<(ApiKey? Row, string? Token, RegistryError? Error)> CreateAsync(string? orgId, IReadOnlyList<string>? scopes, string? label, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(orgId)) return (null, null, new("organization", "organization is required"));
        var cleaned = (scopes ?? []).Select(s => s?.Trim() ?? "").ToList();
        if (cleaned.Count == 0 || cleaned.All(s => s.Length == 0)) return (null, null, new("scopes", $"at least one scope is required ({ScopeHelp})"));
        for (var i = 0; i < cleaned.Count; i++)
            if (!IsKnownScope(cleaned[i])) return (null, null, new($"/scopes/{i}", $"unknown scope '{cleaned[i]}' ({ScopeHelp})"));
        if (label is { Length: > 200 }) return (null, null, new("label", "label is longer than 200 characters"));
        if (await db.Organizations.AsNoTracking().AnyAsync(o => o.Id == orgId, ct) is false)
            return (null, null, new("organization", $"no organization '{orgId}'"));
        var (row, token) = ApiKeys.Create(orgId, cleaned, string.IsNullOrWhiteSpace(label) ? null : label.Trim(), clock.GetUtcNow());
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return (row, token, null);
    }

    public Task<List<ApiKey>> ListAsync(CancellationToken ct) => db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(ct);

    /// <summary>Revokes at once (every request looks the key up again); revoking a revoked key keeps its first time.</summary>
    public async Task<(ApiKey? Row, RegistryError? Error)> RevokeAsync(string id, CancellationToken ct)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null) return (null, new("id", $"no key '{id}'", 404));
        key.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return (key, null);
    }
}
