using System.Text.Json;
using DisasterHub.Data;
using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Fetches one pull source and ingests what changed: companion reference files first, then the document, then the
/// documents it links to (next pages, listed alerts), each in its own transaction. A Hangfire recurring job per source
/// (<see cref="ScheduleSetup"/>) enqueues each firing once into the shared PostgreSQL storage, and one worker of one
/// node fetches it. Hangfire is at-least-once (a job fetched by a node that dies is fetched again once its invisibility
/// timeout passes), so the run is guarded twice: a PostgreSQL session advisory lock per source (never two pulls of one
/// feed at once, released by the server the moment a killed node's connection drops — unlike a lock row, which would
/// outlive the node), and a firing that a later pull already covered is skipped; ingest itself is idempotent.
/// </summary>
[AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)] // the next firing is the retry
[ShortRetention]
public sealed class PullFeedJob(HubDbContext db, FeedFetcher fetcher, IngestPipeline pipeline, IEnumerable<IFeedFollower> followers, NpgsqlDataSource dataSource,
    IOptions<HubOptions> options, TimeProvider clock, ILogger<PullFeedJob> log)
{
    /// <summary>The per-source advisory lock space ("PULL"), apart from the migrator's single-key lock.</summary>
    private const int LockSpace = 0x50_55_4C_4C;

    /// <summary>What a Hangfire firing runs. <paramref name="context"/> is supplied by Hangfire (null in the expression).</summary>
    [JobDisplayName("pull {0}")]
    public async Task RunAsync(string sourceId, PerformContext? context, CancellationToken ct)
    {
        // "Time": the scheduled occurrence (Unix seconds) Hangfire's recurring job scheduler stamps on each job it creates
        var occurrence = context?.GetJobParameter<long?>("Time") is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : (DateTimeOffset?)null;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using (var c = new NpgsqlCommand("SELECT pg_try_advisory_lock(@space, hashtext(@id))", conn))
        {
            c.Parameters.AddWithValue("space", LockSpace);
            c.Parameters.AddWithValue("id", sourceId);
            if (await c.ExecuteScalarAsync(ct) is not true)
            {
                log.LogInformation("Pull of {Source} skipped: another node is pulling it right now", sourceId);
                return;
            }
        }
        try
        {
            if (occurrence is { } due)
            {
                var last = await db.Sources.AsNoTracking().Where(s => s.Id == sourceId).Select(s => s.LastAttemptAt).SingleOrDefaultAsync(ct);
                if (last > due)
                {
                    // a firing run again after its node died, when a later firing has pulled meanwhile
                    log.LogInformation("Pull of {Source} for {Due:O} skipped: already pulled at {Last:O}", sourceId, due, last);
                    return;
                }
            }
            await RunOnceAsync(sourceId, ct);
        }
        finally
        {
            if (conn.State == System.Data.ConnectionState.Open)
            {
                await using var c = new NpgsqlCommand("SELECT pg_advisory_unlock(@space, hashtext(@id))", conn);
                c.Parameters.AddWithValue("space", LockSpace);
                c.Parameters.AddWithValue("id", sourceId);
                await c.ExecuteScalarAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>One fetch-and-ingest of a source; what the scheduler runs, callable directly.</summary>
    /// <remarks>After a document of <c>Hub:Ingest:GiveBackMemoryBytes</c> or more, once it is ingested and no longer held,
    /// the heap is compacted and given back (<see cref="LargeDocuments"/>), as after such a push.</remarks>
    public async Task<IngestOutcome?> RunOnceAsync(string sourceId, CancellationToken ct)
    {
        var (outcome, bytes) = await PullAsync(sourceId, ct);
        if (LargeDocuments.IsLarge(bytes, options.Value.Ingest)) LargeDocuments.GiveBackMemory();
        return outcome;
    }

    /// <summary>The pull itself, and the size of the document it fetched (0 when none).</summary>
    private async Task<(IngestOutcome? Outcome, long Bytes)> PullAsync(string sourceId, CancellationToken ct)
    {
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sourceId, ct);
        if (source is null || !source.Enabled) return (null, 0);
        var workspace = source.Workspace;
        try
        {
            // an entry document naming what to fetch (JMA Atom, another hub's changes): its follower, from the source's cursor
            if (followers.FirstOrDefault(f => f.Follows(source)) is { } follower) return (await follower.RunAsync(source, workspace, ct), 0);
            var companions = await fetcher.FetchCompanionsAsync(source, ct);
            var fetched = await fetcher.FetchAsync(source, ct);
            if (fetched.NotModified)
            {
                await IngestStore.MarkSourceAsync(dataSource, source.Id, new SourceMark(clock.GetUtcNow()), ct);
                return (new IngestOutcome(IngestStatus.Unchanged, null, source.Format, 0, 0, 0, []), 0);
            }
            var uri = new Uri(fetched.Url);
            var outcome = await pipeline.IngestAsync(new IngestRequest(source, fetched.Body, fetched.ContentType, source.Format, Path.GetFileName(uri.AbsolutePath),
                FetchUrl: FeedFetcher.Redact(fetched.Url), Etag: fetched.Etag, LastModified: fetched.LastModified, SkipIfUnchanged: true,
                Companions: companions, DocumentUri: uri, Workspace: workspace, Replace: source.Replaces), ct);
            await FollowAsync(source, outcome.Links, companions, workspace, ct);
            return (outcome, fetched.Body?.Length ?? 0);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(e, "Pull of {Source} failed", source.Id);
            await IngestStore.MarkSourceAsync(dataSource, source.Id, new SourceMark(clock.GetUtcNow(), e.Message), ct);
            return (null, 0);
        }
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

/// <summary>
/// A finished pull job is kept an hour (Hangfire's default is a day: at a 5 s schedule that is 17,000 rows per feed);
/// the source row keeps the pull's outcome.
/// </summary>
public sealed class ShortRetentionAttribute : Hangfire.Common.JobFilterAttribute, Hangfire.States.IApplyStateFilter
{
    public void OnStateApplied(Hangfire.States.ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction) =>
        context.JobExpirationTimeout = TimeSpan.FromHours(1);

    public void OnStateUnapplied(Hangfire.States.ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction) { }
}
