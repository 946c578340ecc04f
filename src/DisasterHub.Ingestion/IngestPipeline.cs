using DisasterHub.Core;
using DisasterHub.Core.Checks;
using DisasterHub.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>A document to ingest, from a pull or a push.</summary>
public sealed record IngestRequest(
    Source Source, ReadOnlyMemory<byte> Body, string? ContentType, string? Format, string? FileName,
    string? ApiKeyId = null, string? FetchUrl = null, string Workspace = "live",
    string? Etag = null, string? LastModified = null, bool SkipIfUnchanged = false, bool SkipIfSeen = false,
    IReadOnlyDictionary<string, ReadOnlyMemory<byte>>? Companions = null, Uri? DocumentUri = null,
    Jurisdiction? Jurisdiction = null, string? Cursor = null, bool Replace = false);

public enum IngestStatus { Ingested, Unchanged, Unparseable, UnknownFormat, WrongLayer }

public sealed record IngestOutcome(
    IngestStatus Status, long? RawDocumentId, string? Format, int Accepted, int Rejected, int Changed, IReadOnlyList<Rejection> Rejections)
{
    /// <summary>The layer the document was read into (the parser's), when a parser was chosen.</summary>
    public string? Layer { get; init; }

    /// <summary>Accepted records that did not become current: the hub holds a newer state of them.</summary>
    public IReadOnlyList<NotCurrent> NotCurrent { get; init; } = [];

    /// <summary>Further documents the format points at (next pages, listed alerts), for the fetcher to take.</summary>
    public IReadOnlyList<Uri> Links { get; init; } = [];

    /// <summary>The drill workspace exercise/test records went to instead of live (ExerciseRule), and how many.</summary>
    public string? RoutedTo { get; init; }

    public int Routed { get; init; }

    /// <summary>A full replacement's result (<see cref="IngestRequest.Replace"/>); null when the document was not one.</summary>
    public Replacement? Replacement { get; init; }

    /// <summary>Records withdrawn: by a full replacement, or named gone by the document (another hub's deletions).</summary>
    public int Withdrawn { get; init; }
}

/// <summary>
/// What a full replacement came to: how many of the source's current features the document no longer held and were
/// withdrawn, or why none was (<see cref="NotApplied"/>: a document with rejections, or with no records at all).
/// </summary>
public sealed record Replacement(bool Applied, int Withdrawn, string? NotApplied);

/// <summary>What a push would make of a document (<see cref="IngestPipeline.PreviewAsync"/>): nothing of it is stored.</summary>
public sealed record PreviewOutcome(IngestStatus Status, string? Format, string? Layer, IReadOnlyList<FeatureRecord> Accepted,
    IReadOnlyList<Rejection> Rejections, ExerciseRule.Routed? Routed)
{
    /// <summary>A full replacement's preview: whether it would apply, and the current features it would withdraw.</summary>
    public Replacement? Replacement { get; init; }

    /// <summary>The records the replacement would withdraw (key and name), at most <see cref="IngestTransaction.MaxListedWithdrawals"/>.</summary>
    public IReadOnlyList<(string Key, string? Name)> Withdrawing { get; init; } = [];
}

