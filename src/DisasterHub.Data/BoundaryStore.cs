using DisasterHub.Core;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>Municipal boundaries: import from N03 (or the shipped geodata file), and reading them back for the record checks.</summary>
public static class BoundaryStore
{
    public static async Task<int> ImportAsync(NpgsqlDataSource db, IReadOnlyList<BoundaryPart> parts, string source, DateTimeOffset now, byte[]? sha256 = null, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var c = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('municipality_boundary'))", conn, tx))
            await c.ExecuteNonQueryAsync(ct);
        await using (var c = new NpgsqlCommand("CREATE TEMP TABLE boundary_staging (code text, prefecture text, name text, geojson text) ON COMMIT DROP", conn, tx))
            await c.ExecuteNonQueryAsync(ct);
        await using (var w = await conn.BeginBinaryImportAsync("COPY boundary_staging (code, prefecture, name, geojson) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var p in parts)
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(p.Code, NpgsqlDbType.Text, ct);
                if (p.Prefecture is null) await w.WriteNullAsync(ct); else await w.WriteAsync(p.Prefecture, NpgsqlDbType.Text, ct);
                if (p.Name is null) await w.WriteNullAsync(ct); else await w.WriteAsync(p.Name, NpgsqlDbType.Text, ct);
                await w.WriteAsync(p.GeoJson, NpgsqlDbType.Text, ct);
            }
            await w.CompleteAsync(ct);
        }
        int n;
        await using (var c = new NpgsqlCommand(SqlFiles.Get("boundaries_merge"), conn, tx))
        {
            c.Parameters.AddWithValue("source", source);
            c.Parameters.AddWithValue("now", now.UtcDateTime);
            n = await c.ExecuteNonQueryAsync(ct);
        }
        // What this source loaded before and its new file no longer has.
        await using (var c = new NpgsqlCommand("DELETE FROM municipality_boundary b WHERE source = @source AND NOT EXISTS (SELECT 1 FROM boundary_staging s WHERE s.code = b.code)", conn, tx))
        {
            c.Parameters.AddWithValue("source", source);
            await c.ExecuteNonQueryAsync(ct);
        }
        await using (var c = new NpgsqlCommand("""
            INSERT INTO boundary_load (source, sha256, municipalities, loaded_at) VALUES (@source, @sha, @n, @now)
            ON CONFLICT (source) DO UPDATE SET sha256 = EXCLUDED.sha256, municipalities = EXCLUDED.municipalities, loaded_at = EXCLUDED.loaded_at
            """, conn, tx))
        {
            c.Parameters.AddWithValue("source", source);
            c.Parameters.AddWithValue("sha", sha256 ?? System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Concat(parts.Select(p => p.Code + p.GeoJson)))));
            c.Parameters.AddWithValue("n", n);
            c.Parameters.AddWithValue("now", now.UtcDateTime);
            await c.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return n;
    }

    /// <summary>The file shipped in geodata/ and embedded in DisasterHub.Core, as <see cref="EnsureLoadedAsync"/> names it.</summary>
    public const string ShippedSource = "geodata/municipal-boundaries.geojson";

    /// <summary>
    /// Loads a boundary file unless the same bytes (by SHA-256) are already loaded from that source: one cheap query
    /// when nothing changed. Municipalities that were loaded from the source before but are gone from the new file are
    /// removed. Serialized across nodes by an advisory lock.
    /// </summary>
    /// <returns>Municipalities written, or null when the file was already loaded.</returns>
    public static async Task<int?> EnsureLoadedAsync(NpgsqlDataSource db, byte[] content, string source, DateTimeOffset now, CancellationToken ct = default)
    {
        var sha = System.Security.Cryptography.SHA256.HashData(content);
        await using (var c = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM boundary_load WHERE source = @s AND sha256 = @h)"))
        {
            c.Parameters.AddWithValue("s", source);
            c.Parameters.AddWithValue("h", sha);
            if ((bool)(await c.ExecuteScalarAsync(ct))!) return null;
        }
        var (parts, _) = BoundaryReader.Read(content);
        return await ImportAsync(db, parts, source, now, sha, ct);
    }

    /// <summary>Geometries of the loaded boundaries, for the in-memory lookup the record checks use.</summary>
    public static async Task<List<(string Code, string? Prefecture, string? Name, byte[] Wkb)>> ReadAllAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var rows = new List<(string, string?, string?, byte[])>();
        await using var c = new NpgsqlCommand("SELECT code, prefecture, name, ST_AsBinary(geom) FROM municipality_boundary", conn, tx);
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<byte[]>(3)));
        return rows;
    }

    /// <summary>A value that changes whenever boundaries are imported (count, latest import time).</summary>
    public static async Task<(long Count, DateTime Latest)> VersionAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var c = new NpgsqlCommand(SqlFiles.Get("boundaries_version"), conn, tx);
        await using var r = await c.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetInt64(0), r.GetDateTime(1));
    }
}
