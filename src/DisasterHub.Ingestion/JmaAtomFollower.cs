using DisasterHub.Adapters.Jma;
using DisasterHub.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Follows a JMA 防災情報XML PULL feed (format <c>jma-atom</c>; the source's URL is the Atom feed, e.g.
/// <c>extra.xml</c>): the feed is polled with conditional GET; each entry after the source's cursor whose telegram type
/// the source takes (<see cref="SourceFollow.Telegrams"/>) is fetched once and ingested in publication order (oldest
/// <c>updated</c> first, so a 解除 never lands before its 発表), the cursor moving in each telegram's ingest
/// transaction. A killed node leaves the cursor at the last telegram it committed, and whichever node pulls next goes on
/// from there. When the feed's oldest entry is newer than the cursor (an outage longer than the feed holds), the
/// long-period feed (<see cref="SourceFollow.BackfillUrl"/>) fills in; what even that cannot cover is reported on the
/// source as a gap (<c>gap_since</c> … <c>gap_until</c>). The feed's validators are stored only once every entry it
/// listed is done, so a 304 never hides an entry a dead node did not reach.
/// </summary>
public sealed class JmaAtomFollower(FeedFetcher fetcher, IngestPipeline pipeline, NpgsqlDataSource db, IOptions<HubOptions> options,
    TimeProvider clock, ILogger<JmaAtomFollower> log) : IFeedFollower
{
    public const string Format = "jma-atom";

    public bool Follows(Source source) => source.Format == Format;

    public async Task<IngestOutcome> RunAsync(Source source, string workspace, CancellationToken ct)
    {
        var config = SourceFollow.Of(source);
        var telegrams = config.Telegrams ?? [];
        var fetched = await fetcher.FetchAsync(source, ct);
        if (fetched.NotModified)
        {
            await IngestStore.MarkSourceAsync(db, source.Id, new SourceMark(clock.GetUtcNow()), ct);
            return new IngestOutcome(IngestStatus.Unchanged, null, Format, 0, 0, 0, []);
        }
        var (entries, skipped) = JmaAtomFeed.Read(fetched.Body, new Uri(fetched.Url));
        foreach (var s in skipped) log.LogWarning("Source {Source}: feed entry at {At} skipped: {Reason}", source.Id, s.At, s.Reason);

        var cursor = source.Cursor;
        DateTimeOffset? gapSince = null, gapUntil = null;
        if (cursor is not null && entries.Count > 0 && entries[0].Updated > JmaAtomFeed.ParseCursor(cursor).Updated)
        {
            if (config.BackfillUrl is { Length: > 0 } backfill)
            {
                var older = await fetcher.FetchUrlAsync(source, backfill, ct);
                var known = entries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
                entries.AddRange(JmaAtomFeed.Read(older.Body, new Uri(older.Url)).Entries.Where(e => known.Add(e.Id)));
                entries.Sort(JmaFeedEntry.PublicationOrder);
            }
            var since = JmaAtomFeed.ParseCursor(cursor).Updated;
            if (entries[0].Updated > since)
            {
                (gapSince, gapUntil) = (since, entries[0].Updated);
                log.LogWarning("Source {Source}: entries published between {Since:O} and {Until:O} may be missing: no feed holds them", source.Id, since, entries[0].Updated);
            }
        }

        var fresh = entries.Where(e => e.After(cursor)).ToList();
        var wanted = fresh.Where(e => JmaAtomFeed.Wanted(e, telegrams)).ToList();
        var pending = wanted.Take(options.Value.MaxFollowedDocuments).ToList();
        var tally = new FollowTally(clock);
        foreach (var entry in pending)
        {
            var doc = await fetcher.FetchUrlAsync(source, entry.Link.AbsoluteUri, ct);
            tally.Add(await pipeline.IngestAsync(new IngestRequest(source, doc.Body, doc.ContentType, null, Path.GetFileName(entry.Link.AbsolutePath),
                FetchUrl: FeedFetcher.Redact(entry.Link.AbsoluteUri), SkipIfSeen: true, DocumentUri: entry.Link, Workspace: workspace, Cursor: entry.Cursor), ct),
                entry.Updated);
        }
        var done = pending.Count == wanted.Count;
        // validators only when every entry the feed listed is done: a 304 must not hide one left for the next pull;
        // and, the feed done, the cursor past the entries of types this source does not take
        await IngestStore.MarkSourceAsync(db, source.Id, new SourceMark(clock.GetUtcNow(), Etag: done ? fetched.Etag : null,
            LastModified: done ? fetched.LastModified : null, Cursor: done && fresh.Count > 0 ? fresh[^1].Cursor : null), ct);
        await IngestStore.AddFollowerCountsAsync(db, source.Id, fresh.Count, tally.Taken, tally.Duplicates, tally.DelayMs, gapSince, gapUntil, ct);
        log.LogInformation("Source {Source}: {Fresh} new entries, {Taken} telegrams ingested, {Dups} already taken", source.Id, fresh.Count, tally.Taken, tally.Duplicates);
        return tally.Outcome(Format);
    }
}
