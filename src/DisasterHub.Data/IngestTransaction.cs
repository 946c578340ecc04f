using DisasterHub.Core;
using NetTopologySuite.IO;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>
/// What a source's row records after an attempt: when, the error (null: a success), and on success the feed's
/// validators, the raw document's hash, the watermark and a follower's cursor (each null: keep the one stored).
/// </summary>
public sealed record SourceMark(DateTimeOffset At, string? Error = null, string? Etag = null, string? LastModified = null,
    byte[]? Sha256 = null, DateTimeOffset? Watermark = null, string? Cursor = null)
{
    /// <summary>The statement that records this mark on the source's row (not yet on a connection).</summary>
    internal NpgsqlCommand Command(string sourceId)
    {
        // a follower's cursor moves in the transaction that ingested what it covers (nothing skipped or repeated on a crash)
        var c = new NpgsqlCommand(SqlFiles.Get(Error is null ? "source_mark_success" : "source_mark_error"));
        c.Parameters.AddWithValue("id", sourceId);
        c.Parameters.AddWithValue("at", At.UtcDateTime);
        if (Error is not null)
        {
            c.Parameters.AddWithValue("err", Error);
            return c;
        }
        c.Parameters.Add(new NpgsqlParameter("etag", NpgsqlDbType.Text) { Value = (object?)Etag ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("lm", NpgsqlDbType.Text) { Value = (object?)LastModified ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("sha", NpgsqlDbType.Bytea) { Value = (object?)Sha256 ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("wm", NpgsqlDbType.TimestampTz) { Value = (object?)Watermark?.UtcDateTime ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("cursor", NpgsqlDbType.Text) { Value = (object?)Cursor ?? DBNull.Value });
        return c;
    }
}

/// <summary>
/// What one ingest transaction writes for: the source, the workspace its records go to, when the document was received,
/// the source's expected interval (current rows' stale_after), the per-layer staleness limits the merge ranks by, and
/// the raw document the writes come from when it is already stored (a drill replay; an ingest stores its own with
/// <see cref="IngestTransaction.InsertRawAsync"/>).
/// </summary>
public sealed record IngestScope(string SourceId, string Workspace, DateTimeOffset ReceivedAt, int ExpectedIntervalSeconds)
{
    public IReadOnlyDictionary<string, TimeSpan>? StaleLimits { get; init; }
    public long? RawDocumentId { get; init; }

    /// <summary>
    /// From how many rows to write a source's first load gets a partition of <c>feature</c> of its own (the bulk path,
    /// migrations 0050 and 0060); a smaller one, and every later ingest of such a source, writes to the shared partition.
    /// </summary>
    public int OwnPartitionFrom { get; init; } = DefaultOwnPartitionFrom;

    /// <summary>The default of <see cref="OwnPartitionFrom"/> (Hub:OwnPartitionFromRows).</summary>
    public const int DefaultOwnPartitionFrom = 10_000;
}

/// <summary>
/// One document's ingest (DESIGN §2 "one database transaction per document"): owns the connection, its transaction,
/// the source and workspace it writes for, and the ingest's statements — raw document, rejections, stored locations,
/// cancellations, features (history, current state, merged layer; exercise records may be routed to another workspace
/// within the same transaction), the source's mark. Nothing outside threads a connection and a transaction through
/// it. Disposing without <see cref="CommitAsync"/> rolls everything back.
/// </summary>
public sealed class IngestTransaction : IAsyncDisposable
{
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;

    private IngestTransaction(NpgsqlConnection conn, NpgsqlTransaction tx, IngestScope scope)
    {
        _conn = conn;
        _tx = tx;
        Scope = scope;
        RawDocumentId = scope.RawDocumentId;
    }

    public IngestScope Scope { get; }
    public string SourceId => Scope.SourceId;
    public string Workspace => Scope.Workspace;

    /// <summary>The raw document the features are written from (history rows point at it); null: none.</summary>
    public long? RawDocumentId { get; private set; }

    public static async Task<IngestTransaction> BeginAsync(NpgsqlDataSource db, IngestScope scope, CancellationToken ct)
    {
        var conn = await db.OpenConnectionAsync(ct);
        try
        {
            return new IngestTransaction(conn, await conn.BeginTransactionAsync(ct), scope);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>A statement on this transaction; the parameters every ingest statement may name (source, workspace,
    /// receipt, raw document) are bound from the scope, the workspace given for routed records.</summary>
    /// <remarks>It first waits for the batch being staged, if any (<see cref="StageAsync"/>): the connection is one.</remarks>
    private async ValueTask<NpgsqlCommand> StatementAsync(string sql, string? workspace = null)
    {
        await DrainAsync();
        return Command(sql, workspace);
    }

    /// <summary>As <see cref="StatementAsync"/>, for the staging of a batch itself (which owns the connection while it runs).</summary>
    private NpgsqlCommand Command(string sql, string? workspace)
    {
        var c = new NpgsqlCommand(sql, _conn, _tx);
        c.Parameters.AddWithValue("source_id", SourceId);
        c.Parameters.AddWithValue("workspace", workspace ?? Workspace);
        c.Parameters.AddWithValue("received_at", Scope.ReceivedAt.UtcDateTime);
        c.Parameters.Add(new NpgsqlParameter("raw_document_id", NpgsqlDbType.Bigint) { Value = (object?)RawDocumentId ?? DBNull.Value });
        c.Parameters.AddWithValue("part", _part ?? "");
        return c;
    }

    /// <summary>
    /// The work queued on the connection behind the caller (<see cref="StageAsync"/>, <see cref="InsertRawBehind"/>):
    /// the tail of a chain of tasks on the pool, each starting when the one before it has ended, so the caller parses the
    /// next batches meanwhile. The connection is theirs until the last one ends; everything else that uses the
    /// connection waits for the whole chain first (<see cref="DrainAsync"/>, which every statement goes through).
    /// </summary>
    private Task _staging = Task.CompletedTask;

    /// <summary>
    /// How many batches may be queued behind the caller at once (<see cref="StageAsync"/>): each holds its records until
    /// it is staged. One was the rule before: a batch's probe ran while the next was parsed, and the stored document
    /// and any slower probe (the first after a load) held the parsing up; a re-push of 110,000 unchanged rows waited
    /// 0.4–0.75 s for them (BENCHMARKS.md, the twenty-third session).
    /// </summary>
    private const int MaxQueuedBatches = 4;

    private readonly SemaphoreSlim _queueSlots = new(MaxQueuedBatches, MaxQueuedBatches);

    /// <summary>Queues <paramref name="work"/> behind everything queued before it (its failure, or an earlier one, is the
    /// next drain's); with <paramref name="slot"/>, the work holds a place of <see cref="MaxQueuedBatches"/> until it ends.</summary>
    private void Enqueue(Func<Task> work, bool slot)
    {
        var previous = _staging;
        _staging = Task.Run(async () =>
        {
            try
            {
                await previous;
                await work();
            }
            finally
            {
                if (slot) _queueSlots.Release();
            }
        });
    }

    /// <summary>Waits for everything queued on the connection (the first failure among it is the caller's now).</summary>
    private async Task DrainAsync()
    {
        var pending = _staging;
        _staging = Task.CompletedTask;
        await pending;
    }

    /// <summary>Makes the transaction read-only (a preview): PostgreSQL itself then refuses any write in it.</summary>
    public Task ReadOnlyAsync(CancellationToken ct) => ExecuteAsync(SqlFiles.Get("transaction_read_only"), ct);

    private async Task ExecuteAsync(string sql, CancellationToken ct, string? workspace = null)
    {
        await using var c = await StatementAsync(sql, workspace);
        await c.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Stores the payload as it arrived (before parsing); the features written after point at it.</summary>
    public async Task<long> InsertRawAsync(RawDocument doc, CancellationToken ct)
    {
        await DrainAsync();
        return await InsertRawNowAsync(doc, ct);
    }

    private async Task<long> InsertRawNowAsync(RawDocument doc, CancellationToken ct)
    {
        await using var c = Command(SqlFiles.Get("raw_insert"), null);
        c.Parameters.AddWithValue("ct", (object?)doc.ContentType ?? DBNull.Value);
        c.Parameters.AddWithValue("f", (object?)doc.Format ?? DBNull.Value);
        c.Parameters.AddWithValue("sha", doc.Sha256);
        c.Parameters.AddWithValue("size", doc.Body.Length);
        c.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("body", NpgsqlDbType.Bytea) { TypedValue = doc.Body });
        c.Parameters.AddWithValue("key", (object?)doc.ApiKeyId ?? DBNull.Value);
        c.Parameters.AddWithValue("url", (object?)doc.FetchUrl ?? DBNull.Value);
        var id = (long)(await c.ExecuteScalarAsync(ct))!;
        RawDocumentId = id;
        return id;
    }

    /// <summary>
    /// Stores the payload as <see cref="InsertRawAsync"/> does, queued on the connection behind the caller, who reads the
    /// document meanwhile: a national registry's 14.5 MB took 0.3–0.4 s to store, a sixth of an unchanged re-push, on
    /// the parsing's path. Every later statement of the transaction waits for it (<see cref="RawDocumentId"/> is set
    /// then), so nothing is written before the document it comes from; <see cref="RawTime"/> is how long it took.
    /// </summary>
    public void InsertRawBehind(RawDocument doc) => Enqueue(async () =>
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await InsertRawNowAsync(doc, CancellationToken.None);
        RawTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }, slot: false);

    /// <summary>How long storing the payload took, when it was queued (<see cref="InsertRawBehind"/>).</summary>
    public TimeSpan RawTime { get; private set; }

    /// <summary>Whether this source already delivered exactly these bytes (followed documents are deduplicated so).</summary>
    public async Task<bool> SeenAsync(byte[] sha256, CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("raw_seen"));
        c.Parameters.AddWithValue("h", sha256);
        return (bool)(await c.ExecuteScalarAsync(ct))!;
    }

    public async Task FinishRawAsync(string status, string? format, int accepted, int rejected, CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("raw_finish"));
        c.Parameters.AddWithValue("st", status);
        c.Parameters.AddWithValue("f", (object?)format ?? DBNull.Value);
        c.Parameters.AddWithValue("a", accepted);
        c.Parameters.AddWithValue("r", rejected);
        await c.ExecuteNonQueryAsync(ct);
    }

    public async Task WriteRejectionsAsync(IReadOnlyList<Rejection> rejections, CancellationToken ct)
    {
        if (rejections.Count == 0) return;
        await DrainAsync();
        var rawId = RawDocumentId ?? throw new InvalidOperationException("rejections belong to a stored raw document");
        await using var w = await _conn.BeginBinaryImportAsync("COPY rejection (raw_document_id, at, reason) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var r in rejections)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(rawId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.At, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Reason, NpgsqlDbType.Text, ct);
        }
        await w.CompleteAsync(ct);
    }

    /// <summary>Caps the stored payload of an unparseable document (see raw_trim_rejected.sql).</summary>
    /// <returns>Whether the payload was cut.</returns>
    public async Task<bool> TrimRejectedRawAsync(string? apiKeyId, long keepBytes, long quotaBytes, CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("raw_trim_rejected"));
        c.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)apiKeyId ?? DBNull.Value });
        c.Parameters.AddWithValue("keep", keepBytes);
        c.Parameters.AddWithValue("quota", quotaBytes);
        return await c.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>The municipal boundaries as this transaction sees them (for the record checks).</summary>
    public async Task<DisasterHub.Core.Checks.IBoundaryLookup> BoundariesAsync(BoundarySet boundaries, CancellationToken ct)
    {
        await DrainAsync();
        return await boundaries.CurrentAsync(_conn, _tx, ct);
    }

    /// <summary>
    /// Geometries of features already stored in the workspace for records that come without one (see
    /// resolve_locations.sql), for the record checks' location step (<see cref="DisasterHub.Core.Checks.LocateCheck"/>).
    /// </summary>
    public async Task<Func<FeatureRecord, NetTopologySuite.Geometries.Geometry?>> StoredLocationsAsync(string layer, IReadOnlyList<FeatureRecord> records, CancellationToken ct)
    {
        var found = new Dictionary<FeatureRecord, NetTopologySuite.Geometries.Geometry>(ReferenceEqualityComparer.Instance);
        var missing = records.Where(r => r.Geometry is null || r.Geometry.IsEmpty).ToList();
        if (missing.Count == 0) return _ => null;
        await using var c = await StatementAsync(SqlFiles.Get("resolve_locations"));
        c.Parameters.AddWithValue("entity_keys", missing.Select(r => r.EntityKey ?? "").ToArray());
        c.Parameters.AddWithValue("source_keys", missing.Select(r => r.SourceKey).ToArray());
        c.Parameters.AddWithValue("layer", layer);
        var reader = new WKBReader();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var geom = reader.Read(r.GetFieldValue<byte[]>(1));
            geom.SRID = 4326;
            found[missing[(int)r.GetInt64(0) - 1]] = geom;
        }
        return rec => found.GetValueOrDefault(rec);
    }

    /// <summary>
    /// Cancellations (<see cref="FeatureRecord.CancelsEvent"/>) become the records they retract: every stored feature of
    /// the source, layer and workspace with that <c>attrs.event_id</c>, with status 取消, severity 0, the cancelling
    /// telegram's times and <c>attrs.cancelled_by</c>; they are then written like any other record (upsert, history,
    /// merge), so every read path sees the retraction. A cancellation with nothing stored to retract stays as it is
    /// (without a geometry it is rejected by the shared checks, with its reason).
    /// </summary>
    public async Task ExpandCancellationsAsync(string layer, ParseResult result, CancellationToken ct)
    {
        var cancels = result.Records.Where(r => r.CancelsEvent is not null).ToList();
        if (cancels.Count == 0) return;
        await using var c = await StatementAsync(SqlFiles.Get("cancel_targets"));
        c.Parameters.AddWithValue("events", cancels.Select(r => r.CancelsEvent!).ToArray());
        c.Parameters.AddWithValue("layer", layer);
        var reader = new WKBReader();
        var retracted = new List<(FeatureRecord Cancel, FeatureRecord Target)>();
        await using (var r = await c.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var cancel = cancels[(int)r.GetInt64(0) - 1];
                var geom = reader.Read(r.GetFieldValue<byte[]>(6));
                geom.SRID = 4326;
                var attrs = System.Text.Json.Nodes.JsonNode.Parse(r.GetString(8)) as System.Text.Json.Nodes.JsonObject ?? [];
                attrs["info_type"] = "取消";
                attrs["cancelled_by"] = cancel.Attrs["title"]?.DeepClone() ?? cancel.Name;
                var storedAt = r.GetFieldValue<DateTimeOffset>(7);
                retracted.Add((cancel, new FeatureRecord
                {
                    Layer = layer,
                    SourceKey = r.GetString(1),
                    EntityKey = r.GetString(2),
                    MunicipalityCode = r.IsDBNull(3) ? null : r.GetString(3),
                    Name = r.IsDBNull(4) ? null : r.GetString(4),
                    Address = r.IsDBNull(5) ? null : r.GetString(5),
                    Geometry = geom,
                    Status = "取消",
                    Severity = 0,
                    // never older than what it retracts (an older observation does not overwrite a newer one)
                    ObservedAt = cancel.ObservedAt is { } t && t > storedAt ? t : storedAt,
                    ReportedAt = cancel.ReportedAt,
                    Attrs = attrs,
                    Location = cancel.Location,
                }));
            }
        }
        var done = retracted.Select(x => x.Cancel).ToHashSet();
        var targets = retracted.Select(x => x.Target).ToList();
        var keys = targets.Select(t => t.SourceKey).ToHashSet(StringComparer.Ordinal);
        // the cancellation stands for what it retracted; a record of the same key in the document gives way to it
        result.Records.RemoveAll(r => done.Contains(r) || keys.Contains(r.SourceKey));
        result.Records.AddRange(targets);
    }

    /// <summary>
    /// Stages the records with binary COPY, drops the unchanged ones (same content hash as the current state), then
    /// writes history, current state and the merged layer for the rest in set-based statements, in the scope's
    /// workspace or the one given (exercise records routed to a drill).
    /// </summary>
    /// <returns>How many current-state rows were inserted or changed.</returns>
    public async Task<int> WriteFeaturesAsync(IReadOnlyList<FeatureRecord> records, ICollection<NotCurrent>? notCurrent, CancellationToken ct,
        string? workspace = null)
    {
        if (records.Count == 0) return 0;
        await BeginStagingAsync(ct, workspace);
        await StageAsync(records, ct);
        return await WriteStagedAsync(notCurrent, ct);
    }

    /// <summary>
    /// Opens the staging table for a document read in batches (issue 16 §1): each batch is then copied in with
    /// <see cref="StageAsync"/> as it is parsed, and <see cref="WriteStagedAsync"/> writes them all at once.
    /// </summary>
    /// <remarks>When the source already has features in the workspace, each batch's keys and content hashes are probed
    /// first (<c>ingest_probe.sql</c>) and only the records that changed are copied in full.</remarks>
    public async Task BeginStagingAsync(CancellationToken ct, string? workspace = null)
    {
        await DrainAsync(); // a batch in flight still probes the workspace it was staged for
        _stagingWorkspace = workspace;
        await ExecuteAsync(SqlFiles.Get("ingest_staging"), ct);
        // a source with features here has them in one partition, which its probes and writes name (pruned to it); a
        // first load's partition is decided once its size is known (WriteStagedAsync)
        await using var c = await StatementAsync(SqlFiles.Get("ingest_source_has_features"), workspace);
        // prepared (kept on the pooled connection): it names no temporary table, and planning it over feature's
        // partitions took 0.55 ms of every push, twice what running it does
        await c.PrepareAsync(ct);
        await using var r = await c.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        _probe = r.GetBoolean(0);
        _part = r.IsDBNull(1) ? null : r.GetString(1);
        _partRows = r.IsDBNull(2) ? 0 : r.GetFloat(2);
        _current = null;
        _probed = 0;
    }

    private string? _stagingWorkspace;
    private bool _probe;

    /// <summary>How many rows PostgreSQL counts in the source's own partition of feature (0: unknown, or the shared one).</summary>
    private float _partRows;

    /// <summary>Records of this staging probed so far (<see cref="ChangedAsync"/>).</summary>
    private long _probed;

    /// <summary>The source's current content hash by key, once read at once (ingest_current_hashes.sql); null: probed per batch.</summary>
    private Dictionary<string, byte[]>? _current;

    /// <summary>
    /// From how many probed records, per row of the source's partition, its current hashes are read at once instead
    /// of probed key by key: a probe costs ~8 µs a key, the read ~2.4 µs a row with the transfer and the dictionary
    /// (ingest_current_hashes.sql). A whole registry re-pushed probes two batches of 110,000 rows first; a small push to a
    /// large source never reads the rest. The worst case is a document of about an eighth of the partition, which reads
    /// it for its last batch (~0.2 s more at 110,000 rows).
    /// </summary>
    private const int ProbesPerReadRow = 8;

    /// <summary>
    /// The largest partition whose hashes are read at once (~150 bytes a key in memory, ~75 MB at this bound): beyond, it
    /// is probed per batch. A re-push of a 1,000,000-row document peaked at 618 MB RSS with per-batch probes (BENCHMARKS.md).
    /// </summary>
    private const int MaxReadHashes = 500_000;

    /// <summary>The partition of feature the staged records are written to (migration 0060: the source id, or '' for
    /// the shared one); null until known. Every statement binds it as @part.</summary>
    private string? _part;

    /// <summary>Records copied into staging so far: the changed ones (an unchanged record is probed, not copied).</summary>
    public int Staged { get; private set; }

    /// <summary>Writes what was staged since <see cref="BeginStagingAsync"/> (see <see cref="WriteFeaturesAsync"/>) and drops the staging.</summary>
    public async Task<int> WriteStagedAsync(ICollection<NotCurrent>? notCurrent, CancellationToken ct)
    {
        var workspace = _stagingWorkspace;
        // unchanged records never reached staging (the probe); the source's multi-feature entities whose ranking the
        // clock may have changed are noted for the recheck (ingest_unchanged.sql): when there is nothing to write,
        // nothing else is written
        long toWrite;
        await using (var c = await StatementAsync(SqlFiles.Get("ingest_unchanged"), workspace))
        {
            c.Parameters.AddWithValue("now", Scope.ReceivedAt.UtcDateTime);
            toWrite = (long)(await c.ExecuteScalarAsync(ct))!;
        }
        if (toWrite == 0)
        {
            await ExecuteAsync("DROP TABLE staging, recheck", ct);
            return 0;
        }
        // a source's large first load goes into a fresh partition, indexed after (ingest_bulk_features.sql); everything
        // else upserts into the partition the source's rows are in (its own, or the shared one: migration 0060). Only a
        // source without features in this workspace can be at its first load.
        var firstLoad = !_probe && toWrite >= Scope.OwnPartitionFrom && await FirstLoadAsync(ct);
        _part = firstLoad ? SourceId : _part ?? await PartAsync(ct);
        await ExecuteAsync(SqlFiles.Get("ingest_entities"), ct, workspace);
        // states older than the current ones: only a source with features in the workspace has any (_probe)
        if (_probe)
        {
            await using var c = await StatementAsync(SqlFiles.Get("ingest_older"), workspace);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                notCurrent?.Add(new NotCurrent(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2)));
        }
        int changed;
        await using (var c = await StatementAsync(SqlFiles.Get(firstLoad ? "ingest_bulk_features" : "ingest_features")
                         .Replace("{feature_rows}", SqlFiles.Get("ingest_feature_rows"), StringComparison.Ordinal), workspace))
        {
            c.Parameters.AddWithValue("expected_interval_seconds", (double)Scope.ExpectedIntervalSeconds);
            changed = await c.ExecuteNonQueryAsync(ct);
        }
        // a first load inserts every staged record, which is what ingest_unchanged counted (nothing to recheck: no
        // feature of the source was unchanged)
        if (firstLoad) changed = (int)toWrite;
        await MergeTouchedAsync(workspace, toWrite, firstLoad, ct);
        // one document may write two workspaces (exercise records routed to a drill): the next call starts clean
        await ExecuteAsync("DROP TABLE staging, touched, retired, recheck", ct);
        return changed;
    }

    /// <summary>
    /// Withdraws features of the scope's source and workspace — closed into history with a withdrawal marker — and
    /// merges their entities again or, left with no feature, takes them out of the merged layer (<c>ingest_withdraw.sql</c>).
    /// With <paramref name="absent"/>, a full replacement (issue 16 §5): <paramref name="keys"/> are every key the
    /// document held, and the features whose keys it no longer holds are withdrawn; without, the keys listed are (a
    /// drill's replay of live withdrawals). Returns how many were withdrawn.
    /// </summary>
    public async Task<int> WithdrawAsync(IReadOnlyCollection<string> keys, bool absent, CancellationToken ct)
    {
        await ExecuteAsync("CREATE TEMP TABLE listed (source_key text PRIMARY KEY) ON COMMIT DROP", ct);
        await using (var w = await _conn.BeginBinaryImportAsync("COPY listed (source_key) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var key in keys)
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(key, NpgsqlDbType.Text, ct);
            }
            await w.CompleteAsync(ct);
        }
        int withdrawn;
        await using (var c = await StatementAsync(SqlFiles.Get("ingest_withdraw")))
        {
            c.Parameters.AddWithValue("absent", absent);
            withdrawn = (int)(long)(await c.ExecuteScalarAsync(ct))!;
        }
        if (withdrawn > 0)
        {
            await MergeTouchedAsync(null, withdrawn, bulk: false, ct);
        }
        await ExecuteAsync("DROP TABLE listed, withdrawn, touched, retired", ct);
        return withdrawn;
    }

    /// <summary>Withdrawals a preview lists at most (the count is always complete).</summary>
    public const int MaxListedWithdrawals = 1000;

    /// <summary>
    /// What <see cref="WithdrawAsync"/> with <c>absent</c> would withdraw, read only (a preview): how many of the
    /// source's current features the keys leave out, and the first of them by key (ingest_would_withdraw.sql).
    /// </summary>
    public async Task<(int Count, IReadOnlyList<(string Key, string? Name)> Listed)> WouldWithdrawAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("ingest_would_withdraw"));
        c.Parameters.AddWithValue("keys", keys.ToArray());
        c.Parameters.AddWithValue("listed", MaxListedWithdrawals);
        var listed = new List<(string, string?)>();
        var count = 0;
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            count = (int)r.GetInt64(2);
            if (!r.IsDBNull(0)) listed.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)));
        }
        return (count, listed);
    }

    /// <summary>
    /// From this many touched records on, the merge reads the touched entities' keys (merge_keys.sql) from an analyzed
    /// temporary table; below it, as a subquery. The table keeps a national merge's joins planned for their real size
    /// (a guess of a few rows joined to a freshly attached partition as a nested loop); creating, analyzing and dropping
    /// it cost a push of a few records ~1 ms more (pgbench, the merge alone: 11.0–12.1 → 11.7–13.1 ms).
    /// </summary>
    public const int MergeKeysTableFrom = 1000;

    /// <summary>Merges the entities in <c>touched</c> again (merge_entities.sql) and tells every node what changed (notify_changes.sql).</summary>
    /// <param name="records">How many records touched them (staged, or withdrawn): <see cref="MergeKeysTableFrom"/>.</param>
    /// <param name="bulk">A source's first load written to its own partition of feature: the merged rows of the
    /// entities only it has go into the source's own partition of merged_feature, indexed after (merge_bulk.sql,
    /// migration 0061), and the merge writes the rest.</param>
    private async Task MergeTouchedAsync(string? workspace, long records, bool bulk, CancellationToken ct)
    {
        await using (var l = await StatementAsync(SqlFiles.Get("merge_lock"), workspace))
        {
            l.Parameters.AddWithValue("exclusive", bulk);
            await l.ExecuteNonQueryAsync(ct);
        }
        var keys = SqlFiles.Get("merge_keys");
        var table = bulk || records >= MergeKeysTableFrom;
        if (table) await ExecuteAsync($"CREATE TEMP TABLE merge_keys ON COMMIT DROP AS\n{keys};\nANALYZE merge_keys", ct, workspace);
        if (bulk) await ExecuteAsync(SqlFiles.Get("merge_bulk"), ct, workspace);
        await using (var merge = await StatementAsync(SqlFiles.Get("merge_entities")
                         .Replace("{merge_keys}", table ? "merge_keys" : $"(\n{keys}\n)", StringComparison.Ordinal), workspace))
        {
            merge.Parameters.AddWithValue("now", Scope.ReceivedAt.UtcDateTime);
            merge.Parameters.Add(new NpgsqlParameter("stale_limits", NpgsqlDbType.Jsonb) { Value = IngestStore.StaleLimitsJson(Scope.StaleLimits) });
            // a first load's bulk path merged its partition's single-feature entities already (skipped)
            merge.Parameters.AddWithValue("bulk", bulk);
            await merge.ExecuteNonQueryAsync(ct);
        }
        // one document may merge two workspaces (exercise records routed to a drill): the next merge starts clean
        if (table) await ExecuteAsync("DROP TABLE merge_keys", ct);
        await ExecuteAsync(SqlFiles.Get("notify_changes"), ct, workspace);
    }

    /// <summary>Whether this is the source's first load: no partition of feature for it yet and no rows in the shared one (ingest_first_load.sql).</summary>
    private async Task<bool> FirstLoadAsync(CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("ingest_first_load"));
        return (bool)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The partition of feature the source's rows are in: its id, or '' for the shared one (ingest_part.sql).</summary>
    private async Task<string> PartAsync(CancellationToken ct)
    {
        await using var c = await StatementAsync(SqlFiles.Get("ingest_part"));
        return (string)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Copies records into the staging table (binary COPY); a document read in batches calls it once per batch. When
    /// the source already has features, the batch's content hashes are probed first and unchanged records are not copied.
    /// </summary>
    /// <remarks>
    /// When there are stored records to probe, returns once the batch is queued (<see cref="MaxQueuedBatches"/> at most
    /// wait): its hashing, probe and COPY run on the pool, after the batches before it, while the caller parses the next
    /// ones (the probe's index lookups run in PostgreSQL meanwhile — on two cores they were a third of an unchanged
    /// re-push). The records must not change after the call; every other use of the transaction waits for the queue.
    /// </remarks>
    public async Task StageAsync(IReadOnlyList<FeatureRecord> records, CancellationToken ct)
    {
        if (records.Count == 0) return;
        // Nothing to probe (a first load, or a source new to the workspace): every record is copied, and copying on the
        // pool next to the parsing of the next batch made no first load faster but a 1,000,000-row one peak at 658 MB
        // RSS (574 in turn; the goal is 600): staged here, in turn.
        if (!_probe)
        {
            await DrainAsync();
            await StageNowAsync(records, ct);
            return;
        }
        // a batch queued before that failed ends the reading here (its failure is the caller's), not after the document
        if (_staging.IsFaulted || _staging.IsCanceled) await DrainAsync();
        // a place in the queue first: at most MaxQueuedBatches batches wait with their records
        await _queueSlots.WaitAsync(ct);
        Enqueue(() => StageNowAsync(records, ct), slot: true);
    }

    private async Task StageNowAsync(IReadOnlyList<FeatureRecord> records, CancellationToken ct)
    {
        var (geoms, attrsJson, hashes) = IngestStore.EncodeForStaging(records);
        // nothing stored to compare with (a first load): every record is copied
        var changed = _probe ? await ChangedAsync(records, hashes, ct) : Enumerable.Range(0, records.Count).ToList();
        if (changed.Count == 0) return;
        await using var w = await _conn.BeginBinaryImportAsync(
            "COPY staging (layer, source_key, entity_key, name_key, municipality_code, name, address, wkb, source_crs, status, severity, observed_at, reported_at, classification, attrs, content_hash, valid_from, valid_until, spatial_key) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var i in changed) await WriteRowAsync(w, records[i], geoms[i], attrsJson[i], hashes[i], ct);
        await w.CompleteAsync(ct);
        Staged += changed.Count;
    }

    /// <summary>
    /// The positions of the records whose content differs from the current state: probed key by key
    /// (ingest_probe.sql), or, once the document has probed enough of a large source's records
    /// (<see cref="ProbesPerReadRow"/>), compared with the source's current hashes read at once (ingest_current_hashes.sql).
    /// </summary>
    private async Task<List<int>> ChangedAsync(IReadOnlyList<FeatureRecord> records, byte[][] hashes, CancellationToken ct)
    {
        _probed += records.Count;
        if (_current is null && _part is { Length: > 0 } && _partRows is > 0 and <= MaxReadHashes && _partRows <= ProbesPerReadRow * _probed)
            _current = await CurrentHashesAsync(ct);
        if (_current is { } current)
        {
            var differ = new List<int>();
            for (var i = 0; i < records.Count; i++)
                if (!current.TryGetValue(records[i].SourceKey, out var stored) || !stored.AsSpan().SequenceEqual(hashes[i])) differ.Add(i);
            return differ;
        }
        await using var probe = Command(SqlFiles.Get("ingest_probe"), _stagingWorkspace);
        probe.Parameters.AddWithValue("keys", records.Select(r => r.SourceKey).ToArray());
        probe.Parameters.AddWithValue("hashes", hashes);
        var changed = new List<int>();
        await using var reader = await probe.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) changed.Add((int)reader.GetInt64(0) - 1);
        return changed;
    }

    /// <summary>Every current key and content hash of the source in the staging's workspace, from its own partition.</summary>
    private async Task<Dictionary<string, byte[]>> CurrentHashesAsync(CancellationToken ct)
    {
        var current = new Dictionary<string, byte[]>((int)_partRows, StringComparer.Ordinal);
        await using var c = Command(SqlFiles.Get("ingest_current_hashes"), _stagingWorkspace);
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) current[r.GetString(0)] = r.GetFieldValue<byte[]>(1);
        HashesRead += current.Count;
        return current;
    }

    /// <summary>Current hashes read at once so far (<see cref="CurrentHashesAsync"/>; 0: every batch was probed key by key).</summary>
    public int HashesRead { get; private set; }

    private async Task WriteRowAsync(NpgsqlBinaryImporter w, FeatureRecord r, byte[] geomBytes, byte[] attrs, byte[] hash, CancellationToken ct)
    {
        await w.StartRowAsync(ct);
        await w.WriteAsync(r.Layer, NpgsqlDbType.Text, ct);
        await w.WriteAsync(r.SourceKey, NpgsqlDbType.Text, ct);
        await WriteNullable(w, r.EntityKey ?? IngestStore.NameKey(r) ?? $"{r.Layer}:{r.SourceKey}", ct);
        await WriteNullable(w, IngestStore.NameKey(r), ct);
        await WriteNullable(w, r.MunicipalityCode, ct);
        await WriteNullable(w, r.Name, ct);
        await WriteNullable(w, r.Address, ct);
        await w.WriteAsync(geomBytes, NpgsqlDbType.Bytea, ct);
        await w.WriteAsync(r.SourceCrs, NpgsqlDbType.Text, ct);
        await WriteNullable(w, r.Status, ct);
        if (r.Severity is { } sev) await w.WriteAsync((short)sev, NpgsqlDbType.Smallint, ct); else await w.WriteNullAsync(ct);
        await w.WriteAsync((r.ObservedAt ?? Scope.ReceivedAt).UtcDateTime, NpgsqlDbType.TimestampTz, ct);
        if (r.ReportedAt is { } rep) await w.WriteAsync(rep.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
        await w.WriteAsync(r.Classification, NpgsqlDbType.Text, ct);
        await w.WriteAsync(System.Text.Encoding.UTF8.GetString(attrs), NpgsqlDbType.Jsonb, ct);
        await w.WriteAsync(hash, NpgsqlDbType.Bytea, ct);
        if (r.ValidFrom is { } vf) await w.WriteAsync(vf.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
        if (r.ValidUntil is { } vu) await w.WriteAsync(vu.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
        await w.WriteAsync(IngestStore.SpatialKey(r.Geometry), NpgsqlDbType.Integer, ct);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter w, string? value, CancellationToken ct)
    {
        if (value is null) await w.WriteNullAsync(ct);
        else await w.WriteAsync(value, NpgsqlDbType.Text, ct);
    }

    /// <summary>Records the source's mark in this transaction (with what it ingested, or instead of it).</summary>
    public async Task MarkSourceAsync(SourceMark mark, CancellationToken ct)
    {
        await DrainAsync();
        await using var c = mark.Command(SourceId);
        c.Connection = _conn;
        c.Transaction = _tx;
        await c.ExecuteNonQueryAsync(ct);
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        await DrainAsync();
        await _tx.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        // a batch still being staged (the ingest failed part-way) ends before the connection goes back to the pool
        try { await DrainAsync(); }
        catch (Exception) { /* the ingest's own failure is the one reported; this transaction rolls back */ }
        await _tx.DisposeAsync();
        await _conn.DisposeAsync();
    }
}
