using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using DisasterHub.Data;
using Microsoft.Extensions.Caching.Memory;

namespace DisasterHub.Api.Auth;

/// <summary>What the request's Authorization header turned out to be, decided once before rate limiting.</summary>
/// <param name="Caller">The key's caller when the key is valid; null for anonymous and failed-auth requests.</param>
/// <param name="Presented">An Authorization header was sent (valid or not).</param>
/// <param name="Address">The client address: the partition of every request without a valid key.</param>
public sealed record ResolvedCaller(Caller? Caller, bool Presented, string Address)
{
    /// <summary>Rate-limit and stream-cap partition: the key once it is known valid, else the client address.</summary>
    public string Partition => Caller is { } c ? "key:" + c.KeyId : "ip:" + Address;
}

/// <summary>
/// Decides, before the rate limiter, whether a presented key is valid — so limits partition by key only for real keys,
/// and by client address for anonymous and failed-auth requests (rotating made-up tokens share their address's
/// bucket instead of getting a fresh one each).
/// </summary>
/// <remarks>
/// Verdicts are cached by the SHA-256 of the header (bounded size, <c>Hub:RateLimit:KeyCacheSeconds</c>, default 30):
/// a token seen before costs no database lookup. A token not seen before costs one, drawn from a per-address budget
/// (<c>KeyLookupsPerSecond</c> / <c>KeyLookupBurst</c>); beyond it the request gets 429 — so no caller can force a
/// lookup per bogus token without limit. A cached "valid" verdict only picks the partition: endpoints that act on the
/// key still check it against the store (revocation is immediate); a cached "invalid" verdict is final (a random
/// secret cannot become valid later).
/// </remarks>
public sealed class KeyVerifier : IDisposable
{
    private readonly MemoryCache _verdicts = new(new MemoryCacheOptions { SizeLimit = 20_000 });
    private readonly PartitionedRateLimiter<string> _lookups;
    private readonly TimeSpan _ttl;

    public KeyVerifier(IConfiguration config)
    {
        int Setting(string name, int fallback) => config.GetValue($"Hub:RateLimit:{name}", fallback);
        _ttl = TimeSpan.FromSeconds(Setting("KeyCacheSeconds", 30));
        var rate = Setting("KeyLookupsPerSecond", 10);
        var burst = Setting("KeyLookupBurst", 20);
        _lookups = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst, TokensPerPeriod = rate, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
        }));
    }

    private sealed record Verdict(Caller? Caller);

    /// <summary>The caller, or null with a retry-after when the address has used up its lookups of unknown tokens.</summary>
    public async Task<(ResolvedCaller? Resolved, TimeSpan RetryAfter)> ResolveAsync(HttpContext ctx, CancellationToken ct)
    {
        var address = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.Length == 0) return (new ResolvedCaller(null, false, address), TimeSpan.Zero);
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(auth)));
        if (_verdicts.TryGetValue(hash, out Verdict? known)) return (new ResolvedCaller(known!.Caller, true, address), TimeSpan.Zero);

        using var lease = _lookups.AttemptAcquire(address);
        if (!lease.IsAcquired)
            return (null, lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1));
        var db = ctx.RequestServices.GetRequiredService<HubDbContext>();
        var caller = await ApiKeys.AuthenticateAsync(db, auth, ct);
        _verdicts.Set(hash, new Verdict(caller), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
        return (new ResolvedCaller(caller, true, address), TimeSpan.Zero);
    }

    public void Dispose()
    {
        _verdicts.Dispose();
        _lookups.Dispose();
    }
}

/// <summary>Runs <see cref="KeyVerifier"/> for every request and keeps its answer on the request.</summary>
public static class CallerResolution
{
    public static IApplicationBuilder UseCallerResolution(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        var (resolved, retryAfter) = await ctx.RequestServices.GetRequiredService<KeyVerifier>().ResolveAsync(ctx, ctx.RequestAborted);
        if (resolved is null)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: 429, title: "Too Many Requests",
                detail: "too many unknown API keys from this address; retry later",
                extensions: new Dictionary<string, object?> { ["retry_after_seconds"] = seconds }).ExecuteAsync(ctx);
            return;
        }
        ctx.Features.Set(resolved);
        await next(ctx);
    });

    /// <summary>The request's resolved caller (anonymous by address when the middleware did not run).</summary>
    public static ResolvedCaller Resolved(this HttpContext ctx) =>
        ctx.Features.Get<ResolvedCaller>() ?? new ResolvedCaller(null, ctx.Request.Headers.Authorization.Count > 0, ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
