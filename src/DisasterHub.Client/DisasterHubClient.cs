using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Refit;

namespace DisasterHub.Client;

/// <summary>Registration and helpers for <see cref="IDisasterHubApi"/>.</summary>
public static class DisasterHubClient
{
    /// <summary>
    /// Registers <see cref="IDisasterHubApi"/> for a hub at <paramref name="baseUrl"/> with an API key, through
    /// IHttpClientFactory and the standard resilience handler, tuned for pushes: every push carries an Idempotency-Key,
    /// so a retry after a timeout, a 429 or a 503 (honouring Retry-After) can never ingest a document twice; 4xx answers
    /// other than 408/429 are not retried.
    /// </summary>
    public static IHttpClientBuilder AddDisasterHubClient(this IServiceCollection services, Uri baseUrl, string apiKey)
    {
        var builder = services.AddRefitGeneratedClient<IDisasterHubApi>() // the request builder Refit generates at build time
            .ConfigureHttpClient(c =>
            {
                c.BaseAddress = baseUrl;
                c.DefaultRequestHeaders.UserAgent.ParseAdd("DisasterHub.Client/1.0");
            })
            .AddHttpMessageHandler(() => new BearerHandler(apiKey));
        builder.AddStandardResilienceHandler(o =>
        {
            o.Retry.MaxRetryAttempts = 4;
            o.Retry.BackoffType = DelayBackoffType.Exponential;
            o.Retry.UseJitter = true;
            o.Retry.Delay = TimeSpan.FromMilliseconds(500);
            o.Retry.ShouldRetryAfterHeader = true;
            // POST is retried too (the standard handler's default): the hub deduplicates on the Idempotency-Key every push carries
            o.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException or TimeoutException } => true,
                { Result: { } r } => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
                    or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                _ => false,
            });
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(60);      // a large document takes a while to ingest
            o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(5);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(2); // at least twice the attempt timeout
        });
        return builder;
    }

    /// <summary>The problem details of a refused request, when the hub sent them.</summary>
    public static ProblemDetails? Problem(this ApiException e) =>
        e.Content is { Length: > 0 } text && e.ContentHeaders?.ContentType?.MediaType is "application/problem+json" or "application/json"
            ? JsonSerializer.Deserialize<ProblemDetails>(text)
            : null;

    /// <summary>A document's bytes with its media type, for <see cref="IDisasterHubApi.PushAsync"/>.</summary>
    public static HttpContent Document(byte[] bytes, string mediaType = "application/json")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    /// <summary>Puts the key on every request as a Bearer token.</summary>
    private sealed class BearerHandler(string apiKey) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= new AuthenticationHeaderValue("Bearer", apiKey);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
