using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Data;

/// <summary>One record of an export: the EEI header, the attributes as JSON, the geometry as WKB.</summary>
public sealed record ExportRow(string Id, string EntityKey, string? Name, string? Status, short? Severity, string? MunicipalityCode,
    DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, DateTimeOffset? ValidUntil, string[] Sources, string AttrsJson, byte[] Wkb);

/// <summary>A municipal boundary in an export.</summary>
public sealed record ExportBoundary(string Code, string? Prefecture, string? Name, byte[] Wkb);

/// <summary>A source named by an export, with its licence and attribution.</summary>
public sealed record ExportSource(string Id, string Name, string? License, string? Attribution);

/// <summary>Reads behind the area exports (GeoPackage, MBTiles): the area, each layer's rows, the boundaries, the sources.</summary>
public sealed class ExportQueries(NpgsqlDataSource db)
{
    /// <summary>The area as WKB: a prefecture (two digits) or a bbox; null when the prefecture has nothing loaded.</summary>
    public async Task<byte[]?> AreaAsync(string? prefecture, double[]? bbox, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("export_area"), conn);
        c.Parameters.Add(new NpgsqlParameter("bbox", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = (object?)bbox ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("pref", NpgsqlDbType.Text) { Value = (object?)prefecture ?? DBNull.Value });
        return await c.ExecuteScalarAsync(ct) as byte[];
    }

    public async IAsyncEnumerable<ExportRow> RowsAsync(ReadScope scope, byte[] area, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("export_rows").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal), conn);
        scope.Bind(c);
        AddArea(c, area);
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            yield return new ExportRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetInt16(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetFieldValue<DateTimeOffset>(6), r.GetFieldValue<DateTimeOffset>(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? [] : r.GetFieldValue<string[]>(9), r.GetString(10), r.GetFieldValue<byte[]>(11));
    }

    /// <summary>The ids of the sources whose records the area holds, without reading the records.</summary>
    public async Task<List<string>> SourceIdsAsync(ReadScope scope, byte[] area, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("export_sources").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal), conn);
        scope.Bind(c);
        AddArea(c, area);
        var ids = new List<string>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids.Add(r.GetString(0));
        return ids;
    }

    public async Task<List<ExportBoundary>> BoundariesAsync(byte[] area, string? prefecture, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("export_boundaries"), conn);
        AddArea(c, area);
        c.Parameters.Add(new NpgsqlParameter("pref", NpgsqlDbType.Text) { Value = (object?)prefecture ?? DBNull.Value });
        var list = new List<ExportBoundary>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new ExportBoundary(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<byte[]>(3)));
        return list;
    }

    public async Task<List<ExportSource>> SourcesAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand("SELECT id, name, license, attribution FROM source WHERE id = ANY (@ids) ORDER BY id", conn);
        c.Parameters.AddWithValue("ids", ids.ToArray());
        var list = new List<ExportSource>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new ExportSource(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
        return list;
    }

    private static void AddArea(NpgsqlCommand c, byte[] area) =>
        c.Parameters.Add(new NpgsqlParameter("area_wkb", NpgsqlDbType.Bytea) { Value = area });
}
