using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>One read replica as <c>/health/ready</c> reports it.</summary>
public sealed record ReplicaState(string Host, bool Reachable, bool? InRecovery, long? LagBytes, double? LagSeconds, bool? ReplayPaused, string? ReplayedLsn, string? Error);

/// <summary>
/// The read replicas named by <c>ConnectionStrings:HubRead</c> (issue 16 item 8). The read pool itself
/// (<see cref="DataServices.Read"/>) is built from that string as given — several hosts, <c>Target Session Attributes</c>,
/// <c>Load Balance Hosts</c> — so Npgsql picks a host per connection; this class keeps, besides it, one tiny
/// single-host data source per listed host, to ask each host how far it has replayed: for the readiness report and so
/// that a change signalled by the primary's NOTIFY is only republished once every replica can serve it
/// (<see cref="WaitForReplayAsync"/>). Without a read string it is empty and nothing waits.
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    private readonly List<(string Host, NpgsqlDataSource Db)> hosts = [];

    public ReplicaSet(string? readConnectionString)
    {
        if (string.IsNullOrWhiteSpace(readConnectionString)) return;
        var b = new NpgsqlConnectionStringBuilder(readConnectionString);
        foreach (var host in (b.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var one = new NpgsqlConnectionStringBuilder(readConnectionString)
            {
                Host = host,
                LoadBalanceHosts = false,
                MaxPoolSize = 2,
                MinPoolSize = 0,
                Timeout = 3,
                CommandTimeout = 3,
                ApplicationName = "DisasterHub replica monitor",
            };
            one.Remove("Target Session Attributes");
            hosts.Add((host.Contains(':', StringComparison.Ordinal) ? host : $"{host}:{b.Port}", new NpgsqlDataSourceBuilder(one.ConnectionString).Build()));
        }
    }

    /// <summary>A read string is configured: reads go to it, and its hosts are watched.</summary>
    public bool Configured => hosts.Count > 0;

    public IReadOnlyList<string> Hosts => [.. hosts.Select(h => h.Host)];

    /// <summary>Every host's replay state; <paramref name="primaryLsn"/> (the primary's current WAL position, when it answered) measures the lag.</summary>
    public async Task<IReadOnlyList<ReplicaState>> StatesAsync(string? primaryLsn, CancellationToken ct)
    {
        var states = new List<ReplicaState>();
        foreach (var (host, db) in hosts)
        {
            try
            {
                await using var c = db.CreateCommand(SqlFiles.Get("replica_state"));
                c.Parameters.Add(new NpgsqlParameter("primary_lsn", NpgsqlDbType.Text) { Value = (object?)primaryLsn ?? DBNull.Value });
                await using var r = await c.ExecuteReaderAsync(ct);
                await r.ReadAsync(ct);
                states.Add(new ReplicaState(host, true, r.GetBoolean(0), r.GetInt64(1), Math.Round(r.GetDouble(2), 3), r.GetBoolean(3), r.IsDBNull(4) ? null : r.GetString(4), null));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                states.Add(new ReplicaState(host, false, null, null, null, null, null, e.Message));
            }
        }
        return states;
    }

    /// <summary>The primary's current WAL position, as text ("0/3000148").</summary>
    public static async Task<string> PrimaryLsnAsync(NpgsqlDataSource primary, CancellationToken ct)
    {
        await using var c = primary.CreateCommand("SELECT pg_current_wal_lsn()::text");
        c.CommandTimeout = 3;
        return (string)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Wait until every reachable host has replayed up to <paramref name="targetLsn"/>, polling every
    /// <paramref name="poll"/>, for at most <paramref name="bound"/>. True when all had; false at the bound (the caller
    /// goes on regardless: a replica far behind is the readiness report's business, not a reason to withhold changes).
    /// </summary>
    public async Task<bool> WaitForReplayAsync(string targetLsn, TimeSpan bound, TimeSpan poll, TimeProvider clock, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + bound;
        var pending = hosts.Select(h => h.Db).ToList();
        while (true)
        {
            var still = new List<NpgsqlDataSource>();
            foreach (var db in pending)
            {
                try
                {
                    await using var c = db.CreateCommand(SqlFiles.Get("replica_replayed"));
                    c.Parameters.Add(new NpgsqlParameter("target", NpgsqlDbType.Text) { Value = targetLsn });
                    if (!(bool)(await c.ExecuteScalarAsync(ct))!) still.Add(db);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // an unreachable replica serves nobody: Npgsql's multi-host pool skips it, so nobody waits for it
                }
            }
            if (still.Count == 0) return true;
            if (clock.GetUtcNow() >= deadline) return false;
            pending = still;
            await Task.Delay(poll, clock, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, db) in hosts) await db.DisposeAsync();
    }
}
