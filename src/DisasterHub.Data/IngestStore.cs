using System.Security.Cryptography;
using System.Text;
using DisasterHub.Core;
using NetTopologySuite.IO;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>A payload as it arrived, before parsing.</summary>
public sealed record RawDocument(
    string SourceId, string Workspace, DateTimeOffset ReceivedAt, string? ContentType, string? Format,
    ReadOnlyMemory<byte> Body, string? ApiKeyId, string? FetchUrl)
{
    public byte[] Sha256 { get; } = SHA256.HashData(Body.Span);
}

/// <summary>A record accepted into history that did not replace the current state, which is newer.</summary>
public sealed record NotCurrent(string SourceKey, DateTimeOffset ObservedAt, DateTimeOffset CurrentObservedAt);

/// <summary>
/// The writes behind <see cref="IngestTransaction"/> (DESIGN §2 "one database transaction per document"), which is how
/// ingest calls them; a drill replay writes features with its own transaction, and a source is marked outside an ingest
/// through <see cref="MarkSourceAsync(NpgsqlDataSource, string, SourceMark, CancellationToken)"/>.
/// </summary>
public static class IngestStore
{
    internal static async Task<long> InsertRawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, RawDocument doc, CancellationToken ct)
    {
        await using var c = new NpgsqlCommand("""
            INSERT INTO raw_document (source_id, workspace, received_at, content_type, format, sha256, size_bytes, body, api_key_id, fetch_url)
            VALUES (@s, @w, @r, @ct, @f, @sha, @size, @body, @key, @url) RETURNING id
            """, conn, tx);
        c.Parameters.AddWithValue("s", doc.SourceId);
        c.Parameters.AddWithValue("w", doc.Workspace);
        c.Parameters.AddWithValue("r", doc.ReceivedAt.UtcDateTime);
        c.Parameters.AddWithValue("ct", (object?)doc.ContentType ?? DBNull.Value);
        c.Parameters.AddWithValue("f", (object?)doc.Format ?? DBNull.Value);
        c.Parameters.AddWithValue("sha", doc.Sha256);
        c.Parameters.AddWithValue("size", doc.Body.Length);
        c.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("body", NpgsqlDbType.Bytea) { TypedValue = doc.Body });
        c.Parameters.AddWithValue("key", (object?)doc.ApiKeyId ?? DBNull.Value);
        c.Parameters.AddWithValue("url", (object?)doc.FetchUrl ?? DBNull.Value);
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Whether this source already delivered exactly these bytes (followed documents are deduplicated so).</summary>
    internal static async Task<bool> SeenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sourceId, byte[] sha256, CancellationToken ct)
    {
        await using var c = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM raw_document WHERE source_id = @s AND sha256 = @h AND status = 'parsed')", conn, tx);
        c.Parameters.AddWithValue("s", sourceId);
        c.Parameters.AddWithValue("h", sha256);
        return (bool)(await c.ExecuteScalarAsync(ct))!;
    }

    internal static async Task FinishRawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long rawId, string status, string? format, int accepted, int rejected, CancellationToken ct)
    {
        await using var c = new NpgsqlCommand("UPDATE raw_document SET status = @st, format = coalesce(@f, format), accepted = @a, rejected = @r WHERE id = @id", conn, tx);
        c.Parameters.AddWithValue("st", status);
        c.Parameters.AddWithValue("f", (object?)format ?? DBNull.Value);
        c.Parameters.AddWithValue("a", accepted);
        c.Parameters.AddWithValue("r", rejected);
        c.Parameters.AddWithValue("id", rawId);
        await c.ExecuteNonQueryAsync(ct);
    }

    internal static async Task WriteRejectionsAsync(NpgsqlConnection conn, long rawId, IReadOnlyList<Rejection> rejections, CancellationToken ct)
    {
        if (rejections.Count == 0) return;
        await using var w = await conn.BeginBinaryImportAsync("COPY rejection (raw_document_id, at, reason) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var r in rejections)
        {
            await w.StartRowAsync(ct);
            await w.WriteAsync(rawId, NpgsqlDbType.Bigint, ct);
            await w.WriteAsync(r.At, NpgsqlDbType.Text, ct);
            await w.WriteAsync(r.Reason, NpgsqlDbType.Text, ct);
        }
        await w.CompleteAsync(ct);
    }

    /// <summary>
    /// Geometries of features already stored for records that come without one (see resolve_locations.sql), for the
    /// record checks' location step (<see cref="DisasterHub.Core.Checks.LocateCheck"/>) to use.
    /// </summary>
    internal static async Task<Func<FeatureRecord, NetTopologySuite.Geometries.Geometry?>> StoredLocationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string workspace, string layer, IReadOnlyList<FeatureRecord> records, CancellationToken ct)
    {
        var found = new Dictionary<FeatureRecord, NetTopologySuite.Geometries.Geometry>(ReferenceEqualityComparer.Instance);
        var missing = records.Where(r => r.Geometry is null || r.Geometry.IsEmpty).ToList();
        if (missing.Count == 0) return _ => null;
        await using var c = new NpgsqlCommand(SqlFiles.Get("resolve_locations"), conn, tx);
        c.Parameters.AddWithValue("entity_keys", missing.Select(r => r.EntityKey ?? "").ToArray());
        c.Parameters.AddWithValue("source_keys", missing.Select(r => r.SourceKey).ToArray());
        c.Parameters.AddWithValue("workspace", workspace);
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
    internal static async Task ExpandCancellationsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sourceId, string workspace, string layer,
        ParseResult result, CancellationToken ct)
    {
        var cancels = result.Records.Where(r => r.CancelsEvent is not null).ToList();
        if (cancels.Count == 0) return;
        await using var c = new NpgsqlCommand(SqlFiles.Get("cancel_targets"), conn, tx);
        c.Parameters.AddWithValue("events", cancels.Select(r => r.CancelsEvent!).ToArray());
        c.Parameters.AddWithValue("workspace", workspace);
        c.Parameters.AddWithValue("source_id", sourceId);
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
    /// writes history, current state and the merged layer for the rest in set-based statements.
    /// </summary>
    /// <returns>How many current-state rows were inserted or changed.</returns>
    public static async Task<int> WriteFeaturesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sourceId, string workspace,
        long rawId, DateTimeOffset receivedAt, int expectedIntervalSeconds, IReadOnlyList<FeatureRecord> records, CancellationToken ct,
        bool rawIsOptional = false, IReadOnlyDictionary<string, TimeSpan>? staleLimits = null, ICollection<NotCurrent>? notCurrent = null)
    {
        if (records.Count == 0) return 0;
        await using (var c = new NpgsqlCommand(SqlFiles.Get("ingest_staging"), conn, tx)) await c.ExecuteNonQueryAsync(ct);
        var wkb = new WKBWriter(ByteOrder.LittleEndian, false, false, false);
        await using (var w = await conn.BeginBinaryImportAsync(
            "COPY staging (layer, source_key, entity_key, name_key, municipality_code, name, address, wkb, source_crs, status, severity, observed_at, reported_at, classification, attrs, content_hash, valid_from, valid_until) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var r in records)
            {
                var geomBytes = wkb.Write(r.Geometry);
                var attrs = r.Attrs.ToJsonString();
                await w.StartRowAsync(ct);
                await w.WriteAsync(r.Layer, NpgsqlDbType.Text, ct);
                await w.WriteAsync(r.SourceKey, NpgsqlDbType.Text, ct);
                await WriteNullable(w, r.EntityKey ?? NameKey(r) ?? $"{r.Layer}:{r.SourceKey}", ct);
                await WriteNullable(w, NameKey(r), ct);
                await WriteNullable(w, r.MunicipalityCode, ct);
                await WriteNullable(w, r.Name, ct);
                await WriteNullable(w, r.Address, ct);
                await w.WriteAsync(geomBytes, NpgsqlDbType.Bytea, ct);
                await w.WriteAsync(r.SourceCrs, NpgsqlDbType.Text, ct);
                await WriteNullable(w, r.Status, ct);
                if (r.Severity is { } sev) await w.WriteAsync((short)sev, NpgsqlDbType.Smallint, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync((r.ObservedAt ?? receivedAt).UtcDateTime, NpgsqlDbType.TimestampTz, ct);
                if (r.ReportedAt is { } rep) await w.WriteAsync(rep.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(r.Classification, NpgsqlDbType.Text, ct);
                await w.WriteAsync(attrs, NpgsqlDbType.Jsonb, ct);
                await w.WriteAsync(ContentHash(r, geomBytes, attrs), NpgsqlDbType.Bytea, ct);
                if (r.ValidFrom is { } vf) await w.WriteAsync(vf.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
                if (r.ValidUntil is { } vu) await w.WriteAsync(vu.UtcDateTime, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
            }
            await w.CompleteAsync(ct);
        }
        // unchanged records leave staging first (ingest_unchanged.sql): when nothing is left, nothing else is written
        await using (var c = new NpgsqlCommand(SqlFiles.Get("ingest_unchanged"), conn, tx))
        {
            c.Parameters.AddWithValue("source_id", sourceId);
            c.Parameters.AddWithValue("workspace", workspace);
            if ((long)(await c.ExecuteScalarAsync(ct))! == 0)
            {
                await using var dropStaging = new NpgsqlCommand("DROP TABLE staging, recheck", conn, tx);
                await dropStaging.ExecuteNonQueryAsync(ct);
                return 0;
            }
        }
        await using (var c = new NpgsqlCommand(SqlFiles.Get("ingest_entities"), conn, tx))
        {
            c.Parameters.AddWithValue("source_id", sourceId);
            c.Parameters.AddWithValue("workspace", workspace);
            await c.ExecuteNonQueryAsync(ct);
        }
        if (notCurrent is not null)
        {
            await using var c = new NpgsqlCommand(SqlFiles.Get("ingest_not_current"), conn, tx);
            c.Parameters.AddWithValue("source_id", sourceId);
            c.Parameters.AddWithValue("workspace", workspace);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                notCurrent.Add(new NotCurrent(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetFieldValue<DateTimeOffset>(2)));
        }
        await using (var c = new NpgsqlCommand(SqlFiles.Get("ingest_versions"), conn, tx))
        {
            AddCommon(c);
            await c.ExecuteNonQueryAsync(ct);
        }
        await using (var c = new NpgsqlCommand(SqlFiles.Get("ingest_features"), conn, tx))
        {
            AddCommon(c);
            c.Parameters.AddWithValue("expected_interval_seconds", (double)expectedIntervalSeconds);
            var changed = await c.ExecuteNonQueryAsync(ct);
            await using var merge = new NpgsqlCommand(SqlFiles.Get("merge_entities"), conn, tx);
            merge.Parameters.AddWithValue("workspace", workspace);
            merge.Parameters.AddWithValue("now", receivedAt.UtcDateTime);
            merge.Parameters.Add(new NpgsqlParameter("stale_limits", NpgsqlDbType.Jsonb) { Value = StaleLimitsJson(staleLimits) });
            await merge.ExecuteNonQueryAsync(ct);
            await using var notify = new NpgsqlCommand(SqlFiles.Get("notify_changes"), conn, tx);
            notify.Parameters.AddWithValue("workspace", workspace);
            await notify.ExecuteNonQueryAsync(ct);
            // one document may write two workspaces (exercise records routed to a drill): the next call starts clean
            await using var drop = new NpgsqlCommand("DROP TABLE staging, touched, retired, recheck", conn, tx);
            await drop.ExecuteNonQueryAsync(ct);
            return changed;
        }

        void AddCommon(NpgsqlCommand c)
        {
            c.Parameters.AddWithValue("source_id", sourceId);
            c.Parameters.AddWithValue("workspace", workspace);
            c.Parameters.AddWithValue("received_at", receivedAt.UtcDateTime);
            c.Parameters.Add(new NpgsqlParameter("raw_document_id", NpgsqlDbType.Bigint) { Value = rawIsOptional && rawId == 0 ? DBNull.Value : rawId });
        }
    }

    /// <summary>Per-layer staleness limits as merge_entities.sql reads them: {"shelters": 21600} (seconds).</summary>
    public static string StaleLimitsJson(IReadOnlyDictionary<string, TimeSpan>? limits) =>
        System.Text.Json.JsonSerializer.Serialize((limits ?? new Dictionary<string, TimeSpan>())
            .Where(kv => kv.Value > TimeSpan.Zero).ToDictionary(kv => kv.Key, kv => kv.Value.TotalSeconds));

    /// <summary>Municipality code + normalized name: the identity of a thing no national id names (DESIGN §2).</summary>
    public static string? NameKey(FeatureRecord r) =>
        r.MunicipalityCode is { } m && r.Name is { Length: > 0 } n ? $"{m}:{NameNormalizer.Normalize(n)}" : null;

    private static async Task WriteNullable(NpgsqlBinaryImporter w, string? value, CancellationToken ct)
    {
        if (value is null) await w.WriteNullAsync(ct);
        else await w.WriteAsync(value, NpgsqlDbType.Text, ct);
    }

    /// <summary>
    /// What makes two states of a record "the same": everything it says except when it was said or received, so an
    /// unchanged row in a re-published document adds nothing to history.
    /// </summary>
    public static byte[] ContentHash(FeatureRecord r, byte[] wkb, string attrsJson)
    {
        var sb = new StringBuilder();
        foreach (var part in new[] { r.Layer, r.EntityKey, r.MunicipalityCode, r.Name, r.Address, r.SourceCrs, r.Status,
                     r.Severity?.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Classification, attrsJson, Convert.ToHexString(wkb) })
            sb.Append(part ?? "\u0000").Append('\u001f');
        // validity only when given, so the hashes of records without it stay what they were before validity existed
        if (r.ValidFrom is not null || r.ValidUntil is not null)
            sb.Append("valid:").Append(r.ValidFrom?.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append('/').Append(r.ValidUntil?.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>Caps the stored payload of an unparseable document (see raw_trim_rejected.sql).</summary>
    /// <returns>Whether the payload was cut.</returns>
    internal static async Task<bool> TrimRejectedRawAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long rawId, string sourceId, string? apiKeyId,
        long keepBytes, long quotaBytes, CancellationToken ct)
    {
        await using var c = new NpgsqlCommand(SqlFiles.Get("raw_trim_rejected"), conn, tx);
        c.Parameters.AddWithValue("id", rawId);
        c.Parameters.AddWithValue("source", sourceId);
        c.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = (object?)apiKeyId ?? DBNull.Value });
        c.Parameters.AddWithValue("keep", keepBytes);
        c.Parameters.AddWithValue("quota", quotaBytes);
        return await c.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>Deletes Idempotency-Key answers older than <paramref name="before"/>.</summary>
    public static async Task<int> PruneIdempotencyAsync(NpgsqlDataSource db, DateTimeOffset before, CancellationToken ct)
    {
        await using var c = db.CreateCommand("DELETE FROM idempotency WHERE created_at < @t");
        c.Parameters.AddWithValue("t", before.UtcDateTime);
        return await c.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A source's mark outside an ingest (a 304, a failed pull, a follower with nothing new).</summary>
    public static async Task MarkSourceAsync(NpgsqlDataSource db, string sourceId, SourceMark mark, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await MarkSourceAsync(conn, null, sourceId, mark, ct);
    }

    internal static async Task MarkSourceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sourceId, SourceMark mark, CancellationToken ct)
    {
        // a follower's cursor moves in the transaction that ingested what it covers (nothing skipped or repeated on a crash)
        var sql = mark.Error is null
            ? """
              UPDATE source SET last_attempt_at = @at, last_success_at = @at,
                  last_etag = coalesce(@etag, last_etag), last_modified = coalesce(@lm, last_modified),
                  last_raw_sha256 = coalesce(@sha, last_raw_sha256), watermark = greatest(watermark, @wm),
                  cursor = coalesce(@cursor, cursor), cursor_at = CASE WHEN @cursor IS NULL THEN cursor_at ELSE @at END
              WHERE id = @id
              """
            : "UPDATE source SET last_attempt_at = @at, last_error_at = @at, last_error = @err WHERE id = @id";
        await using var c = new NpgsqlCommand(sql, conn, tx);
        c.Parameters.AddWithValue("id", sourceId);
        c.Parameters.AddWithValue("at", mark.At.UtcDateTime);
        c.Parameters.AddWithValue("err", (object?)mark.Error ?? DBNull.Value);
        c.Parameters.Add(new NpgsqlParameter("etag", NpgsqlDbType.Text) { Value = (object?)mark.Etag ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("lm", NpgsqlDbType.Text) { Value = (object?)mark.LastModified ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("sha", NpgsqlDbType.Bytea) { Value = (object?)mark.Sha256 ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("wm", NpgsqlDbType.TimestampTz) { Value = (object?)mark.Watermark?.UtcDateTime ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("cursor", NpgsqlDbType.Text) { Value = (object?)mark.Cursor ?? DBNull.Value });
        await c.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Adds a pull's counts to a follower's (follower_counts.sql); null delay and gap leave the last ones.</summary>
    public static async Task AddFollowerCountsAsync(NpgsqlDataSource db, string sourceId, long seen, long taken, long duplicates, long? delayMs,
        DateTimeOffset? gapSince, DateTimeOffset? gapUntil, CancellationToken ct)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("follower_counts"));
        c.Parameters.AddWithValue("seen", seen);
        c.Parameters.AddWithValue("taken", taken);
        c.Parameters.AddWithValue("dups", duplicates);
        c.Parameters.Add(new NpgsqlParameter("delay", NpgsqlDbType.Bigint) { Value = (object?)delayMs ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("gap_since", NpgsqlDbType.TimestampTz) { Value = (object?)gapSince?.UtcDateTime ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("gap_until", NpgsqlDbType.TimestampTz) { Value = (object?)gapUntil?.UtcDateTime ?? DBNull.Value });
        c.Parameters.AddWithValue("id", sourceId);
        await c.ExecuteNonQueryAsync(ct);
    }
}
