using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace DisasterHub.Api;

/// <summary>
/// Per-key token buckets (429 with Retry-After), so one noisy key never slows another: the partition is the key once
/// <see cref="Auth.KeyVerifier"/> has found it valid, and the client address for anonymous and failed-auth requests —
/// a made-up token shares its address's bucket (the anonymous limit cannot be voided by adding Authorization headers).
/// </summary>
public static class RateLimits
{
    public const string Push = "push";
    public const string Read = "read";

    public static IServiceCollection AddHubRateLimits(this IServiceCollection services, IConfiguration config)
    {
        int Setting(string name, int fallback) => config.GetValue($"Hub:RateLimit:{name}", fallback);
        var pushRate = Setting("PushPerSecond", 50);
        var pushBurst = Setting("PushBurst", 100);
        var readRate = Setting("ReadPerSecond", 500);
        var readBurst = Setting("ReadBurst", 1000);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                var seconds = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ctx.HttpContext.Response.WriteAsJsonAsync(new { error = "rate limit exceeded for this key", retry_after_seconds = seconds }, ct);
            };
            o.AddPolicy(Push, http => Bucket(http, pushRate, pushBurst));
            o.AddPolicy(Read, http => Bucket(http, readRate, readBurst));
        });
        return services;
    }

    private static RateLimitPartition<string> Bucket(HttpContext http, int perSecond, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    public static string PartitionKey(HttpContext http) => Auth.CallerResolution.Resolved(http).Partition;
}
