using System.Text.Json;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;

namespace DisasterHub.Ingestion;

/// <summary>
/// Fetches one pull source and ingests what changed: companion reference files first, then the document, then the
/// documents it links to (next pages, listed alerts), each in its own transaction. Scheduled per source in the
/// clustered Quartz store, so each tick runs on exactly one node; idempotent, because Quartz is at-least-once.
/// </summary>
[DisallowConcurrentExecution]
public sealed class PullFeedJob(HubDbContext db, FeedFetcher fetcher, IngestPipeline pipeline, NpgsqlDataSource dataSource,
    IOptions<HubOptions> options, TimeProvider clock, ILogger<PullFeedJob> log) : IJob
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
        var workspace = options.Value.Sources.FirstOrDefault(s => s.Id == sourceId)?.Workspace ?? "live";
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sourceId, ct);
        if (source is null || !source.Enabled) return null;
        try
        {
            var companions = await FetchCompanionsAsync(source, ct);
            var fetched = await fetcher.FetchAsync(source, ct);
            if (fetched.NotModified)
            {
                await using var conn = await dataSource.OpenConnectionAsync(ct);
                await IngestStore.MarkSourceAsync(conn, null, source.Id, clock.GetUtcNow(), null, ct: ct);
                return new IngestOutcome(IngestStatus.Unchanged, null, source.Format, 0, 0, 0, []);
            }
            var uri = new Uri(fetched.Url);
            var outcome = await pipeline.IngestAsync(new IngestRequest(source, fetched.Body, fetched.ContentType, source.Format, Path.GetFileName(uri.AbsolutePath),
                FetchUrl: FeedFetcher.Redact(fetched.Url), Etag: fetched.Etag, LastModified: fetched.LastModified, SkipIfUnchanged: true,
                Companions: companions, DocumentUri: uri, Workspace: workspace), ct);
            await FollowAsync(source, outcome.Links, companions, workspace, ct);
            return outcome;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Pull of {Source} failed", source.Id);
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await IngestStore.MarkSourceAsync(conn, null, source.Id, clock.GetUtcNow(), e.Message, ct: ct);
            return null;
        }
    }

    private async Task<Dictionary<string, ReadOnlyMemory<byte>>> FetchCompanionsAsync(Source source, CancellationToken ct)
    {
        var result = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var urls = JsonSerializer.Deserialize<Dictionary<string, string>>(source.Companions) ?? [];
        foreach (var (name, url) in urls)
            result[name] = (await fetcher.FetchUrlAsync(source, url, ct)).Body!;
        return result;
    }

    /// <summary>Breadth-first over linked documents, bounded; documents already taken from this source are skipped.</summary>
    private async Task FollowAsync(Source source, IReadOnlyList<Uri> links, Dictionary<string, ReadOnlyMemory<byte>> companions, string workspace, CancellationToken ct)
    {
        var queue = new Queue<Uri>(links);
        var seen = new HashSet<string>(links.Select(l => l.AbsoluteUri), StringComparer.Ordinal);
        var budget = options.Value.MaxFollowedDocuments;
        while (queue.Count > 0 && budget-- > 0)
        {
            var link = queue.Dequeue();
            var doc = await fetcher.FetchUrlAsync(source, link.AbsoluteUri, ct);
            var outcome = await pipeline.IngestAsync(new IngestRequest(source, doc.Body, doc.ContentType, null, Path.GetFileName(link.AbsolutePath),
                FetchUrl: FeedFetcher.Redact(link.AbsoluteUri), SkipIfSeen: true, Companions: companions, DocumentUri: link, Workspace: workspace), ct);
            foreach (var next in outcome.Links)
                if (seen.Add(next.AbsoluteUri)) queue.Enqueue(next);
        }
        if (queue.Count > 0) log.LogWarning("Source {Source}: stopped following links after {Max} documents", source.Id, options.Value.MaxFollowedDocuments);
    }
}
