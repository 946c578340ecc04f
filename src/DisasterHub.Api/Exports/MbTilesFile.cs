using System.IO.Compression;
using Microsoft.Data.Sqlite;

namespace DisasterHub.Api.Exports;

/// <summary>
/// Writes an MBTiles 1.3 tile set (a SQLite file) of Mapbox Vector Tiles: the metadata table (with the vector layers'
/// description in <c>json</c>) and one gzip-compressed tile per row, rows in TMS order as the specification asks.
/// </summary>
public sealed class MbTilesFile : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly SqliteTransaction _tx;
    private readonly SqliteCommand _insert;

    public MbTilesFile(string path, IEnumerable<(string Name, string Value)> metadata)
    {
        if (File.Exists(path)) File.Delete(path);
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _conn.Open();
        using (var j = _conn.CreateCommand())
        {
            j.CommandText = "PRAGMA journal_mode = OFF;";
            j.ExecuteNonQuery();
        }
        _tx = _conn.BeginTransaction();
        using (var c = _conn.CreateCommand())
        {
            c.Transaction = _tx;
            c.CommandText = """
                CREATE TABLE metadata (name TEXT, value TEXT);
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
                """;
            c.ExecuteNonQuery();
        }
        foreach (var (name, value) in metadata)
        {
            using var m = _conn.CreateCommand();
            m.Transaction = _tx;
            m.CommandText = "INSERT INTO metadata (name, value) VALUES ($n, $v)";
            m.Parameters.AddWithValue("$n", name);
            m.Parameters.AddWithValue("$v", value);
            m.ExecuteNonQuery();
        }
        _insert = _conn.CreateCommand();
        _insert.Transaction = _tx;
        _insert.CommandText = "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES ($z, $x, $y, $d)";
        _insert.Parameters.Add("$z", SqliteType.Integer);
        _insert.Parameters.Add("$x", SqliteType.Integer);
        _insert.Parameters.Add("$y", SqliteType.Integer);
        _insert.Parameters.Add("$d", SqliteType.Blob);
    }

    public int Count { get; private set; }

    /// <summary>Adds the tile z/x/y (XYZ addressing, as the hub serves it); an empty tile is not stored.</summary>
    public void Add(int z, int x, int y, byte[] mvt)
    {
        if (mvt.Length == 0) return;
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(mvt);
        _insert.Parameters["$z"].Value = z;
        _insert.Parameters["$x"].Value = x;
        _insert.Parameters["$y"].Value = (1 << z) - 1 - y;
        _insert.Parameters["$d"].Value = gz.ToArray();
        _insert.ExecuteNonQuery();
        Count++;
    }

    public void Commit() => _tx.Commit();

    public void Dispose()
    {
        _insert.Dispose();
        _tx.Dispose();
        _conn.Dispose();
    }
}
