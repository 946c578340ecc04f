using DisasterHub.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace DisasterHub.Ingestion;

/// <summary>Puts one Quartz job + trigger per pull source into the shared store (replacing what is there).</summary>
public sealed class ScheduleSetup(IServiceProvider services, ISchedulerFactory schedulers, TimeProvider clock, ILogger<ScheduleSetup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var source in await SourceSeeder.PullSourcesAsync(db, cancellationToken))
        {
            // A node joining the cluster keeps a schedule that is already there: replacing it would restart its
            // clock and fire the feed early. Only a missing or changed schedule is (re)written.
            // (Whatever state another node has it in right now — waiting, acquired, blocked while its job runs — it is
            // left alone; a trigger is rewritten only when the watchdog would put it back.)
            var key = TriggerOf(source.Id);
            if (await scheduler.GetTrigger(key, cancellationToken) is ISimpleTrigger t && t.RepeatInterval == Interval(source)
                && ScheduleWatchdog.Diagnose(t, await scheduler.GetTriggerState(key, cancellationToken), Interval(source), clock.GetUtcNow()) is null)
                continue;
            await ScheduleAsync(scheduler, source, cancellationToken);
            log.LogInformation("Scheduled {Source} every {Seconds}s", source.Id, Interval(source).TotalSeconds);
        }
    }

    public static TimeSpan Interval(Source source) => TimeSpan.FromSeconds(Math.Max(5, source.ScheduleSeconds ?? 300));

    public static TriggerKey TriggerOf(string sourceId) => new($"pull-{sourceId}", "feeds");

    /// <summary>One durable, recoverable job and a repeating trigger for a pull source, replacing what the store holds.</summary>
    public static async Task ScheduleAsync(IScheduler scheduler, Source source, CancellationToken ct)
    {
        var job = JobBuilder.Create<PullFeedJob>()
            .WithIdentity($"pull-{source.Id}", "feeds")
            .UsingJobData(PullFeedJob.SourceIdKey, source.Id)
            .RequestRecovery()
            .StoreDurably()
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerOf(source.Id))
            .StartNow()
            .WithSimpleSchedule(s => s.WithInterval(Interval(source)).RepeatForever())
            .Build();
        await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions { Replace = true }, ct);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
