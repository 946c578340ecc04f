using System.Globalization;
using Microsoft.Data.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Exports;

/// <summary>
/// Writes an OGC GeoPackage 1.3 (a SQLite file): the required metadata tables, one feature table per layer (WGS84,
/// geometry as GeoPackage binary through NTS), and attribute tables. Columns are TEXT, INTEGER, REAL or DATETIME
/// (ISO 8601 UTC text, as the standard asks).
/// </summary>
public sealed class GeoPackageFile : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly SqliteTransaction _tx;
    private readonly GeoPackageGeoWriter _geo = new() { HandleOrdinates = Ordinates.XY }; // 2D: the default writes Z and M as NaN
    private readonly WKBReader _wkb = new();

    public GeoPackageFile(string path)
    {
        if (File.Exists(path)) File.Delete(path);
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _conn.Open();
        Exec("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF;");
        _tx = _conn.BeginTransaction();
        Exec("""
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326,
                'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
                'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
                description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
                CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
                CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            """);
    }

    /// <summary>A column of a table: its name and GeoPackage type (TEXT, INTEGER, REAL, DATETIME).</summary>
    public sealed record Column(string Name, string Type);

    /// <summary>A feature table being written; rows go in with <see cref="Add"/>, the extent is kept as they come.</summary>
    public sealed class FeatureTable(SqliteCommand insert, string name)
    {
        internal SqliteCommand Insert { get; } = insert;
        internal string Name { get; } = name;
        internal Envelope Extent { get; } = new();
        public long Count { get; internal set; }
    }

    public FeatureTable CreateFeatureTable(string name, string description, IReadOnlyList<Column> columns, DateTimeOffset lastChange)
    {
        Exec($"CREATE TABLE \"{name}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY, {string.Join(", ", columns.Select(c => $"\"{c.Name}\" {c.Type}"))})");
        Exec("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES ($n, 'features', $n, $d, $t, 4326)",
            ("$n", name), ("$d", description), ("$t", Iso(lastChange)));
        Exec("INSERT INTO gpkg_geometry_columns VALUES ($n, 'geom', 'GEOMETRY', 4326, 0, 0)", ("$n", name));
        var insert = _conn.CreateCommand();
        insert.Transaction = _tx;
        insert.CommandText = $"INSERT INTO \"{name}\" (geom, {string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) VALUES ($geom, {string.Join(", ", columns.Select((_, i) => $"$c{i}"))})";
        insert.Parameters.Add("$geom", SqliteType.Blob);
        for (var i = 0; i < columns.Count; i++) insert.Parameters.Add($"$c{i}", columns[i].Type switch { "INTEGER" => SqliteType.Integer, "REAL" => SqliteType.Real, _ => SqliteType.Text });
        return new FeatureTable(insert, name);
    }

    /// <summary>Adds a feature: its geometry as WKB (WGS84) and one value per column (null allowed).</summary>
    public void Add(FeatureTable table, byte[] wkb, params object?[] values) => Add(table, _wkb.Read(wkb), values);

    /// <summary>Adds a feature: its geometry (WGS84) and one value per column (null allowed).</summary>
    public void Add(FeatureTable table, Geometry g, params object?[] values)
    {
        g.SRID = 4326;
        table.Extent.ExpandToInclude(g.EnvelopeInternal);
        table.Insert.Parameters[0].Value = _geo.Write(g);
        for (var i = 0; i < values.Length; i++)
            table.Insert.Parameters[i + 1].Value = values[i] switch
            {
                null => DBNull.Value,
                DateTimeOffset t => Iso(t),
                var v => v,
            };
        table.Insert.ExecuteNonQuery();
        table.Count++;
    }

    /// <summary>Closes a feature table: its extent goes into gpkg_contents.</summary>
    public void Finish(FeatureTable table)
    {
        if (!table.Extent.IsNull)
            Exec("UPDATE gpkg_contents SET min_x = $a, min_y = $b, max_x = $c, max_y = $d WHERE table_name = $n",
                ("$a", table.Extent.MinX), ("$b", table.Extent.MinY), ("$c", table.Extent.MaxX), ("$d", table.Extent.MaxY), ("$n", table.Name));
        table.Insert.Dispose();
    }

    /// <summary>A non-spatial table of name/value text pairs (data_type "attributes").</summary>
    public void AddAttributes(string name, string description, IEnumerable<(string Key, string Value)> rows, DateTimeOffset lastChange)
    {
        Exec($"CREATE TABLE \"{name}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value TEXT)");
        Exec("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES ($n, 'attributes', $n, $d, $t)",
            ("$n", name), ("$d", description), ("$t", Iso(lastChange)));
        foreach (var (k, v) in rows) Exec($"INSERT INTO \"{name}\" (key, value) VALUES ($k, $v)", ("$k", k), ("$v", v));
    }

    public void Commit() => _tx.Commit();

    public void Dispose()
    {
        _tx.Dispose();
        _conn.Dispose();
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void Exec(string sql, params (string Name, object? Value)[] args)
    {
        using var c = _conn.CreateCommand();
        c.Transaction = _tx;
        c.CommandText = sql;
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v ?? DBNull.Value);
        c.ExecuteNonQuery();
    }
}
