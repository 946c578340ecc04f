using System.Net;
using DisasterHub.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace DisasterHub.Ingestion;

public sealed record FetchResult(HttpStatusCode Status, byte[]? Body, string? ContentType, string? Etag, string? LastModified, string Url)
{
    public bool NotModified => Status == HttpStatusCode.NotModified;
}

/// <summary>
/// Typed HttpClient for pulling feeds: conditional GET (ETag / If-Modified-Since) through the clients' resilience
/// handler, which keeps a pipeline per source (timeout per attempt, retry with exponential backoff and jitter, circuit
/// breaker), so one dead feed cannot hold up or hammer anything else.
/// </summary>
/// <remarks>
/// Not a Refit interface: every source has its own absolute URL (query strings included, often signed), fetched as raw
/// bytes with validators and a size cap — a Refit method would be one <c>[Get]</c> returning the same
/// HttpResponseMessage, over a base address rebuilt per request, and add nothing but a layer.
/// </remarks>
public sealed class FeedFetcher(IHttpClientFactory clients, IOptions<HubOptions> options, SourceCredentialProtector credentials, ILogger<FeedFetcher> log)
{
    public const string GuardedClient = "feeds";
    public const string InternalClient = "feeds-internal";

    /// <summary>The suffix of the clients that leave redirects to <see cref="SendAsync"/> (feeds with credentials).</summary>
    public const string ManualRedirects = "-manual-redirects";

    private const int MaxRedirects = 5;

    /// <summary>
    /// The client a source's requests go through: guarded unless internal, and for a source with credentials one that
    /// does not follow redirects itself (see <see cref="SendAsync"/>).
    /// </summary>
    public static HttpClient Client(IHttpClientFactory clients, Source source) =>
        clients.CreateClient((source.Internal ? InternalClient : GuardedClient) + (source.Credentials is null ? "" : ManualRedirects));

    private HttpClient Client(Source source) => Client(clients, source);

