using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>
/// The area an officer chose for the reporting-status view; every part that is set applies (they intersect).
/// </summary>
/// <param name="Prefecture">two-digit prefecture code ("17"), or null</param>
/// <param name="UnderWarnings">only municipalities where a warning (severity ≥ 2) is in force</param>
/// <param name="IntensityRank">only municipalities where an intensity of at least this rank was observed (1–4, 5-=5 … 7=9)</param>
/// <param name="Bbox">minLon, minLat, maxLon, maxLat</param>
/// <param name="AreaWkb">a polygon (EPSG:4326, WKB) the municipality must intersect</param>
/// <param name="Code">one municipality (the single-item read)</param>
public sealed record ReportingArea(string? Prefecture, bool UnderWarnings, int? IntensityRank, double[]? Bbox, byte[]? AreaWkb, string? Code = null);

/// <summary>One 災害対策本部 entry.</summary>
public sealed record HqEntry(long Id, string Status, DateTimeOffset At, DateTimeOffset RecordedAt, string? OrganizationId);

/// <summary>
/// Who has not reported: per municipality the last report per EEI item and the 災害対策本部 status (Sql/reporting_status.sql),
/// and the HQ entries themselves (Sql/hq_*.sql).
/// </summary>
/// <remarks>
/// <paramref name="read"/> (the read pool, a replica when one is configured) serves the roll-up; the HQ entries are written
/// and read back on <paramref name="db"/>, the primary, so a PUT is seen by the GET after it.
/// </remarks>
public sealed class ReportingQueries(NpgsqlDataSource db, NpgsqlDataSource? read = null)
{
    /// <summary>The layers whose rows the view reads: the four EEI items reported on, and the two that choose an area.</summary>
    public static readonly string[] Layers =
        [Core.Layers.Shelters, Core.Layers.Damage, Core.Layers.EvacuationOrders, Core.Layers.PowerOutages, Core.Layers.Warnings, Core.Layers.Sensors];

    /// <summary>GeoJSON features, one per municipality in code order, with how many the area holds in all.</summary>
    public async IAsyncEnumerable<(string Feature, long Matched)> StatusAsync(ReadScope scope, ReportingArea area, int limit, int offset,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await (read ?? db).OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("reporting_status").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal), conn);
        scope.Bind(c);
        c.Parameters.Add(new NpgsqlParameter("pref", NpgsqlDbType.Text) { Value = (object?)area.Prefecture ?? DBNull.Value });
        c.Parameters.AddWithValue("under_warnings", area.UnderWarnings);
        c.Parameters.Add(new NpgsqlParameter("intensity_rank", NpgsqlDbType.Integer) { Value = (object?)area.IntensityRank ?? DBNull.Value });
        c.Parameters.AddWithValue("has_bbox", area.Bbox is not null);
        var b = area.Bbox ?? [0, 0, 0, 0];
        c.Parameters.AddWithValue("minx", b[0]);
        c.Parameters.AddWithValue("miny", b[1]);
        c.Parameters.AddWithValue("maxx", b[2]);
        c.Parameters.AddWithValue("maxy", b[3]);
        c.Parameters.Add(new NpgsqlParameter("area", NpgsqlDbType.Bytea) { Value = (object?)area.AreaWkb ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("code", NpgsqlDbType.Text) { Value = (object?)area.Code ?? DBNull.Value });
        c.Parameters.AddWithValue("limit", limit);
        c.Parameters.AddWithValue("offset", offset);
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return (r.GetString(0), r.GetInt64(1));
    }

    /// <summary>True when the code is a municipality of the directory (not a prefecture, not a ward).</summary>
    public async Task<bool> IsMunicipalityAsync(string code, CancellationToken ct)
    {
        await using var c = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM municipality_point WHERE code = @code AND kind = 'municipality')");
        c.Parameters.AddWithValue("code", code);
        return (bool)(await c.ExecuteScalarAsync(ct))!;
    }

    public async Task<long> RecordHqAsync(string workspace, string code, string status, DateTimeOffset at, DateTimeOffset recordedAt,
        string? organizationId, string? apiKeyId, CancellationToken ct)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("hq_record"));
        c.Parameters.AddWithValue("workspace", workspace);
        c.Parameters.AddWithValue("code", code);
        c.Parameters.AddWithValue("status", status);
        c.Parameters.AddWithValue("at", at.UtcDateTime);
        c.Parameters.AddWithValue("recorded_at", recordedAt.UtcDateTime);
        c.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Text) { Value = (object?)organizationId ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("api_key_id", NpgsqlDbType.Text) { Value = (object?)apiKeyId ?? DBNull.Value });
        return (long)(await c.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The entries for one municipality, current first.</summary>
    public async Task<List<HqEntry>> HqHistoryAsync(string workspace, string code, CancellationToken ct)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("hq_history"));
        c.Parameters.AddWithValue("workspace", workspace);
        c.Parameters.AddWithValue("code", code);
        var list = new List<HqEntry>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new HqEntry(r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetFieldValue<DateTimeOffset>(3), r.IsDBNull(4) ? null : r.GetString(4)));
        return list;
    }
}