/// <summary>
/// One document, one transaction: raw payload stored first, then parsed, then features, history, rejections and
/// source health written together (DESIGN §2). A crash anywhere leaves nothing half-done.
/// </summary>
public sealed class IngestPipeline(NpgsqlDataSource db, FormatRegistry formats, IOptions<HubOptions> options,
    TimeProvider clock, ChangeSignal changes, ClassificationPolicy policy, BoundarySet boundaries, LoadStatistics statistics, ILogger<IngestPipeline> log)
{
    private readonly ServiceExtent _extent = options.Value.ParseExtent();
    private readonly IngestLimitOptions _limits = options.Value.Ingest;
    private readonly RetentionOptions _retention = options.Value.Retention;
    private readonly TimeSpan _maxFutureSkew = TimeSpan.FromMinutes(options.Value.MaxFutureSkewMinutes);

    // batched parsers drop repeated ids themselves (IBatchedFeedParser): a national registry's ids are held once, not twice
    private readonly RecordChecks _batchChecks = formats.Checks.WithoutDuplicateIds();

    /// <summary>What source health (public: the sources list, /health/ready) says of a pushed document that failed.</summary>
    /// <remarks>A push's own words (an unknown format name, text quoted from its document) never reach public answers;
    /// the full reason is in the push's answer, its rejection row and the audit log.</remarks>
    public const string UnknownFormatHealth = "unknown format (see audit)";
    private readonly Dictionary<string, TimeSpan> _staleness = options.Value.Staleness;

    /// <summary>What a document's ingest transaction (or its preview) writes for.</summary>
    private IngestScope ScopeOf(IngestRequest req, DateTimeOffset receivedAt) =>
        new(req.Source.Id, req.Workspace, receivedAt, req.Source.ExpectedIntervalSeconds)
        { StaleLimits = _staleness, OwnPartitionFrom = options.Value.OwnPartitionFromRows };

    public async Task<IngestOutcome> IngestAsync(IngestRequest req, CancellationToken ct)
    {
        var receivedAt = clock.GetUtcNow();
        // A source writes only its own layer: a format named by the caller whose parser writes another layer is refused
        // before anything is stored (a push key scoped to shelters must not become an evacuation order).
        var named = req.Format is null ? null : formats.Find(req.Format);
        if (named is not null && named.Layer != req.Source.Layer)
            return new IngestOutcome(IngestStatus.WrongLayer, null, named.Format, 0, 1, 0,
                [new Rejection("format", $"format '{named.Format}' writes layer '{named.Layer}', but source '{req.Source.Id}' is of layer '{req.Source.Layer}'")])
            { Layer = named.Layer };

        var raw = new RawDocument(req.ContentType, req.Format, req.Body, req.ApiKeyId, req.FetchUrl);
        await using var ingest = await IngestTransaction.BeginAsync(db,
ScopeOf(req, receivedAt), ct);

        if (req.SkipIfUnchanged && req.Source.LastRawSha256 is { } last && last.AsSpan().SequenceEqual(raw.Sha256))
        {
            // Same bytes as the last document we took from this feed: nothing new to store.
            await ingest.MarkSourceAsync(new SourceMark(receivedAt, Etag: req.Etag, LastModified: req.LastModified, Cursor: req.Cursor), ct);
            await ingest.CommitAsync(ct);
            return new IngestOutcome(IngestStatus.Unchanged, null, req.Format, 0, 0, 0, []);
        }

        if (req.SkipIfSeen && await ingest.SeenAsync(raw.Sha256, ct))
        {
            // a follower's cursor still passes a document already taken
            if (req.Cursor is not null) await ingest.MarkSourceAsync(new SourceMark(receivedAt, Cursor: req.Cursor), ct);
            await ingest.CommitAsync(ct);
            return new IngestOutcome(IngestStatus.Unchanged, null, req.Format, 0, 0, 0, []);
        }

        // where a document's time goes, in the log line below (issue 16: which stage to make faster next)
        var started = clock.GetTimestamp();
        var chosen = Choose(req);
        var streamed = chosen is IBatchedFeedParser && _limits.BatchRecords > 0;
        // a document read in batches is stored behind the reading (StreamAsync); any other before it is read
        if (!streamed) await ingest.InsertRawAsync(raw, ct);
        var rawDone = clock.GetTimestamp();
        var written = streamed
            ? await StreamAsync(ingest, (IBatchedFeedParser)chosen!, req, receivedAt, raw, ct)
            : await ReadAndWriteAsync(ingest, chosen, req, receivedAt, ct);
        if (written.Failure is { } failure)
            return await FailAsync(ingest, written.FailStatus, written.Parser?.Format, failure, req, receivedAt, ct, written.Parser?.Layer);
        var parser = written.Parser!;
        var rejections = written.Rejections;
        var accepted = written.Live + written.Routed;
        var changed = written.Changed;
        var replacement = written.Present is { } present ? await ReplaceAsync(ingest, present, rejections.Count, ct) : null;
        await ingest.WriteRejectionsAsync(rejections, ct);
        await ingest.FinishRawAsync("parsed", parser.Format, accepted, rejections.Count, ct);
        await ingest.MarkSourceAsync(new SourceMark(receivedAt, null, req.Etag, req.LastModified, raw.Sha256, written.Watermark, req.Cursor), ct);
        var markDone = clock.GetTimestamp();
        await ingest.CommitAsync(ct);
        var committed = clock.GetTimestamp();
        // the statistics after a large load: on their own, once this push has answered (LoadStatistics)
        if (options.Value.AnalyzeAfterChangedRows > 0 && changed >= options.Value.AnalyzeAfterChangedRows) statistics.Request(changed);
        var withdrawnAll = written.Withdrawn + (replacement?.Withdrawn ?? 0);
        if (written.Live > 0 || withdrawnAll > 0) changes.Publish(req.Workspace, [parser.Layer]);
        if (written.RoutedTo is { } drill) changes.Publish(drill, [parser.Layer]);
        log.LogInformation("Ingested raw document {RawId} for {Source} ({Format}): {Accepted} accepted, {Rejected} rejected, {Changed} changed " +
            "in {TotalMs:0} ms (raw {RawMs:0}, parse and checks {ReadMs:0}{ParseMs}, writes {WriteMs:0} (of them waiting for a batch's staging while reading {StageMs:0}), commit {CommitMs:0}; {Batches} batches, {Staged} records staged, {HashesRead} current hashes read at once)",
            ingest.RawDocumentId, req.Source.Id, parser.Format, accepted, rejections.Count, changed, clock.GetElapsedTime(started).TotalMilliseconds,
            // stored behind the reading: its own time, inside the writes' (which count from the first batch's reading)
            (streamed ? ingest.RawTime : clock.GetElapsedTime(started, rawDone)).TotalMilliseconds, written.ReadTime.TotalMilliseconds,
            written.ParseTime is { } parsing ? FormattableString.Invariant($" (of them parsing {parsing.TotalMilliseconds:0})") : "",
            clock.GetElapsedTime(rawDone, markDone).TotalMilliseconds - written.ReadTime.TotalMilliseconds, written.StageTime.TotalMilliseconds,
            clock.GetElapsedTime(markDone, committed).TotalMilliseconds, written.Batches,
            ingest.Staged, ingest.HashesRead);
        return new IngestOutcome(IngestStatus.Ingested, ingest.RawDocumentId, parser.Format, accepted, rejections.Count, changed, rejections)
        {
            Layer = parser.Layer,
            NotCurrent = written.NotCurrent,
            RoutedTo = written.RoutedTo,
            Routed = written.Routed,
            Replacement = replacement,
            Withdrawn = withdrawnAll,
            Links = parser is ILinkedDocuments linked && req.DocumentUri is { } at
                ? linked.FollowLinks(req.Body, at)
                : [],
        };
    }

    /// <summary>What a document's reading and writing came to, before its rejections, raw status and source mark are written.</summary>
    private sealed record Written(IFeedParser? Parser, int Live, int Changed, List<Rejection> Rejections, List<NotCurrent> NotCurrent,
        DateTimeOffset? Watermark, string? RoutedTo, int Routed, TimeSpan ReadTime, int Batches,
        IngestStatus FailStatus = IngestStatus.Ingested, Rejection? Failure = null)
    {
        /// <summary>Every key the document held (live and routed records), when it is a full replacement.</summary>
        public HashSet<string>? Present { get; init; }

        /// <summary>Records the document named gone and that were withdrawn (<see cref="ParseResult.Withdrawals"/>).</summary>
        public int Withdrawn { get; init; }

        /// <summary>Of the writes, the time spent waiting for the previous batch's staging (hash, probe, COPY) as batches were read.</summary>
        public TimeSpan StageTime { get; init; }

        /// <summary>Of <see cref="ReadTime"/>, the parser's own (the rest is the record checks and rules); null when not apart.</summary>
        public TimeSpan? ParseTime { get; init; }

        public static Written Failed(IFeedParser? parser, IngestStatus status, Rejection why, TimeSpan readTime) =>
            new(parser, 0, 0, [], [], null, null, 0, readTime, 0, status, why);
    }

    /// <summary>The whole document parsed and checked, then written (formats that do not read in batches).</summary>
    private async Task<Written> ReadAndWriteAsync(IngestTransaction ingest, IFeedParser? parser, IngestRequest req, DateTimeOffset receivedAt, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var read = await ReadAsync(ingest, parser, req, receivedAt, ct);
        var readTime = clock.GetElapsedTime(started);
        if (read.Failure is { } failure) return Written.Failed(read.Parser, read.FailStatus, failure, readTime);
        var (result, routed) = (read.Result!, read.Routed);
        var records = result.Records;
        var notCurrent = new List<NotCurrent>();
        var changed = await ingest.WriteFeaturesAsync(records, notCurrent, ct);
        if (routed is not null) changed += await ingest.WriteFeaturesAsync(routed.Records, notCurrent, ct, routed.Workspace);
        var withdrawn = result.Withdrawals.Count > 0 ? await ingest.WithdrawAsync(result.Withdrawals, absent: false, ct) : 0;
        var watermark = records.Count == 0 ? (DateTimeOffset?)null : records.Max(r => r.ObservedAt ?? receivedAt);
        return new Written(read.Parser, records.Count, changed, result.Rejections, notCurrent, watermark,
            routed?.Workspace, routed?.Records.Count ?? 0, readTime, 1)
        {
            Present = req.Replace ? Keys(records.Concat(routed?.Records ?? [])) : null,
            Withdrawn = withdrawn,
        };
    }

    /// <summary>
    /// A document read in batches (issue 16 §1): each batch of <c>Hub:Ingest:BatchRecords</c> rows is parsed, goes
    /// through the same cancellations, record checks (one run over the whole document; repeated ids are the parser's
    /// to drop, across the whole document), geometry caps, validity, exercise routing and classification as
    /// <see cref="ReadAsync"/>, and is copied into staging (only the records that changed: ingest_probe.sql, or a large
    /// source's hashes read at once); a batch is hashed, probed and copied while the hub parses the next ones (the
    /// document itself is stored on the connection meanwhile). The staged records are then written at once. Memory is
    /// bounded by the batches in flight (plus the request body and the document's ids), not the document. A document found unreadable part-way is refused
    /// whole, as before: nothing staged is written. Records routed to a drill are few and kept until the end.
    /// </summary>
    private async Task<Written> StreamAsync(IngestTransaction ingest, IBatchedFeedParser parser, IngestRequest req, DateTimeOffset receivedAt,
        RawDocument raw, CancellationToken ct)
    {
        var budget = TimeSpan.FromMilliseconds(Math.Max(1, _limits.ParseBudgetMilliseconds));
        var readTime = TimeSpan.Zero;
        var parseTime = TimeSpan.Zero;
        var stageTime = TimeSpan.Zero;
        var context = ParseContextFor(req, receivedAt, CancellationToken.None);
        CheckRun? run = null;
        long vertices = 0;
        int live = 0, batches = 0;
        var rejections = new List<Rejection>();
        var routed = new List<FeatureRecord>();
        string? routedTo = null;
        DateTimeOffset? watermark = null;
        var present = req.Replace ? new HashSet<string>(StringComparer.Ordinal) : null;
        var bounds = await ingest.BoundariesAsync(boundaries, ct);
        await ingest.BeginStagingAsync(ct);
        // the payload is stored on the connection while the first batches are read (it is in the transaction before
        // anything else is written: every later statement waits for it)
        ingest.InsertRawBehind(raw);
        // read on this thread: parsing one batch ahead on another (measured) made no push faster on two cores and, with
        // each batch living across more collections, doubled the parse phase's peak memory (BENCHMARKS.md). The staging
        // of a batch (hash, probe, COPY) runs on the pool while the next ones are read, up to four queued behind the
        // stored document (IngestTransaction.StageAsync); a first load's batches are copied in turn.
        using var batchesOf = parser.ParseBatches(req.Body, context, _limits.BatchRecords).GetEnumerator();
        while (true)
        {
            // the parse budget counts parsing and checks only (not the COPY of earlier batches)
            var started = clock.GetTimestamp();
            using var left = new CancellationTokenSource(budget - readTime > TimeSpan.Zero ? budget - readTime : TimeSpan.FromTicks(1), clock);
            ParseResult batch;
            try
            {
                // the parser's context is fixed for the document; the budget is checked between batches and by the checks
                if (readTime >= budget) throw new OperationCanceledException(left.Token);
                if (!batchesOf.MoveNext()) break;
                batch = batchesOf.Current;
            }
            catch (Exception e) when (Refusal(e, parser, req, ct) is { } why)
            {
                return Written.Failed(parser, IngestStatus.Unparseable, why, readTime + clock.GetElapsedTime(started));
            }
            batches++;
            parseTime += clock.GetElapsedTime(started);
            if (FormatRegistry.ApplyGeometryCaps(batch, _limits.MaxVerticesPerFeature, _limits.MaxVerticesPerDocument, ref vertices) is { } tooBig)
                return Written.Failed(parser, IngestStatus.Unparseable, tooBig, readTime + clock.GetElapsedTime(started));
            try
            {
                run = await CheckAsync(ingest, parser.Layer, batch, req, receivedAt, bounds, run, _batchChecks, left.Token, ct);
            }
            catch (OperationCanceledException) when (left.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return Written.Failed(parser, IngestStatus.Unparseable, OverBudget(), readTime + clock.GetElapsedTime(started));
            }
            if (ApplyRules(batch, req) is { } r)
            {
                routedTo = r.Workspace;
                routed.AddRange(r.Records);
            }
            // routed records do not move the source's watermark (as in the whole-document path)
            foreach (var rec in batch.Records)
            {
                var at = rec.ObservedAt ?? receivedAt;
                if (watermark is null || at > watermark) watermark = at;
            }
            readTime += clock.GetElapsedTime(started);
            if (present is not null) foreach (var rec in batch.Records) present.Add(rec.SourceKey);
            rejections.AddRange(batch.Rejections);
            live += batch.Records.Count;
            var staging = clock.GetTimestamp();
            await ingest.StageAsync(batch.Records, ct);
            stageTime += clock.GetElapsedTime(staging);
        }
        var notCurrent = new List<NotCurrent>();
        var changed = await ingest.WriteStagedAsync(notCurrent, ct);
        if (routedTo is not null) changed += await ingest.WriteFeaturesAsync(routed, notCurrent, ct, routedTo);
        if (present is not null) foreach (var rec in routed) present.Add(rec.SourceKey);
        return new Written(parser, live, changed, rejections, notCurrent, watermark, routedTo, routed.Count, readTime, batches)
        {
            StageTime = stageTime,
            ParseTime = parseTime,
            Present = present,
        };
    }

    /// <summary>
    /// Withdraws every current feature of the source, in each workspace that holds any (an operator taking a retired or
    /// wrong registry off the map; <see cref="IngestStore.WithdrawAllAsync"/>): each leaves the live reads, tiles and the
    /// merged layer (an entity another source reports stays, from that source alone), is kept in history and in reads
    /// as of before, and is heard as <c>deleted</c>. Returns what it withdrew in each workspace (ordered by workspace).
    /// </summary>
    public async Task<IReadOnlyList<IngestStore.Withdrawal>> WithdrawAllAsync(Source source, CancellationToken ct)
    {
        var done = await IngestStore.WithdrawAllAsync(db, source.Id, source.ExpectedIntervalSeconds, _staleness, clock, ct);
        foreach (var w in done)
        {
            changes.Publish(w.Workspace, w.Layers);
            log.LogInformation("Withdrew all {Count} current features of {Source} in {Workspace}", w.Withdrawn, source.Id, w.Workspace);
        }
        return done;
    }

    private static HashSet<string> Keys(IEnumerable<FeatureRecord> records) => records.Select(r => r.SourceKey).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// A full replacement (issue 16 §5): the source's current features in the workspace whose keys the document no
    /// longer holds are withdrawn (<see cref="IngestTransaction.WithdrawAsync"/>) — only after a document read
    /// without a rejection (a rejected record may be one the source still holds: it keeps its last accepted state) and
    /// holding at least one record (an empty document would empty the source; that is not taken as a replacement).
    /// </summary>
    private static async Task<Replacement> ReplaceAsync(IngestTransaction ingest, HashSet<string> present, int rejected, CancellationToken ct) =>
        NotReplacing(present.Count, rejected) is { } why
            ? new Replacement(false, 0, why)
            : new Replacement(true, await ingest.WithdrawAsync(present, absent: true, ct), null);

    /// <summary>Why a document is not taken as the source's complete set (null: it is).</summary>
    private static string? NotReplacing(int present, int rejected) =>
        rejected > 0 ? $"not applied: {rejected} record(s) were rejected, and a rejected record may be one the source still holds"
        : present == 0 ? "not applied: the document held no records, and a replacement would withdraw every feature of the source"
        : null;

    private ParseContext ParseContextFor(IngestRequest req, DateTimeOffset receivedAt, CancellationToken budget) => new()
    {
        ReceivedAt = receivedAt, FileName = req.FileName, ContentType = req.ContentType, Extent = _extent,
        Companions = req.Companions ?? new Dictionary<string, ReadOnlyMemory<byte>>(),
        MaxAreasPerRecord = _limits.MaxAreasPerRecord, Budget = budget,
    };

    /// <summary>
    /// What <see cref="IngestAsync"/> would make of the document — the same parser, record checks (with the stored
    /// boundaries and locations and the pusher's jurisdiction), validity, exercise routing and classification — in a
    /// read-only transaction that is rolled back: no raw document, feature, rejection or source mark is written.
    /// </summary>
    public async Task<PreviewOutcome> PreviewAsync(IngestRequest req, CancellationToken ct)
    {
        var receivedAt = clock.GetUtcNow();
        var named = req.Format is null ? null : formats.Find(req.Format);
        if (named is not null && named.Layer != req.Source.Layer)
            return new PreviewOutcome(IngestStatus.WrongLayer, named.Format, named.Layer, [],
                [new Rejection("format", $"format '{named.Format}' writes layer '{named.Layer}', but source '{req.Source.Id}' is of layer '{req.Source.Layer}'")], null);
        await using var ingest = await IngestTransaction.BeginAsync(db,
ScopeOf(req, receivedAt), ct);
        await ingest.ReadOnlyAsync(ct);
        var read = await ReadAsync(ingest, Choose(req), req, receivedAt, ct);
        if (read.Failure is { } failure) return new PreviewOutcome(read.FailStatus, read.Parser?.Format, read.Parser?.Layer, [], [failure], null);
        var outcome = new PreviewOutcome(IngestStatus.Ingested, read.Parser!.Format, read.Parser.Layer, read.Result!.Records, read.Result.Rejections, read.Routed);
        if (!req.Replace) return outcome;
        // what the replacement would withdraw, by the same rule the push applies
        var present = Keys(read.Result.Records.Concat(read.Routed?.Records ?? []));
        if (NotReplacing(present.Count, read.Result.Rejections.Count) is { } why) return outcome with { Replacement = new Replacement(false, 0, why) };
        var (count, listed) = await ingest.WouldWithdrawAsync(present, ct);
        return outcome with { Replacement = new Replacement(true, count, null), Withdrawing = listed };
        // disposing the transaction uncommitted rolls it back
    }

    private sealed record Read(IFeedParser? Parser, ParseResult? Result, ExerciseRule.Routed? Routed, IngestStatus FailStatus = IngestStatus.Ingested, Rejection? Failure = null);

    /// <summary>Parse, expand cancellations, run the record checks and the rules: everything before the writes, shared by ingest and preview.</summary>
    private async Task<Read> ReadAsync(IngestTransaction ingest, IFeedParser? parser, IngestRequest req, DateTimeOffset receivedAt, CancellationToken ct)
    {
        if (parser is null)
            return new Read(null, null, null, IngestStatus.UnknownFormat, new Rejection("document", req.Format is null ? "format not recognised" : $"unknown format '{req.Format}'"));

        ParseResult result;
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1, _limits.ParseBudgetMilliseconds)), clock);
        try
        {
            result = parser.Parse(req.Body, ParseContextFor(req, receivedAt, budget.Token));
            budget.Token.ThrowIfCancellationRequested();
            if (FormatRegistry.ApplyGeometryCaps(result, _limits.MaxVerticesPerFeature, _limits.MaxVerticesPerDocument) is { } tooBig)
                return new Read(parser, null, null, IngestStatus.Unparseable, tooBig);
        }
        catch (Exception e) when (Refusal(e, parser, req, ct) is { } why)
        {
            return new Read(parser, null, null, IngestStatus.Unparseable, why);
        }
        try
        {
            await CheckAsync(ingest, parser.Layer, result, req, receivedAt, await ingest.BoundariesAsync(boundaries, ct), null, formats.Checks, budget.Token, ct);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return new Read(parser, null, null, IngestStatus.Unparseable, OverBudget());
        }
        return new Read(parser, result, ApplyRules(result, req));
    }

    /// <summary>
    /// Cancellations expanded, then the same ordered record checks as ./hub validate (FormatRegistry.Checks) with the
    /// hub's boundaries, the locations of features already stored, and the pusher's jurisdiction — over a whole document,
    /// or over one batch within the run that spans its document.
    /// </summary>
    private async Task<CheckRun> CheckAsync(IngestTransaction ingest, string layer, ParseResult result, IngestRequest req, DateTimeOffset receivedAt,
        DisasterHub.Core.Checks.IBoundaryLookup bounds, CheckRun? run, RecordChecks checks, CancellationToken budget, CancellationToken ct)
    {
        await ingest.ExpandCancellationsAsync(layer, result, ct);
        var context = new CheckContext
        {
            Extent = _extent,
            ReceivedAt = receivedAt,
            Boundaries = bounds,
            ToleranceMetres = options.Value.BoundaryToleranceMetres,
            Jurisdiction = req.Jurisdiction,
            StoredLocation = await ingest.StoredLocationsAsync(layer, result.Records, ct),
            MaxFutureSkew = _maxFutureSkew,
            Budget = budget,
        };
        run = run is null ? new CheckRun(context) : run.Continue(context);
        checks.Run(result, run);
        return run;
    }

    /// <summary>Validity, exercise routing (exercises and tests never reach live: the one place that decides, for pushes
    /// and pulls alike) and classification of the records that passed the checks; the records routed to a drill, if any.</summary>
    private ExerciseRule.Routed? ApplyRules(ParseResult result, IngestRequest req)
    {
        ValidityRule.Apply(result);
        var routed = ExerciseRule.Apply(result, req.Workspace, req.Source.ExerciseWorkspace);
        foreach (var r in result.Records) policy.Apply(r);
        if (routed is not null) foreach (var r in routed.Records) policy.Apply(r);
        return routed;
    }

    /// <summary>Why the parser could not read the document, as its rejection; null for the caller's own cancellation (rethrown).</summary>
    private Rejection? Refusal(Exception e, IFeedParser parser, IngestRequest req, CancellationToken ct)
    {
        switch (e)
        {
            case UnparseableDocumentException u:
                return new Rejection(u.At, u.Reason);
            case OperationCanceledException:
                return ct.IsCancellationRequested ? null : OverBudget();
            default:
                log.LogError(e, "Parser {Format} failed on a document of source {Source}", parser.Format, req.Source.Id);
                return new Rejection("document", "document could not be parsed");
        }
    }

    private Rejection OverBudget() =>
        new("document", $"parsing took longer than the budget of {_limits.ParseBudgetMilliseconds} ms (Hub:Ingest:ParseBudgetMilliseconds); the document is kept unparsed");

    private IFeedParser? Choose(IngestRequest req)
    {
        if (req.Format is not null) return formats.Find(req.Format);
        var detected = formats.Detect(req.Body.Span, req.FileName);
        if (detected is not null && detected.Layer == req.Source.Layer) return detected;
        return formats.Find(req.Source.Format);
    }

    private async Task<IngestOutcome> FailAsync(IngestTransaction ingest, IngestStatus status, string? format,
        Rejection why, IngestRequest req, DateTimeOffset at, CancellationToken ct, string? layer = null)
    {
        // The reason and the raw document's hash and size stay: nothing that arrived is dropped silently. Its payload
        // is kept up to a cap and a per-key quota (Hub:Retention), so unparseable pushes cannot fill the disk.
        await ingest.WriteRejectionsAsync([why], ct);
        await ingest.FinishRawAsync("unparseable", format, 0, 1, ct);
        await ingest.TrimRejectedRawAsync(req.ApiKeyId, _retention.RejectedRawKeepBytes, _retention.RejectedRawQuotaBytesPerKey, ct);
        var health = req.ApiKeyId is null ? $"{why.At}: {why.Reason}"
            : status == IngestStatus.UnknownFormat ? UnknownFormatHealth
            : $"document not readable as {format} (see audit)";
        await ingest.MarkSourceAsync(new SourceMark(at, health), ct);
        await ingest.CommitAsync(ct);
        log.LogWarning("Raw document {RawId} for {Source} not parsed: {At}: {Reason}", ingest.RawDocumentId, req.Source.Id, why.At, why.Reason);
        return new IngestOutcome(status, ingest.RawDocumentId, format, 0, 1, 0, [why]) { Layer = layer };
    }

}
