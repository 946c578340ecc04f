using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace DisasterHub.Ingestion;

/// <summary>
/// Fetches one pull source and ingests what changed. Scheduled per source in the clustered Quartz store, so each
/// tick runs on exactly one node; idempotent, because Quartz is at-least-once.
/// </summary>
[DisallowConcurrentExecution]
public sealed class PullFeedJob(HubDbContext db, FeedFetcher fetcher, IngestPipeline pipeline, NpgsqlDataSource dataSource,
    TimeProvider clock, ILogger<PullFeedJob> log) : IJob
{
    public const string SourceIdKey = "sourceId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var sourceId = context.MergedJobDataMap.GetString(SourceIdKey) ?? throw new JobExecutionException("job has no sourceId");
        await RunOnceAsync(sourceId, cancellationToken);
    }

    /// <summary>One fetch-and-ingest of a source; what the scheduler runs, callable directly.</summary>
    public async Task<IngestOutcome?> RunOnceAsync(string sourceId, CancellationToken ct)
    {
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sourceId, ct);
        if (source is null || !source.Enabled) return null;
        try
        {
            var fetched = await fetcher.FetchAsync(source, ct);
            if (fetched.NotModified)
            {
                await using var conn = await dataSource.OpenConnectionAsync(ct);
                await IngestStore.MarkSourceAsync(conn, null, source.Id, clock.GetUtcNow(), null, ct: ct);
                return new IngestOutcome(IngestStatus.Unchanged, null, source.Format, 0, 0, 0, []);
            }
            var fileName = Path.GetFileName(new Uri(fetched.Url).AbsolutePath);
            return await pipeline.IngestAsync(new IngestRequest(source, fetched.Body, fetched.ContentType, source.Format, fileName,
                FetchUrl: FeedFetcher.Redact(fetched.Url), Etag: fetched.Etag, LastModified: fetched.LastModified, SkipIfUnchanged: true), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Pull of {Source} failed", source.Id);
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await IngestStore.MarkSourceAsync(conn, null, source.Id, clock.GetUtcNow(), e.Message, ct: ct);
            return null;
        }
    }
}
