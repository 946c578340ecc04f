using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace DisasterHub.Ingestion;

/// <summary>
/// Quartz is at-least-once and its cluster recovery can lose a trigger (a hard kill between acquiring and firing
/// leaves it ACQUIRED with nobody to release it; a node wrongly declared dead; a trigger that ends in ERROR). Every
/// node runs this watchdog: a pull schedule whose trigger is gone, paused, in error, complete, or overdue by more than
/// one interval plus the misfire allowance is put back, and the source shows why and when.
/// </summary>
public sealed class ScheduleWatchdog(IServiceProvider services, ISchedulerFactory schedulers, IOptions<HubOptions> options,
    TimeProvider clock, ILogger<ScheduleWatchdog> log) : BackgroundService
{
    /// <summary>Lateness a healthy cluster can show: Quartz's misfire threshold (60 s) plus the check-in allowance.</summary>
    public static readonly TimeSpan Allowance = TimeSpan.FromSeconds(75);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(options.Value.WatchdogSeconds);
        if (every <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(every, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // the database may be away (a restart): the next tick tries again
                log.LogWarning("Schedule watchdog could not check: {Error}", e.Message);
            }
        }
    }

    public async Task<int> CheckAsync(CancellationToken ct)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var scheduler = await schedulers.GetScheduler(ct);
        if (await scheduler.GetStatus(ct) != SchedulerStatus.Running) return 0;
        var now = clock.GetUtcNow();
        var restarted = 0;
        foreach (var source in await SourceSeeder.PullSourcesAsync(db, ct))
        {
            var key = ScheduleSetup.TriggerOf(source.Id);
            var trigger = await scheduler.GetTrigger(key, ct);
            var state = await scheduler.GetTriggerState(key, ct);
            var why = Diagnose(trigger, state, ScheduleSetup.Interval(source), now);
            if (why is null) continue;
            log.LogWarning("Schedule of {Source} stopped firing ({Why}); putting it back", source.Id, why);
            await ScheduleSetup.ScheduleAsync(scheduler, source, ct);
            await db.Sources.Where(s => s.Id == source.Id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LastError, $"schedule restarted by the watchdog: {why}")
                .SetProperty(s => s.LastErrorAt, now), ct);
            restarted++;
        }
        return restarted;
    }

    /// <summary>Why a trigger is not going to fire on its own, or null when it is healthy.</summary>
    public static string? Diagnose(ITrigger? trigger, TriggerState state, TimeSpan interval, DateTimeOffset now)
    {
        if (trigger is null) return "trigger missing";
        switch (state)
        {
            case TriggerState.Error: return "trigger in error state";
            case TriggerState.Paused: return "trigger paused";
            case TriggerState.Complete or TriggerState.None: return "trigger complete";
        }
        if (trigger.NextFireTimeUtc is not { } next) return "trigger has no next fire time";
        var late = now - next;
        return late > interval + Allowance ? $"next fire time {next:yyyy-MM-ddTHH:mm:ssZ} passed {late.TotalSeconds:0} s ago" : null;
    }
}
