using System.Text.Json.Nodes;
using DisasterHub.Core;
using NetTopologySuite.IO;
using Npgsql;

namespace DisasterHub.Data;

/// <summary>Drills (訓練): workspaces other than live, and replay of a past period of live history into one.</summary>
public static class DrillStore
{
    /// <summary>
    /// Creates the drill (nothing when it exists) and adds <paramref name="organizations"/> to its members; a drill
    /// without members stays open to every caller (see <see cref="MayOpen"/>).
    /// </summary>
    public static async Task CreateAsync(NpgsqlDataSource db, string name, IReadOnlyCollection<string>? organizations = null, CancellationToken ct = default)
    {
        if (name == "live") throw new ArgumentException("'live' is not a drill");
        await using var batch = db.CreateBatch();
        var create = new NpgsqlBatchCommand("INSERT INTO workspace (name, kind) VALUES (@n, 'drill') ON CONFLICT (name) DO NOTHING");
        create.Parameters.AddWithValue("n", name);
        batch.BatchCommands.Add(create);
        if (organizations is { Count: > 0 })
        {
            var members = new NpgsqlBatchCommand(SqlFiles.Get("workspace_member_add"));
            members.Parameters.AddWithValue("n", name);
            members.Parameters.AddWithValue("orgs", organizations.ToArray());
            batch.BatchCommands.Add(members);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A workspace's kind and member organizations (empty: open), or null when there is no such workspace.</summary>
    public static async Task<(string Kind, string[] Members)?> AccessAsync(NpgsqlDataSource db, string name, CancellationToken ct = default)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("workspace_access"));
        c.Parameters.AddWithValue("n", name);
        await using var r = await c.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetFieldValue<string[]>(1)) : null;
    }

    /// <summary>
    /// Whether a caller of <paramref name="organization"/> (null: anonymous) may open a workspace with these members:
    /// live and open drills (no members) anyone, a members-only drill its organizations and admins.
    /// </summary>
    public static bool MayOpen(IReadOnlyCollection<string> members, string? organization, bool admin) =>
        members.Count == 0 || admin || (organization is not null && members.Contains(organization));

    /// <summary>The workspace's kind ('live' or 'drill'), or null when there is no such workspace.</summary>
    public static async Task<string?> KindAsync(NpgsqlDataSource db, string name, CancellationToken ct = default)
    {
        await using var c = db.CreateCommand("SELECT kind FROM workspace WHERE name = @n");
        c.Parameters.AddWithValue("n", name);
        return (string?)await c.ExecuteScalarAsync(ct);
    }

    public sealed record WorkspaceInfo(string Name, string Kind, DateTimeOffset CreatedAt, string[] Members);

    /// <summary>Every workspace: live first, then the drills, newest first.</summary>
    public static async Task<IReadOnlyList<WorkspaceInfo>> ListAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("workspaces_list"));
        await using var r = await c.ExecuteReaderAsync(ct);
        var list = new List<WorkspaceInfo>();
        while (await r.ReadAsync(ct)) list.Add(new WorkspaceInfo(r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<string[]>(3)));
        return list;
    }

    public sealed record ReplayStats(int Batches, int Records, TimeSpan Elapsed);

    /// <summary>
    /// Replays live history received in [from, to] into a drill, batch by batch (one batch per original arrival), at
    /// <paramref name="speed"/>× the original pace. Each batch is one transaction through the same upsert and merge
    /// as live ingest, with workspace = the drill.
    /// </summary>
    public static async Task<ReplayStats> ReplayAsync(NpgsqlDataSource db, string drill, DateTimeOffset from, DateTimeOffset to, double speed,
        TimeProvider clock, Func<TimeSpan, CancellationToken, Task>? delay = null, CancellationToken ct = default)
    {
        if (await KindAsync(db, drill, ct) != "drill") throw new ArgumentException($"no drill workspace '{drill}' (create it first)");
        delay ??= Task.Delay;
        var rows = new List<(DateTimeOffset Received, string Source, long? Raw, int Interval, FeatureRecord Record, bool Withdrawn)>();
        await using (var c = db.CreateCommand(SqlFiles.Get("replay_versions")))
        {
            c.Parameters.AddWithValue("from", from.UtcDateTime);
            c.Parameters.AddWithValue("to", to.UtcDateTime);
            var wkb = new WKBReader();
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var geom = wkb.Read(r.GetFieldValue<byte[]>(7));
                geom.SRID = 4326;
                var rec = new FeatureRecord
                {
                    Layer = r.GetString(2), SourceKey = r.GetString(1), Attrs = JsonNode.Parse(r.GetString(15))!.AsObject(),
                    EntityKey = r.IsDBNull(3) ? null : r.GetString(3), MunicipalityCode = r.IsDBNull(4) ? null : r.GetString(4),
                    Name = r.IsDBNull(5) ? null : r.GetString(5), Address = r.IsDBNull(6) ? null : r.GetString(6), Geometry = geom,
                    SourceCrs = r.GetString(8), Status = r.IsDBNull(9) ? null : r.GetString(9), Severity = r.IsDBNull(10) ? null : r.GetInt16(10),
                    ObservedAt = r.GetFieldValue<DateTimeOffset>(11), ReportedAt = r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                    Classification = r.GetString(14),
                    ValidFrom = r.IsDBNull(18) ? null : r.GetFieldValue<DateTimeOffset>(18),
                    ValidUntil = r.IsDBNull(19) ? null : r.GetFieldValue<DateTimeOffset>(19),
                };
                rows.Add((r.GetFieldValue<DateTimeOffset>(13), r.GetString(0), r.IsDBNull(16) ? null : r.GetInt64(16), r.GetInt32(17), rec, r.GetBoolean(20)));
            }
        }
        var started = clock.GetTimestamp();
        var batches = 0;
        DateTimeOffset? previous = null;
        foreach (var batch in rows.GroupBy(x => (x.Received, x.Source)))
        {
            if (previous is { } p && speed > 0)
            {
                var wait = (batch.Key.Received - p) / speed;
                if (wait > TimeSpan.Zero) await delay(wait, ct);
            }
            previous = batch.Key.Received;
            var first = batch.First();
            await using var ingest = await IngestTransaction.BeginAsync(db,
                new IngestScope(batch.Key.Source, drill, clock.GetUtcNow(), first.Interval) { RawDocumentId = first.Raw }, ct);
            var latest = batch.GroupBy(x => x.Record.SourceKey).Select(g => g.Last()).ToList();
            await ingest.WriteFeaturesAsync(latest.Where(x => !x.Withdrawn).Select(x => x.Record).ToList(), null, ct);
            // what a full replacement withdrew in live is withdrawn in the drill at the same turn
            if (latest.Where(x => x.Withdrawn).Select(x => x.Record.SourceKey).ToList() is { Count: > 0 } gone)
                await ingest.WithdrawAsync(gone, absent: false, ct);
            await ingest.CommitAsync(ct);
            batches++;
        }
        return new ReplayStats(batches, rows.Count, clock.GetElapsedTime(started));
    }
}
