using System.Net;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>A feed that times out, answers 500 or serves garbage: marked failing, breaker opens, others keep going.</summary>
public sealed class feed_failures_should : IAsyncLifetime
{
    private WebApplication _bad = null!;
    private WebApplication _sim = null!;
    private HubServer _hub = null!;
    private int _badHits;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _bad = builder.Build();
        _bad.MapGet("/500", () => { Interlocked.Increment(ref _badHits); return Results.StatusCode(500); });
        _bad.MapGet("/garbage", () => Results.Bytes("\u0000\u0001garbage, not a feed"u8.ToArray(), "text/csv"));
        _bad.MapGet("/slow", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(20), ct); return Results.Ok(); });
        await _bad.StartAsync();
        var bad = _bad.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses.First();
        _sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await _sim.StartAsync();
        var sim = _sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses.First();
        var settings = new Dictionary<string, string?> { ["Hub:SimulatorUrl"] = sim };
        var i = 2;
        foreach (var (id, path) in new[] { ("feed-500", "/500"), ("feed-garbage", "/garbage"), ("feed-slow", "/slow") })
        {
            settings[$"Hub:Sources:{i}:Id"] = id;
            settings[$"Hub:Sources:{i}:Kind"] = "pull";
            settings[$"Hub:Sources:{i}:Format"] = "da-shelter-csv";
            settings[$"Hub:Sources:{i}:Layer"] = "shelters";
            settings[$"Hub:Sources:{i}:Url"] = bad + path;
            settings[$"Hub:Sources:{i}:Internal"] = "true";
            settings[$"Hub:Sources:{i}:ExpectedIntervalSeconds"] = "60";
            i++;
        }
        _hub = await HubServer.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1))) await _bad.StopAsync(cts.Token);
        await _sim.StopAsync();
    }

    private async Task<IngestOutcome?> Pull(string source)
    {
        using var scope = _hub.App.Services.CreateScope();
        return await ActivatorUtilities.CreateInstance<PullFeedJob>(scope.ServiceProvider).RunOnceAsync(source, CancellationToken.None);
    }

    private async Task<string?> LastError(string source) =>
        (string?)(await _hub.Db.RowsAsync("SELECT last_error FROM source WHERE id = @s", ("s", source)))[0][0];

    [Fact]
    public async Task mark_a_500_feed_failing_and_open_its_breaker_while_other_feeds_keep_working()
    {
        Assert.Null(await Pull("feed-500"));
        Assert.Contains("500", await LastError("feed-500"), StringComparison.Ordinal);
        var hitsAfterFirst = _badHits;
        Assert.True(hitsAfterFirst >= 2, "retried with backoff");
        for (var k = 0; k < 3; k++) await Pull("feed-500");
        var before = _badHits;
        await Pull("feed-500"); // the breaker is open now: no request reaches the feed
        Assert.Equal(before, _badHits);
        Assert.Contains("circuit", await LastError("feed-500"), StringComparison.OrdinalIgnoreCase);

        // another feed is unaffected
        Assert.Equal(IngestStatus.Ingested, (await Pull("sim-shelters"))!.Status);
        var sources = System.Text.Json.JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/sources")).RootElement.GetProperty("sources");
        Assert.True(sources.EnumerateArray().Single(s => s.GetProperty("id").GetString() == "feed-500").GetProperty("failing").GetBoolean());
        Assert.False(sources.EnumerateArray().Single(s => s.GetProperty("id").GetString() == "sim-shelters").GetProperty("failing").GetBoolean());
    }

    [Fact]
    public async Task record_garbage_as_an_unparseable_document_and_keep_it()
    {
        var outcome = await Pull("feed-garbage");
        Assert.Equal(IngestStatus.Unparseable, outcome!.Status);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE source_id = 'feed-garbage' AND status = 'unparseable'"));
        Assert.NotNull(await LastError("feed-garbage"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'feed-garbage'"));
    }

    [Fact]
    public async Task give_up_on_a_feed_that_does_not_answer_without_hanging()
    {
        var started = DateTime.UtcNow;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var scope = _hub.App.Services.CreateScope();
        var job = ActivatorUtilities.CreateInstance<PullFeedJob>(scope.ServiceProvider);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.RunOnceAsync("feed-slow", cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }
}
