using System.Net;
using System.Net.Http.Headers;
using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>
/// The real hub on Kestrel at a free loopback port, against its own fresh PostGIS database: tests speak real HTTP.
/// </summary>
public sealed class HubServer : IAsyncDisposable
{
    public required WebApplication App { get; init; }
    public required TestDatabase Db { get; init; }
    public required Uri BaseUrl { get; init; }
    public HttpClient Http { get; } = new();

    /// <summary>False for a second node started on another server's database (<c>sharedDb</c>): that one drops it.</summary>
    private bool OwnsDb { get; init; } = true;

    public static async Task<HubServer> StartAsync(Dictionary<string, string?>? settings = null, TimeProvider? clock = null,
        Action<WebApplicationBuilder>? configure = null, TestDatabase? sharedDb = null)
    {
        var db = sharedDb ?? await TestDatabase.CreateAsync();
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Hub"] = db.ConnectionString,
            ["Hub:Scheduler"] = "false",
        };
        foreach (var (k, v) in settings ?? []) config[k] = v;
        var app = HubApp.Build([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(config);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            if (clock is not null) b.Services.AddSingleton<TimeProvider>(clock);
            configure?.Invoke(b);
        });
        await HubApp.PrepareAsync(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var server = new HubServer { App = app, Db = db, BaseUrl = new Uri(address), OwnsDb = sharedDb is null };
        server.Http.BaseAddress = server.BaseUrl;
        return server;
    }

    /// <summary>One pull of a source through the job the scheduler runs (null: the pull failed, as the source's error says).</summary>
    public async Task<DisasterHub.Ingestion.IngestOutcome?> PullAsync(string sourceId)
    {
        using var scope = App.Services.CreateScope();
        return await ActivatorUtilities.CreateInstance<DisasterHub.Ingestion.PullFeedJob>(scope.ServiceProvider).RunOnceAsync(sourceId, CancellationToken.None);
    }

    /// <summary>Creates an API key directly in the store (what `./hub keys create` does) and returns its token.</summary>
    public async Task<string> CreateKeyAsync(string orgId, params string[] scopes)
    {
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        if (await db.Organizations.FindAsync(orgId) is null)
        {
            db.Organizations.Add(new Organization { Id = orgId, Name = orgId, Kind = "municipality", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync(); // no navigation between the two, so EF would not order the inserts
        }
        var (row, token) = ApiKeys.Create(orgId, scopes, "test", DateTimeOffset.UtcNow);
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync();
        return token;
    }

    public async Task<HttpResponseMessage> PushAsync(string sourceId, string? token, byte[] body, string contentType = "application/json",
        string? idempotencyKey = null, string? format = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sources/{sourceId}/documents{(format is null ? "" : "?format=" + format)}")
        {
            Content = new ByteArrayContent(body),
        };
        req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null) req.Headers.Add("Idempotency-Key", idempotencyKey);
        return await Http.SendAsync(req);
    }

    /// <summary><see cref="PushAsync"/>, asserting a 200 (the answer's body is the failure message).</summary>
    public async Task PushOkAsync(string sourceId, string token, byte[] body, string contentType = "application/json")
    {
        var r = await PushAsync(sourceId, token, body, contentType);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    /// <summary>A client of this hub that sends <paramref name="token"/> as its bearer token (the caller disposes it).</summary>
    public HttpClient ClientFor(string token)
    {
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// The <c>event:</c> and <c>data:</c> lines of <c>GET /api/v1/events?{query}</c> read for at most
    /// <paramref name="window"/>, or until a line contains <paramref name="until"/>.
    /// </summary>
    public async Task<List<string>> EventsAsync(string query, TimeSpan window, string? until = null)
    {
        using var sse = new HttpClient { BaseAddress = BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events?" + query);
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var cts = new CancellationTokenSource(window);
        var lines = new List<string>();
        try
        {
            using var resp = await sse.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(cts.Token));
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal) || line.StartsWith("data: ", StringComparison.Ordinal)) lines.Add(line);
                if (until is not null && line.Contains(until, StringComparison.Ordinal)) break;
            }
        }
        catch (OperationCanceledException)
        {
            // the window closed
        }
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (OwnsDb) await Db.DisposeAsync();
    }
}
