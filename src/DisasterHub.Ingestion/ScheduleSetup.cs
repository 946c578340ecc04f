using DisasterHub.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace DisasterHub.Ingestion;

/// <summary>Puts one Quartz job + trigger per pull source into the shared store (replacing what is there).</summary>
public sealed class ScheduleSetup(IServiceProvider services, ISchedulerFactory schedulers, ILogger<ScheduleSetup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var source in await SourceSeeder.PullSourcesAsync(db, cancellationToken))
        {
            var every = TimeSpan.FromSeconds(Math.Max(5, source.ScheduleSeconds ?? 300));
            var job = JobBuilder.Create<PullFeedJob>()
                .WithIdentity($"pull-{source.Id}", "feeds")
                .UsingJobData(PullFeedJob.SourceIdKey, source.Id)
                .RequestRecovery()
                .StoreDurably()
                .Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity($"pull-{source.Id}", "feeds")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(every).RepeatForever())
                .Build();
            await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions { Replace = true }, cancellationToken);
            log.LogInformation("Scheduled {Source} every {Seconds}s", source.Id, every.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
