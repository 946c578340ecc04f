using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>The real scheduler: Quartz with the clustered AdoJobStore on the test database fires the pull job.</summary>
public sealed class scheduler_should
{
    [Fact]
    public async Task fire_the_pull_job_from_the_clustered_postgres_store()
    {
        var sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await sim.StartAsync();
        var simUrl = sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        await using var hub = await HubServer.StartAsync(new()
        {
            ["Hub:Scheduler"] = "true",
            ["Hub:SimulatorUrl"] = simUrl,
            ["Hub:Sources:0:Id"] = "sim-shelters",
            ["Hub:Sources:0:ScheduleSeconds"] = "5",
        });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            long n = 0;
            while (DateTime.UtcNow < deadline && (n = await hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'sim-shelters'")) == 0)
                await Task.Delay(500);
            Assert.Equal(Scenario.Sites.Count, n);
            Assert.True(await hub.Db.ScalarAsync("SELECT count(*) FROM qrtz_scheduler_state") >= 1, "the node checked in to the clustered store");
            Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM qrtz_triggers WHERE trigger_name = 'pull-sim-shelters'"));
        }
        finally
        {
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }
}