    internal static void CheckUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new HttpRequestException("feed URL is not an absolute URL");
        if (SsrfGuard.CheckScheme(uri) is { } why) throw new HttpRequestException($"blocked by the SSRF guard: {why}");
    }

    /// <summary>The request option naming the source a request is for: the resilience handler keeps one pipeline (so one breaker) per source.</summary>
    public static readonly HttpRequestOptionsKey<string> SourceKey = new("DisasterHub.Source");

    /// <summary>
    /// The resilience pipeline of a feed request (Microsoft.Extensions.Http.Resilience on Polly): circuit breaker
    /// outermost, so one pull that exhausted its retries counts once; retry with exponential backoff and jitter; a
    /// timeout per attempt. The HTTP strategies treat 5xx, 408, 429, HttpRequestException and timeouts as transient.
    /// </summary>
    public static void ConfigurePipeline(ResiliencePipelineBuilder<HttpResponseMessage> builder, TimeSpan attemptTimeout, int retries = 3, TimeSpan? baseDelay = null,
        TimeSpan? breakDuration = null) =>
        builder
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromMinutes(2),
                BreakDuration = breakDuration ?? TimeSpan.FromSeconds(30),
            })
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay ?? TimeSpan.FromSeconds(1),
            })
            .AddTimeout(attemptTimeout);

    public async Task<FetchResult> FetchAsync(Source source, CancellationToken ct)
    {
        var url = source.Url ?? throw new InvalidOperationException($"source {source.Id} has no URL");
        CheckUrl(url);
        using var response = await SendAsync(source, url, req =>
        {
            if (source.LastEtag is { } etag && EntityTagHeaderValueTryParse(etag, out var tag)) req.Headers.IfNoneMatch.Add(tag);
            if (source.LastModified is { } lm && DateTimeOffset.TryParse(lm, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since))
                req.Headers.IfModifiedSince = since;
        }, ct);

        log.LogInformation("GET {Url} for {Source}: {Status}", Redact(url), source.Id, (int)response.StatusCode);
        if (response.StatusCode == HttpStatusCode.NotModified)
            return new FetchResult(HttpStatusCode.NotModified, null, null, source.LastEtag, source.LastModified, url);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} from {Redact(url)}", null, response.StatusCode);

        var body = await ReadCappedAsync(response.Content, options.Value.MaxPullBytes, ct);
        return new FetchResult(response.StatusCode, body, response.Content.Headers.ContentType?.ToString(),
            response.Headers.ETag?.ToString(), response.Content.Headers.LastModified?.ToString("R"), url);
    }

    /// <summary>The source's companion reference files (e.g. a station table), by name.</summary>
    public async Task<Dictionary<string, ReadOnlyMemory<byte>>> FetchCompanionsAsync(Source source, CancellationToken ct)
    {
        var result = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var urls = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(source.Companions) ?? [];
        foreach (var (name, url) in urls)
            result[name] = (await FetchUrlAsync(source, url, ct)).Body!;
        return result;
    }

    /// <summary>A plain GET through the source's pipeline (companion files, followed links): no validators.</summary>
    public async Task<FetchResult> FetchUrlAsync(Source source, string url, CancellationToken ct)
    {
        CheckUrl(url);
        using var response = await SendAsync(source, url, null, ct);
        log.LogInformation("GET {Url} for {Source}: {Status}", Redact(url), source.Id, (int)response.StatusCode);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} from {Redact(url)}", null, response.StatusCode);
        var body = await ReadCappedAsync(response.Content, options.Value.MaxPullBytes, ct);
        return new FetchResult(response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), null, null, url);
    }

    /// <summary>
    /// One GET of a feed URL. A feed without credentials: its client follows redirects (each through the SSRF guard). A
    /// feed with credentials: they are decrypted, added to requests for the URL's own origin only, and redirects are
    /// followed here — to another origin without them.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Source source, string url, Action<HttpRequestMessage>? validators, CancellationToken ct)
    {
        var http = Client(source);
        var secret = source.Credentials is { } stored ? credentials.Unprotect(stored) : null;
        var origin = new Uri(url);
        var current = new Uri(url);
        for (var hop = 0; ; hop++)
        {
            var own = secret is not null && Uri.Compare(current, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
            using var req = Request(source, own ? secret!.OnUrl(current.AbsoluteUri) : current.AbsoluteUri);
            if (own) secret!.OnHeaders(req.Headers);
            if (hop == 0) validators?.Invoke(req);
            var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct);
            if (secret is null || (int)res.StatusCode is not (301 or 302 or 303 or 307 or 308) || res.Headers.Location is not { } location) return res;
            res.Dispose();
            if (hop >= MaxRedirects) throw new HttpRequestException($"more than {MaxRedirects} redirects from {Redact(url)}");
            var next = new Uri(current, location);
            CheckUrl(next.AbsoluteUri);
            var elsewhere = Uri.Compare(next, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0;
            log.LogInformation("Source {Source}: redirected to {Url}{Note}", source.Id, Redact(next.AbsoluteUri), elsewhere ? " (another origin: without the source's credentials)" : "");
            current = next;
        }
    }

    private static HttpRequestMessage Request(Source source, string url)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Options.Set(SourceKey, source.Id);
        return req;
    }

    private static bool EntityTagHeaderValueTryParse(string s, out System.Net.Http.Headers.EntityTagHeaderValue tag) =>
        System.Net.Http.Headers.EntityTagHeaderValue.TryParse(s, out tag!);

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, long cap, CancellationToken ct)
    {
        await using var s = await content.ReadAsStreamAsync(ct);
        return await CappedBody.ReadAsync(s, cap, content.Headers.ContentLength, $"feed document larger than {cap} bytes", ct);
    }

    /// <summary>URLs are logged without user info or query values (they may carry tokens).</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u)
            ? $"{u.Scheme}://{u.Host}{(u.IsDefaultPort ? "" : ":" + u.Port)}{u.AbsolutePath}{(string.IsNullOrEmpty(u.Query) ? "" : "?…")}"
            : "(invalid url)";
}
