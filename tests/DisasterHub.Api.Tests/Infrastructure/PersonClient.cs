using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>
/// A person's browser, as far as the hub can tell: a cookie jar, the session API (<c>/api/v1/session</c>) and the CSRF
/// token it hands out, sent back in <c>X-CSRF-Token</c> on state-changing requests.
/// </summary>
public sealed class PersonClient : IDisposable
{
    public const string DemoPassword = "demo-pass-2026";

    public HttpClient Http { get; }
    public CookieContainer Cookies { get; }
    public string? Csrf { get; private set; }

    public PersonClient(Uri baseUrl, CookieContainer? cookies = null)
    {
        Cookies = cookies ?? new CookieContainer();
        Http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false }) { BaseAddress = baseUrl };
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password = DemoPassword, string? totp = null)
    {
        var r = await Http.PostAsJsonAsync("/api/v1/session", totp is null ? new { email, password } : (object)new { email, password, totp });
        if (r.IsSuccessStatusCode) Csrf = (await BodyAsync(r)).GetProperty("csrf").GetString();
        return r;
    }

    /// <summary>Signs in and fails the test unless it worked.</summary>
    public async Task<JsonElement> SignedInAsync(string email, string password = DemoPassword)
    {
        var r = await SignInAsync(email, password);
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"sign-in of {email}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return await BodyAsync(r);
    }

    public async Task<HttpResponseMessage> SessionAsync()
    {
        var r = await Http.GetAsync("/api/v1/session");
        if (r.IsSuccessStatusCode) Csrf = (await BodyAsync(r)).GetProperty("csrf").GetString();
        return r;
    }

    /// <summary>A request with the session cookie and, unless <paramref name="withCsrf"/> is false, the CSRF token.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, bool withCsrf = true)
    {
        var req = new HttpRequestMessage(method, path) { Content = content };
        if (withCsrf && Csrf is not null) req.Headers.Add("X-CSRF-Token", Csrf);
        return Http.SendAsync(req);
    }

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 authenticator key — what a phone's authenticator app shows.</summary>
    public static string Totp(string base32Key, DateTimeOffset at)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var value = 0;
        var key = new List<byte>();
        foreach (var c in base32Key.ToUpperInvariant().Where(c => c != '=' && c != ' '))
        {
            value = (value << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                key.Add((byte)(value >> (bits - 8)));
                bits -= 8;
            }
        }
        var counter = BitConverter.GetBytes(at.ToUnixTimeSeconds() / 30);
        if (BitConverter.IsLittleEndian) Array.Reverse(counter);
#pragma warning disable CA5350 // RFC 6238's default, what authenticator apps compute
        var hash = HMACSHA1.HashData(key.ToArray(), counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var code = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (code % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => Http.Dispose();
}
