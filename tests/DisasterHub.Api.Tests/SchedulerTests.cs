using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using DisasterHub.Ingestion;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;

namespace DisasterHub.Api.Tests;

/// <summary>The real scheduler: Hangfire with its PostgreSQL storage on the test database fires the pull job.</summary>
public sealed class scheduler_should
{
    [Fact]
    public async Task fire_the_pull_job_from_the_hangfire_postgres_storage()
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
            Assert.True(await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.server") >= 1, "the node checked in to the shared storage");
            Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.hash WHERE key = 'recurring-job:pull-sim-shelters' AND field = 'Cron' AND value = '*/5 * * * * *'"));
            Assert.True(await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.jobparameter WHERE name = 'RecurringJobId' AND value = '\"pull-sim-shelters\"'") >= 1, "a job was triggered by the recurring job");
            Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'qrtz%'"));
        }
        finally
        {
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }
}

/// <summary>
/// What Hangfire does not repair by itself, reproduced on the real storage: the recurring job gone, a recurring job
/// that stopped being triggered (its next execution pushed a day away — nothing would fire it before then), and a pull
/// job left "processing" by a node that died. The watchdog puts the schedule back (or ends the orphan) and the source
/// says why.
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

    private static async Task<string?> LastError(HubServer hub) =>
        (string?)(await hub.Db.RowsAsync("SELECT last_error FROM source WHERE id = 'sim-shelters'"))[0][0];

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
    public async Task put_back_a_recurring_job_that_disappeared()
    {
        var (sim, hub) = await StartAsync();
        try
        {
            await WaitFor(async () => await LastAttempt(hub) is not null, "the first pull");
            hub.App.Services.GetRequiredService<IRecurringJobManager>().RemoveIfExists("pull-sim-shelters");
            Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.hash WHERE key = 'recurring-job:pull-sim-shelters'"));
            var removedAt = DateTime.UtcNow;

            await WaitFor(async () => await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs' AND value = 'pull-sim-shelters'") == 1, "the recurring job to be put back", 20);
            await WaitFor(async () => await LastAttempt(hub) is { } t && t.ToUniversalTime() > removedAt, "a pull after the recurring job was put back", 30);
            // a check that read the job's hash just before the removal and the schedule set just after sees it out of the set
            Assert.Matches("watchdog: recurring job (missing|not in the schedule set)", await LastError(hub));
        }
        finally
        {
            await hub.DisposeAsync();
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    [Fact]
    public async Task put_back_a_recurring_job_that_stopped_being_triggered()
    {
        var (sim, hub) = await StartAsync();
        try
        {
            await WaitFor(async () => await LastAttempt(hub) is not null, "the first pull");
            // Push the next execution a day away, in the hash and in the set the scheduler polls, between two firings
            // (a firing in between rewrites both, so try until it sticks).
            var later = DateTime.UtcNow.AddDays(1);
            await WaitFor(async () =>
            {
                await hub.Db.ScalarAsync("UPDATE hangfire.set SET score = @s WHERE key = 'recurring-jobs' AND value = 'pull-sim-shelters' RETURNING 1",
                    ("s", (double)new DateTimeOffset(later).ToUnixTimeSeconds()));
                await hub.Db.ScalarAsync("UPDATE hangfire.hash SET value = @v WHERE key = 'recurring-job:pull-sim-shelters' AND field = 'NextExecution' RETURNING 1",
                    ("v", later.ToString("o", System.Globalization.CultureInfo.InvariantCulture)));
                await Task.Delay(300);
                return await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs' AND value = 'pull-sim-shelters' AND score > @s",
                    ("s", (double)new DateTimeOffset(DateTime.UtcNow.AddHours(12)).ToUnixTimeSeconds())) == 1 || await LastError(hub) is { } e && e.Contains("watchdog", StringComparison.Ordinal);
            }, "the next execution to be a day away", 20);
            var stuckAt = DateTime.UtcNow;

            await WaitFor(async () => await LastError(hub) is { } e && e.Contains("watchdog: next execution", StringComparison.Ordinal)
                && e.Contains("more than one interval", StringComparison.Ordinal), "the watchdog to notice", 20);
            await WaitFor(async () => await LastAttempt(hub) is { } t && t.ToUniversalTime() > stuckAt, "a pull after the schedule was put back", 30);
            Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.set WHERE key = 'recurring-jobs' AND value = 'pull-sim-shelters' AND score < @s",
                ("s", (double)new DateTimeOffset(DateTime.UtcNow.AddMinutes(1)).ToUnixTimeSeconds())));
        }
        finally
        {
            await hub.DisposeAsync();
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    [Fact]
    public async Task end_a_pull_left_processing_by_a_node_that_died()
    {
        var (sim, hub) = await StartAsync();
        try
        {
            await WaitFor(async () => await LastAttempt(hub) is not null, "the first pull");
            // What a SIGKILLed node leaves when its job's queue entry is gone: a job in Processing on a server that no
            // longer beats, started two minutes ago (Hangfire would never run it again, nor finish it).
            var client = hub.App.Services.GetRequiredService<IBackgroundJobClient>();
            var id = client.Create(Job.FromExpression<PullFeedJob>(j => j.RunAsync("sim-shelters", null, CancellationToken.None)),
                new LeftProcessing("dead-node:4242:0f0f", DateTime.UtcNow.AddMinutes(-2)));
            Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.job WHERE id = @id AND statename = 'Processing'", ("id", long.Parse(id, System.Globalization.CultureInfo.InvariantCulture))));

            await WaitFor(async () => await LastError(hub) is { } e && e.Contains($"pull job {id} ended by the watchdog: left processing by node dead-node:4242:0f0f", StringComparison.Ordinal),
                "the watchdog to end the orphan", 20);
            Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM hangfire.job WHERE id = @id AND statename = 'Processing'", ("id", long.Parse(id, System.Globalization.CultureInfo.InvariantCulture))));
        }
        finally
        {
            await hub.DisposeAsync();
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    /// <summary>Hangfire's Processing state as a worker writes it (ProcessingState's constructor is not public).</summary>
    private sealed class LeftProcessing(string serverId, DateTime startedAt) : IState
    {
        public string Name => ProcessingState.StateName;
        public string? Reason => null;
        public bool IsFinal => false;
        public bool IgnoreJobLoadException => false;
        public Dictionary<string, string> SerializeData() => new()
        {
            ["StartedAt"] = JobHelper.SerializeDateTime(startedAt),
            ["ServerId"] = serverId,
            ["WorkerId"] = "worker-1",
        };
    }

    [Fact]
    public void leave_a_healthy_or_slightly_late_recurring_job_alone()
    {
        var now = new DateTime(2026, 11, 22, 0, 0, 0, DateTimeKind.Utc);
        var every = TimeSpan.FromSeconds(15);
        RecurringJobDto Job(DateTime? next, string? error = null) => new() { Id = "pull-x", Cron = "*/15 * * * * *", NextExecution = next, Error = error };
        Assert.Null(ScheduleWatchdog.Diagnose(Job(now.AddSeconds(10)), true, "*/15 * * * * *", every, now));
        Assert.Null(ScheduleWatchdog.Diagnose(Job(now.AddSeconds(-20)), true, "*/15 * * * * *", every, now)); // late, within the allowance
        Assert.Equal("recurring job missing", ScheduleWatchdog.Diagnose(null, false, "*/15 * * * * *", every, now));
        Assert.Equal("recurring job not in the schedule set", ScheduleWatchdog.Diagnose(Job(now), false, "*/15 * * * * *", every, now));
        Assert.StartsWith("recurring job in error: boom", ScheduleWatchdog.Diagnose(Job(now, "boom\n at x"), true, "*/15 * * * * *", every, now));
        Assert.Equal("recurring job has no next execution", ScheduleWatchdog.Diagnose(Job(null), true, "*/15 * * * * *", every, now));
        Assert.Contains("passed 180 s ago", ScheduleWatchdog.Diagnose(Job(now.AddMinutes(-3)), true, "*/15 * * * * *", every, now));
        Assert.Contains("more than one interval", ScheduleWatchdog.Diagnose(Job(now.AddHours(1)), true, "*/15 * * * * *", every, now));
        Assert.Contains("not '*/5 * * * * *'", ScheduleWatchdog.Diagnose(Job(now), true, "*/5 * * * * *", every, now));

        var alive = new HashSet<string> { "hub-a:1:x" };
        Assert.Null(ScheduleWatchdog.DiagnoseProcessing("hub-a:1:x", now.AddHours(-1), alive, now)); // a long pull on a live node
        Assert.Null(ScheduleWatchdog.DiagnoseProcessing("hub-b:1:y", now.AddSeconds(-10), alive, now)); // Hangfire re-runs it soon
        Assert.Contains("no longer alive", ScheduleWatchdog.DiagnoseProcessing("hub-b:1:y", now.AddMinutes(-2), alive, now));
    }

    [Theory]
    [InlineData(5, "*/5 * * * * *", 5)]
    [InlineData(7, "*/6 * * * * *", 6)]
    [InlineData(45, "*/30 * * * * *", 30)]
    [InlineData(300, "0 */5 * * * *", 300)]
    [InlineData(3600, "0 0 */1 * * *", 3600)]
    [InlineData(7200, "0 0 */2 * * *", 7200)]
    [InlineData(100000, "0 0 0 * * *", 86400)]
    public void fit_a_schedule_to_a_cron_step_no_longer_than_asked(int seconds, string cron, int period)
    {
        var (c, p) = ScheduleSetup.Step(seconds);
        Assert.Equal(cron, c);
        Assert.Equal(TimeSpan.FromSeconds(period), p);
    }
}
