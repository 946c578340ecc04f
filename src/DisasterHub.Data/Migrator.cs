using Microsoft.Extensions.Logging;
using Npgsql;

namespace DisasterHub.Data;

/// <summary>
/// Applies the ordered SQL files under Migrations/ that the database has not had, at start-up.
/// </summary>
/// <remarks>
/// Hand-written SQL rather than EF migrations: the EF design-time tools cannot be obtained here, and PostGIS DDL reads
/// better as SQL anyway. An advisory lock serializes nodes starting at once against one database.
/// </remarks>
public static class Migrator
{
    private const long LockId = 0x44_48_55_42; // "DHUB"

    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource db, ILogger? log = null, CancellationToken ct = default)
    {
        var applied = new List<string>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var c = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockId}); CREATE TABLE IF NOT EXISTS schema_migration (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", conn, tx))
            await c.ExecuteNonQueryAsync(ct);
        var done = new HashSet<string>();
        await using (var c = new NpgsqlCommand("SELECT version FROM schema_migration", conn, tx))
        await using (var r = await c.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) done.Add(r.GetString(0));
        foreach (var (version, sql) in SqlFiles.Migrations())
        {
            if (done.Contains(version)) continue;
            await using (var c = new NpgsqlCommand(sql, conn, tx)) await c.ExecuteNonQueryAsync(ct);
            await using (var c = new NpgsqlCommand("INSERT INTO schema_migration (version) VALUES (@v)", conn, tx))
            {
                c.Parameters.AddWithValue("v", version);
                await c.ExecuteNonQueryAsync(ct);
            }
            applied.Add(version);
            log?.LogInformation("Applied migration {Version}", version);
        }
        await tx.CommitAsync(ct);
        if (applied.Count > 0) await conn.ReloadTypesAsync(ct);
        return applied;
    }
}
