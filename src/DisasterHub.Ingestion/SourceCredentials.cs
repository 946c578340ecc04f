using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace DisasterHub.Ingestion;

/// <summary>
/// What a feed asks of its callers (<c>Hub:Sources:N:Credentials</c>): a header (<c>Header</c> + <c>Value</c>, e.g.
/// <c>X-API-Key</c>), HTTP basic (<c>Username</c> + <c>Password</c>), or a query parameter (<c>Query</c> + <c>Value</c>).
/// Sent only to the feed's own origin (scheme, host and port of its URL), never to a redirect elsewhere; stored encrypted
/// (<see cref="SourceCredentialProtector"/>); never logged, listed or written into an error.
/// </summary>
public sealed class SourceCredentials
{
    public string? Header { get; set; }
    public string? Query { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public string? Value { get; set; }

    public bool IsEmpty => Header is null && Query is null && Username is null;

    /// <summary>The URL with the query credential added (the URL itself when there is none).</summary>
    public string OnUrl(string url) =>
        Query is { Length: > 0 } q ? $"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{Uri.EscapeDataString(q)}={Uri.EscapeDataString(Value ?? "")}" : url;

    /// <summary>The header or basic credentials on a request's headers (or a client's default headers).</summary>
    public void OnHeaders(HttpRequestHeaders headers)
    {
        if (Header is { Length: > 0 } h) headers.TryAddWithoutValidation(h, Value);
        if (Username is not null)
            headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
    }
}

/// <summary>Encrypts and decrypts feed credentials with ASP.NET Data Protection (the key ring in the database).</summary>
public sealed class SourceCredentialProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("DisasterHub.SourceCredentials.v1");

    public byte[] Protect(SourceCredentials credentials) => _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(credentials));

    public SourceCredentials Unprotect(byte[] stored) => JsonSerializer.Deserialize<SourceCredentials>(_protector.Unprotect(stored))!;
}
