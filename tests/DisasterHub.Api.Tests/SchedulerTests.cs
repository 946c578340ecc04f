using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

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

/// <summary>
/// Quartz's known ways of silently not firing again, reproduced on the real clustered store: the trigger row gone, and
/// a trigger left ACQUIRED and overdue (what a hard kill between acquiring and firing can leave). The watchdog puts
/// the schedule back and the source says why.
/// </summary>
public sealed class schedule_watchdog_should
{
    private static async Task<(WebApplication Sim, HubServer Hub)> StartAsync()
    {
        var sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await sim.StartAsync();
        var simUrl = sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var hub = await HubServer.StartAsync(new()
        {
            ["Hub:Scheduler"] = "true",
            ["Hub:WatchdogSeconds"] = "1",
            ["Hub:SimulatorUrl"] = simUrl,
            ["Hub:Sources:0:Id"] = "sim-shelters",
            ["Hub:Sources:0:ScheduleSeconds"] = "5",
        });
        return (sim, hub);
    }

    private static async Task<DateTime?> LastAttempt(HubServer hub) =>
        (await hub.Db.RowsAsync("SELECT last_attempt_at FROM source WHERE id = 'sim-shelters'"))[0][0] as DateTime?;

    private static async Task WaitFor(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task put_back_a_trigger_that_disappeared()
    {
        var (sim, hub) = await StartAsync();
        try
        {
            await WaitFor(async () => await LastAttempt(hub) is not null, "the first pull");
            var scheduler = await hub.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            Assert.True(await scheduler.UnscheduleJob(new TriggerKey("pull-sim-shelters", "feeds")));
            var removedAt = DateTime.UtcNow;

            await WaitFor(async () => await hub.Db.ScalarAsync("SELECT count(*) FROM qrtz_triggers WHERE trigger_name = 'pull-sim-shelters'") == 1, "the trigger to be put back", 20);
            await WaitFor(async () => await LastAttempt(hub) is { } t && t.ToUniversalTime() > removedAt, "a pull after the trigger was put back", 30);
            var error = (string?)(await hub.Db.RowsAsync("SELECT last_error FROM source WHERE id = 'sim-shelters'"))[0][0];
            Assert.Contains("watchdog: trigger missing", error, StringComparison.Ordinal);
        }
        finally
        {
            await hub.DisposeAsync();
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    [Fact]
    public async Task put_back_a_trigger_left_acquired_and_overdue()
    {
        var (sim, hub) = await StartAsync();
        try
        {
            await WaitFor(async () => await LastAttempt(hub) is not null, "the first pull");
            // Quartz.NET keeps fire times as UTC ticks; leave the trigger as a dead node would: ACQUIRED, five minutes overdue.
            var next = await hub.Db.ScalarAsync("SELECT next_fire_time FROM qrtz_triggers WHERE trigger_name = 'pull-sim-shelters'");
            Assert.InRange(next, DateTime.UtcNow.AddMinutes(-1).Ticks, DateTime.UtcNow.AddMinutes(1).Ticks);
            await WaitFor(async () => await hub.Db.ScalarAsync(
                "UPDATE qrtz_triggers SET trigger_state = 'ACQUIRED', next_fire_time = @t WHERE trigger_name = 'pull-sim-shelters' AND trigger_state = 'WAITING' RETURNING 1",
                ("t", DateTime.UtcNow.AddMinutes(-5).Ticks)) == 1, "the trigger to be waiting", 20);
            var stuckAt = DateTime.UtcNow;

            await WaitFor(async () => (string?)(await hub.Db.RowsAsync("SELECT last_error FROM source WHERE id = 'sim-shelters'"))[0][0] is { } e
                && e.Contains("watchdog: next fire time", StringComparison.Ordinal), "the watchdog to notice", 20);
            await WaitFor(async () => await LastAttempt(hub) is { } t && t.ToUniversalTime() > stuckAt, "a pull after the schedule was put back", 30);
            Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM qrtz_triggers WHERE trigger_name = 'pull-sim-shelters' AND trigger_state IN ('WAITING', 'ACQUIRED', 'EXECUTING', 'BLOCKED')"));
        }
        finally
        {
            await hub.DisposeAsync();
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    [Fact]
    public void leave_a_healthy_or_slightly_late_trigger_alone()
    {
        var now = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        var trigger = TriggerBuilder.Create().WithIdentity("t").StartAt(now.AddSeconds(-30)).WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromSeconds(15)).RepeatForever()).Build();
        ((Quartz.Extensibility.IOperableTrigger)trigger).ComputeFirstFireTimeUtc(null);
        Assert.Null(DisasterHub.Ingestion.ScheduleWatchdog.Diagnose(trigger, TriggerState.Normal, TimeSpan.FromSeconds(15), now));
        Assert.Equal("trigger missing", DisasterHub.Ingestion.ScheduleWatchdog.Diagnose(null, TriggerState.None, TimeSpan.FromSeconds(15), now));
        Assert.Equal("trigger paused", DisasterHub.Ingestion.ScheduleWatchdog.Diagnose(trigger, TriggerState.Paused, TimeSpan.FromSeconds(15), now));
        Assert.NotNull(DisasterHub.Ingestion.ScheduleWatchdog.Diagnose(trigger, TriggerState.Normal, TimeSpan.FromSeconds(15), now.AddMinutes(3)));
    }
}
