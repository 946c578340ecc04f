using System.Security.Cryptography;
using System.Text;
using DisasterHub.Core;
using NetTopologySuite.Geometries;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>A payload as it arrived, before parsing (its source, workspace and receipt are the ingest's: <see cref="IngestScope"/>).</summary>
public sealed record RawDocument(string? ContentType, string? Format, ReadOnlyMemory<byte> Body, string? ApiKeyId, string? FetchUrl)
{
    public byte[] Sha256 { get; } = SHA256.HashData(Body.Span);
}

/// <summary>A record accepted into history that did not replace the current state, which is newer.</summary>
public sealed record NotCurrent(string SourceKey, DateTimeOffset ObservedAt, DateTimeOffset CurrentObservedAt);

/// <summary>
/// What ingest shares outside its transaction (<see cref="IngestTransaction"/> owns every write of a document): the
/// identity and content hash of a record, the staleness limits as SQL reads them, and the writes made without a
/// document — a source's mark (a 304, a failed pull), a follower's counts, pruning of Idempotency-Key answers.
/// </summary>
public static class IngestStore
{
    /// <summary>
    /// Records the staleness limits the hub runs with; where one changed since the merged rows were ranked, the
    /// multi-feature rows of that layer are made due (merge_staleness_sync.sql). Run at start-up.
    /// </summary>
    public static async Task SyncStalenessAsync(NpgsqlDataSource db, IReadOnlyDictionary<string, TimeSpan>? limits, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var c = new NpgsqlCommand(SqlFiles.Get("merge_staleness_sync"), conn, tx))
        {
            c.Parameters.Add(new NpgsqlParameter("limits", NpgsqlTypes.NpgsqlDbType.Jsonb) { Value = StaleLimitsJson(limits) });
            await c.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Per-layer staleness limits as merge_entities.sql reads them: {"shelters": 21600} (seconds).</summary>
    public static string StaleLimitsJson(IReadOnlyDictionary<string, TimeSpan>? limits) =>
        System.Text.Json.JsonSerializer.Serialize((limits ?? new Dictionary<string, TimeSpan>())
            .Where(kv => kv.Value > TimeSpan.Zero).ToDictionary(kv => kv.Key, kv => kv.Value.TotalSeconds));

    /// <summary>Municipality code + normalized name: the identity of a thing no national id names (DESIGN §2).</summary>
    public static string? NameKey(FeatureRecord r) =>
        r.MunicipalityCode is { } m && r.Name is { Length: > 0 } n ? $"{m}:{NameNormalizer.Normalize(n)}" : null;

    /// <summary>
    /// What a batch of records is staged with (IngestTransaction's COPY, and the probe of a source with stored
    /// features): each geometry's WKB, its attributes' JSON in UTF-8 and its content hash (<see cref="ContentHash(FeatureRecord, byte[], ReadOnlySpan{byte})"/>).
    /// Pure: the bench's <c>ingest-cpu</c> times it without a database.
    /// </summary>
    /// <remarks>Parallel arrays, not one array of tuples: an array of references over 85 KB (5,000 tuples) lands on the
    /// large-object heap, which only a full collection frees, and while it waits there it keeps every record it points
    /// at alive through the young collections (a million-row push's heap grew by 400 MB that way). The attributes go
    /// straight to UTF-8: the bytes JsonNode.ToJsonString would give, without the string and its encoding again for the
    /// hash (0.25 s of 110,000 records).</remarks>
    public static (byte[][] Wkb, byte[][] Attrs, byte[][] Hashes) EncodeForStaging(IReadOnlyList<FeatureRecord> records)
    {
        var n = records.Count;
        var wkb = new NetTopologySuite.IO.WKBWriter(NetTopologySuite.IO.ByteOrder.LittleEndian, false, false, false);
        var geoms = new byte[n][];
        var attrs = new byte[n][];
        var hashes = new byte[n][];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using var json = new System.Text.Json.Utf8JsonWriter(buffer);
        for (var i = 0; i < n; i++)
        {
            geoms[i] = records[i].Geometry is Point { IsEmpty: false } point ? PointWkb(point) : wkb.Write(records[i].Geometry);
            buffer.ResetWrittenCount();
            json.Reset(buffer);
            records[i].Attrs.WriteTo(json);
            json.Flush();
            attrs[i] = buffer.WrittenSpan.ToArray();
            hashes[i] = ContentHash(records[i], geoms[i], attrs[i]);
        }
        return (geoms, attrs, hashes);
    }

    /// <summary>
    /// Where a record's geometry falls in the order a source's first load writes its partitions in (issue 16: a dense
    /// z9 tile at 1,000,000 features read 68,000 rows from 46,000 heap pages, one page a row, when rows lay in the
    /// document's order): the Z-order (Morton) code of its cell on the tile cells' Web Mercator grid
    /// (<see cref="TileQueries.CellGrid"/> a side; <c>hub_tile_cell_x</c>/<c>_y</c>, migration 0016), from the centre
    /// of its envelope. Every tile of zoom 12 or less is an aligned square of that grid, so its rows are one contiguous
    /// run of codes.
    /// </summary>
    public static int SpatialKey(Geometry? g)
    {
        if (g is null || g.IsEmpty) return 0;
        var e = g.EnvelopeInternal;
        var lon = (e.MinX + e.MaxX) / 2;
        var lat = Math.Clamp((e.MinY + e.MaxY) / 2, -85.0511287798066, 85.0511287798066) * Math.PI / 180;
        var x = (lon + 180) / 360;
        var y = (1 - Math.Log(Math.Tan(lat) + 1 / Math.Cos(lat)) / Math.PI) / 2;
        return (int)(Spread(Cell(x)) | Spread(Cell(y)) << 1);

        static uint Cell(double t) => double.IsFinite(t) ? (uint)Math.Clamp((int)Math.Floor(t * TileQueries.CellGrid), 0, TileQueries.CellGrid - 1) : 0;
        // the (up to 16) bits of v on the even bit positions
        static uint Spread(uint v)
        {
            v = (v | v << 8) & 0x00FF00FF;
            v = (v | v << 4) & 0x0F0F0F0F;
            v = (v | v << 2) & 0x33333333;
            return (v | v << 1) & 0x55555555;
        }
    }

    /// <summary>
    /// A point's 2D little-endian WKB, the bytes <see cref="NetTopologySuite.IO.WKBWriter"/> writes for it without SRID,
    /// Z or M (1, type 1, x, y): written straight into its 21 bytes, where the writer made a stream and its buffer for
    /// every record of a registry.
    /// </summary>
    private static byte[] PointWkb(Point point)
    {
        var bytes = new byte[21];
        bytes[0] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(1), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(5), point.X);
        System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(13), point.Y);
        return bytes;
    }

    /// <summary>
    /// What makes two states of a record "the same": everything it says except when it was said or received, so an
    /// unchanged row in a re-published document adds nothing to history.
    /// </summary>
    /// <remarks>The hashed text is each part in UTF-8 followed by U+001F (a missing part is U+0000), the geometry's WKB
    /// in upper-case hex as the last part, then the validity window when there is one. It is written straight into one
    /// pooled buffer (no intermediate strings): an unchanged registry's re-push hashes every record.</remarks>
    public static byte[] ContentHash(FeatureRecord r, byte[] wkb, string attrsJson) => ContentHash(r, wkb, Encoding.UTF8.GetBytes(attrsJson));

    /// <summary>As the overload above, with the attributes' JSON already in UTF-8 (how an ingest writes them).</summary>
    public static byte[] ContentHash(FeatureRecord r, byte[] wkb, ReadOnlySpan<byte> attrsJson)
    {
        var ic = System.Globalization.CultureInfo.InvariantCulture;
        var validity = r.ValidFrom is not null || r.ValidUntil is not null
            ? $"valid:{r.ValidFrom?.UtcTicks.ToString(ic)}/{r.ValidUntil?.UtcTicks.ToString(ic)}"
            : "";
        ReadOnlySpan<string?> parts = [r.Layer, r.EntityKey, r.MunicipalityCode, r.Name, r.Address, r.SourceCrs, r.Status,
            r.Severity?.ToString(ic), r.Classification];
        var length = 2 * wkb.Length + 1 + Encoding.UTF8.GetByteCount(validity) + attrsJson.Length + 1;
        foreach (var part in parts) length += (part is null ? 1 : Encoding.UTF8.GetByteCount(part)) + 1;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var n = 0;
            foreach (var part in parts)
            {
                if (part is null) buffer[n++] = 0;
                else n += Encoding.UTF8.GetBytes(part, buffer.AsSpan(n));
                buffer[n++] = 0x1F;
            }
            attrsJson.CopyTo(buffer.AsSpan(n));
            n += attrsJson.Length;
            buffer[n++] = 0x1F;
            Convert.TryToHexString(wkb, buffer.AsSpan(n), out var hex);
            n += hex;
            buffer[n++] = 0x1F;
            n += Encoding.UTF8.GetBytes(validity, buffer.AsSpan(n));
            return SHA256.HashData(buffer.AsSpan(0, n));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deletes Idempotency-Key answers older than <paramref name="before"/>.</summary>
    public static async Task<int> PruneIdempotencyAsync(NpgsqlDataSource db, DateTimeOffset before, CancellationToken ct)
    {
        await using var c = db.CreateCommand("DELETE FROM idempotency WHERE created_at < @t");
        c.Parameters.AddWithValue("t", before.UtcDateTime);
        return await c.ExecuteNonQueryAsync(ct);
    }

    /// <summary>What withdrawing all of a source's features did in one workspace: how many, and the layers they were of.</summary>
    public sealed record Withdrawal(string Workspace, int Withdrawn, IReadOnlyList<string> Layers);

    /// <summary>
    /// Withdraws every current feature of the source, in each workspace that holds any (source_feature_workspaces.sql),
    /// one transaction per workspace, through <see cref="IngestTransaction.WithdrawAsync"/> with no key listed — as a
    /// full replacement withdraws what its document no longer holds. Nothing arrives to stand for it, so the markers
    /// name no raw document. Other nodes hear it through notify_changes.sql; the caller tells its own.
    /// </summary>
    public static async Task<IReadOnlyList<Withdrawal>> WithdrawAllAsync(NpgsqlDataSource db, string sourceId, int expectedIntervalSeconds,
        IReadOnlyDictionary<string, TimeSpan>? staleLimits, TimeProvider clock, CancellationToken ct)
    {
        var found = new List<(string Workspace, string Layer)>();
        await using (var c = db.CreateCommand(SqlFiles.Get("source_feature_workspaces")))
        {
            c.Parameters.AddWithValue("source_id", sourceId);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) found.Add((r.GetString(0), r.GetString(1)));
        }
        var done = new List<Withdrawal>();
        foreach (var group in found.GroupBy(x => x.Workspace))
        {
            await using var ingest = await IngestTransaction.BeginAsync(db,
                new IngestScope(sourceId, group.Key, clock.GetUtcNow(), expectedIntervalSeconds) { StaleLimits = staleLimits }, ct);
            // no key is listed, so every current feature of the source in the workspace is absent from it
            var withdrawn = await ingest.WithdrawAsync([], absent: true, ct);
            await ingest.CommitAsync(ct);
            done.Add(new Withdrawal(group.Key, withdrawn, [.. group.Select(x => x.Layer)]));
        }
        return done;
    }

    /// <summary>
    /// After a large load has committed: the feature tables' statistics refreshed when they no longer describe them
    /// (<c>analyze_after_load.sql</c>). Returns whether it analyzed.
    /// </summary>
    public static async Task<bool> AnalyzeAfterLoadAsync(NpgsqlDataSource db, int changed, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var check = new NpgsqlCommand(SqlFiles.Get("analyze_after_load"), conn))
        {
            check.Parameters.AddWithValue("changed", (double)changed);
            if (await check.ExecuteScalarAsync(ct) is not true) return false;
        }
        await using var analyze = new NpgsqlCommand(SqlFiles.Get("analyze_feature_tables"), conn) { CommandTimeout = 0 };
        await analyze.ExecuteNonQueryAsync(ct);
        return true;
    }

    /// <summary>A source's mark outside an ingest (a 304, a failed pull, a follower with nothing new).</summary>
    public static async Task MarkSourceAsync(NpgsqlDataSource db, string sourceId, SourceMark mark, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = mark.Command(sourceId);
        c.Connection = conn;
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
