using DisasterHub.Core;
using NetTopologySuite.IO;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>Municipal boundaries: import from N03, and geometry for records located only by a municipality code.</summary>
public static class BoundaryStore
{
    public static async Task<int> ImportAsync(NpgsqlDataSource db, IReadOnlyList<BoundaryPart> parts, string source, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
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
        await tx.CommitAsync(ct);
        return n;
    }

    /// <summary>Gives code-located records their municipality's imported boundary (before the representative-point fallback).</summary>
    public static async Task ResolveBoundariesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<FeatureRecord> records, CancellationToken ct)
    {
        var wanted = records.Where(r => r.LocatedByCode && r.MunicipalityCode is not null && (r.Geometry is null || r.Geometry.IsEmpty)).ToList();
        if (wanted.Count == 0) return;
        var codes = wanted.Select(r => r.MunicipalityCode!).Distinct().ToArray();
        var found = new Dictionary<string, NetTopologySuite.Geometries.Geometry>(StringComparer.Ordinal);
        await using (var c = new NpgsqlCommand("SELECT code, ST_AsBinary(geom) FROM municipality_boundary WHERE code = ANY (@codes)", conn, tx))
        {
            c.Parameters.AddWithValue("codes", codes);
            var reader = new WKBReader();
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var g = reader.Read(r.GetFieldValue<byte[]>(1));
                g.SRID = 4326;
                found[r.GetString(0)] = g;
            }
        }
        foreach (var rec in wanted)
            if (found.TryGetValue(rec.MunicipalityCode!, out var g))
            {
                rec.Geometry = g;
                rec.Attrs["location_precision"] = "boundary";
            }
    }
}
