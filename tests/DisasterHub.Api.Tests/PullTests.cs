using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>Pulls from the real simulator over loopback HTTP, through the job the scheduler runs.</summary>
public sealed class pull_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _simClock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private WebApplication _sim = null!;
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"], _simClock, TimeSpan.FromMinutes(1));
        await _sim.StartAsync();
        var simUrl = _sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _hub = await HubServer.StartAsync(new()
        {
            ["Hub:SimulatorUrl"] = simUrl,
            ["Hub:Sources:0:Id"] = "sim-shelters",
            ["Hub:Sources:0:Url"] = "{simulator}/feeds/shelters.csv",
            ["Hub:Sources:1:Id"] = "sim-plain",
            ["Hub:Sources:1:Kind"] = "pull",
            ["Hub:Sources:1:Format"] = "da-shelter-csv",
            ["Hub:Sources:1:Layer"] = "shelters",
            ["Hub:Sources:1:Url"] = "{simulator}/feeds/shelters.csv?conditional=false",
            ["Hub:Sources:1:Internal"] = "true",
            ["Hub:Sources:1:OwnerOrg"] = "",
        });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _sim.StopAsync();
        await _sim.DisposeAsync();
    }

    private Task<IngestOutcome?> PullAsync(string source) => _hub.PullAsync(source);

    private Task<long> Count(string table, string source) => _hub.Db.ScalarAsync($"SELECT count(*) FROM {table} WHERE source_id = @s", ("s", source));

    [Fact]
    public async Task store_the_feed_then_nothing_new_while_it_is_unchanged()
    {
        var first = await PullAsync("sim-shelters");
        Assert.Equal(IngestStatus.Ingested, first!.Status);
        Assert.Equal(Scenario.Sites.Count, first.Accepted);
        Assert.Equal(0, first.Rejected);
        var versions = await Count("feature_version", "sim-shelters");

        var second = await PullAsync("sim-shelters");
        Assert.Equal(IngestStatus.Unchanged, second!.Status); // 304 Not Modified on If-None-Match
        Assert.Equal(1, await Count("raw_document", "sim-shelters"));
        Assert.Equal(versions, await Count("feature_version", "sim-shelters"));
        var health = await _hub.Db.RowsAsync("SELECT last_success_at, last_etag FROM source WHERE id = 'sim-shelters'");
        Assert.NotNull(health[0][0]);
        Assert.NotNull(health[0][1]);
    }

    [Fact]
    public async Task store_nothing_new_when_a_feed_without_validators_serves_the_same_bytes()
    {
        Assert.Equal(IngestStatus.Ingested, (await PullAsync("sim-plain"))!.Status);
        Assert.Equal(IngestStatus.Unchanged, (await PullAsync("sim-plain"))!.Status);
        Assert.Equal(1, await Count("raw_document", "sim-plain"));
    }

    [Fact]
    public async Task store_only_the_rows_that_changed_when_the_scenario_moves_on()
    {
        await PullAsync("sim-shelters");
        var before = await Count("feature_version", "sim-shelters");
        _simClock.Advance(TimeSpan.FromMinutes(1)); // step 1: one more site opens, open sites gain evacuees
        var next = await PullAsync("sim-shelters");
        Assert.Equal(IngestStatus.Ingested, next!.Status);
        var changedSites = Scenario.Sites.Count(s => Scenario.Evacuees(s, 1) != Scenario.Evacuees(s, 0) || Scenario.Status(s, 1) != Scenario.Status(s, 0));
        Assert.Equal(changedSites, next.Changed);
        Assert.Equal(before + changedSites, await Count("feature_version", "sim-shelters"));
        Assert.Equal(2, await Count("raw_document", "sim-shelters"));
        var evacuees = await _hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::int FROM feature WHERE source_key = 'SIM-0001'");
        Assert.Equal(Scenario.Evacuees(Scenario.Sites[0], 1), evacuees);
    }

    [Fact]
    public async Task record_a_failing_feed_in_source_health()
    {
        await _sim.StopAsync();
        var outcome = await PullAsync("sim-shelters");
        Assert.Null(outcome);
        var row = (await _hub.Db.RowsAsync("SELECT last_error, last_error_at FROM source WHERE id = 'sim-shelters'"))[0];
        Assert.NotNull(row[0]);
        Assert.NotNull(row[1]);
    }
}
