using DisasterHub.Core;
using Npgsql;

namespace DisasterHub.Data;

/// <summary>
/// What a source's row records after an attempt: when, the error (null: a success), and on success the feed's
/// validators, the raw document's hash, the watermark and a follower's cursor (each null: keep the one stored).
/// </summary>
public sealed record SourceMark(DateTimeOffset At, string? Error = null, string? Etag = null, string? LastModified = null,
    byte[]? Sha256 = null, DateTimeOffset? Watermark = null, string? Cursor = null);

/// <summary>
/// One document's ingest (DESIGN §2 "one database transaction per document"): owns the connection, its transaction and
/// the source, and offers the ingest's writes — raw document, rejections, features (in any workspace: exercises are
/// routed within the same transaction), the source's mark — so no caller threads a connection and a transaction through
/// a row of static calls. Disposing without <see cref="CommitAsync"/> rolls everything back.
/// </summary>
public sealed class IngestTransaction : IAsyncDisposable
{
    private IngestTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, string sourceId)
    {
        Connection = connection;
        Transaction = transaction;
        SourceId = sourceId;
    }

    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public string SourceId { get; }

    public static async Task<IngestTransaction> BeginAsync(NpgsqlDataSource db, string sourceId, CancellationToken ct)
    {
        var conn = await db.OpenConnectionAsync(ct);
        try
        {
            return new IngestTransaction(conn, await conn.BeginTransactionAsync(ct), sourceId);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes the transaction read-only (a preview): PostgreSQL itself then refuses any write in it.</summary>
    public async Task ReadOnlyAsync(CancellationToken ct)
    {
        await using var c = new NpgsqlCommand(SqlFiles.Get("transaction_read_only"), Connection, Transaction);
        await c.ExecuteNonQueryAsync(ct);
    }

    public Task<long> InsertRawAsync(RawDocument doc, CancellationToken ct) => IngestStore.InsertRawAsync(Connection, Transaction, doc, ct);

    /// <summary>Whether this source already has a raw document with these bytes.</summary>
    public Task<bool> SeenAsync(byte[] sha256, CancellationToken ct) => IngestStore.SeenAsync(Connection, Transaction, SourceId, sha256, ct);

    public Task FinishRawAsync(long rawId, string status, string? format, int accepted, int rejected, CancellationToken ct) =>
        IngestStore.FinishRawAsync(Connection, Transaction, rawId, status, format, accepted, rejected, ct);

    public Task WriteRejectionsAsync(long rawId, IReadOnlyList<Rejection> rejections, CancellationToken ct) =>
        IngestStore.WriteRejectionsAsync(Connection, rawId, rejections, ct);

    public Task<bool> TrimRejectedRawAsync(long rawId, string? apiKeyId, long keepBytes, long quotaBytes, CancellationToken ct) =>
        IngestStore.TrimRejectedRawAsync(Connection, Transaction, rawId, SourceId, apiKeyId, keepBytes, quotaBytes, ct);

    public Task<Func<FeatureRecord, NetTopologySuite.Geometries.Geometry?>> StoredLocationsAsync(string workspace, string layer,
        IReadOnlyList<FeatureRecord> records, CancellationToken ct) =>
        IngestStore.StoredLocationsAsync(Connection, Transaction, workspace, layer, records, ct);

    public Task ExpandCancellationsAsync(string workspace, string layer, ParseResult result, CancellationToken ct) =>
        IngestStore.ExpandCancellationsAsync(Connection, Transaction, SourceId, workspace, layer, result, ct);

    /// <returns>How many current-state rows were inserted or changed.</returns>
    public Task<int> WriteFeaturesAsync(string workspace, long rawId, DateTimeOffset receivedAt, int expectedIntervalSeconds,
        IReadOnlyList<FeatureRecord> records, IReadOnlyDictionary<string, TimeSpan>? staleLimits, ICollection<NotCurrent>? notCurrent, CancellationToken ct) =>
        IngestStore.WriteFeaturesAsync(Connection, Transaction, SourceId, workspace, rawId, receivedAt, expectedIntervalSeconds, records, ct,
            staleLimits: staleLimits, notCurrent: notCurrent);

    public Task MarkSourceAsync(SourceMark mark, CancellationToken ct) => IngestStore.MarkSourceAsync(Connection, Transaction, SourceId, mark, ct);

    public Task CommitAsync(CancellationToken ct) => Transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
