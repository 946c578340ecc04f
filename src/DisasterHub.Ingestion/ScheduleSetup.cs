using DisasterHub.Data;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DisasterHub.Ingestion;

/// <summary>
/// One Hangfire recurring job per enabled pull source in the shared storage, written from the source registry at
/// start-up; a recurring job whose source is no longer an enabled pull source is removed.
/// </summary>
public sealed class ScheduleSetup(IServiceProvider services, IRecurringJobManager recurring, JobStorage storage, ILogger<ScheduleSetup> log) : IHostedService
{
    public const string IdPrefix = "pull-";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var sources = await SourceSeeder.PullSourcesAsync(db, cancellationToken);
        foreach (var source in sources)
        {
            // AddOrUpdate of an unchanged job keeps its next execution: a node joining does not restart the clock of a
            // schedule that is already there (nor fire the feed early); a changed interval is rewritten.
            Schedule(recurring, source);
            log.LogInformation("Scheduled {Source} every {Seconds}s ({Cron})", source.Id, Interval(source).TotalSeconds, Cron(source));
        }
        RemoveUnknown(storage, recurring, sources.Select(s => JobId(s.Id)).ToHashSet(StringComparer.Ordinal), log);
    }

    /// <summary>Removes pull recurring jobs whose source is gone or disabled; returns their ids.</summary>
    public static List<string> RemoveUnknown(JobStorage storage, IRecurringJobManager recurring, IReadOnlySet<string> wanted, ILogger log)
    {
        using var connection = storage.GetConnection();
        var stale = connection.GetRecurringJobs().Select(j => j.Id).Where(id => id.StartsWith(IdPrefix, StringComparison.Ordinal) && !wanted.Contains(id)).ToList();
        foreach (var id in stale)
        {
            recurring.RemoveIfExists(id);
            log.LogInformation("Removed recurring job {Id}: its source is not an enabled pull source", id);
        }
        return stale;
    }

    public static string JobId(string sourceId) => IdPrefix + sourceId;

    /// <summary>The period a source is pulled at: its schedule (5 s at least, 300 s by default) fitted to a cron step.</summary>
    public static TimeSpan Interval(Source source) => Step(Math.Max(5, source.ScheduleSeconds ?? 300)).Period;

    public static string Cron(Source source) => Step(Math.Max(5, source.ScheduleSeconds ?? 300)).Cron;

    /// <summary>
    /// Cron (with seconds, which Hangfire accepts as a six-field expression) for "every N seconds". A cron step restarts
    /// at every minute, hour or day, so N is rounded down to the nearest step that divides it evenly — a source is
    /// never pulled less often than it asked: 5 s → <c>*/5 * * * * *</c>, 45 s → every 30 s, 300 s → <c>0 */5 * * * *</c>.
    /// </summary>
    public static (string Cron, TimeSpan Period) Step(int seconds)
    {
        static int Fit(int n, int whole) => Enumerable.Range(1, Math.Min(n, whole)).Where(d => whole % d == 0).Last();
        if (seconds < 60) { var s = Fit(seconds, 60); return ($"*/{s} * * * * *", TimeSpan.FromSeconds(s)); }
        if (seconds < 3600) { var m = Fit(seconds / 60, 60); return (m == 60 ? "0 0 * * * *" : $"0 */{m} * * * *", TimeSpan.FromMinutes(m)); }
        if (seconds < 86400) { var h = Fit(seconds / 3600, 24); return (h == 24 ? "0 0 0 * * *" : $"0 0 */{h} * * *", TimeSpan.FromHours(h)); }
        return ("0 0 0 * * *", TimeSpan.FromDays(1));
    }

    /// <summary>Creates or updates the recurring job of a pull source (UTC; a missed firing runs once, not once per miss).</summary>
    public static void Schedule(IRecurringJobManager recurring, Source source) =>
        recurring.AddOrUpdate<PullFeedJob>(JobId(source.Id), "default", j => j.RunAsync(source.Id, null, CancellationToken.None), Cron(source),
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc, MisfireHandling = MisfireHandlingMode.Relaxed });

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
