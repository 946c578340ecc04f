using System.Globalization;
using System.Text;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.IO;

namespace DisasterHub.Adapters.Jma;

/// <summary>The JMA code tables the hub ships (geodata/README.md). Codes are only unique within one table.</summary>
public enum JmaAreaTable
{
    /// <summary>地震情報／細分区域 (3 digits, e.g. 390 石川県能登): polygons, else centroids.</summary>
    Seismic,

    /// <summary>津波予報区 (3 digits, e.g. 360 石川県能登): coastal lines.</summary>
    Tsunami,

    /// <summary>気象・地震・火山情報／市町村等 (7 digits, e.g. 1720200 七尾市): centroids.</summary>
    City,
}

/// <summary>One area of a JMA code table: its code, name and a geometry (polygon, coastal line or centroid).</summary>
public sealed record JmaArea(JmaAreaTable Table, string Code, string Name, Geometry Geometry)
{
    /// <summary>The table's name as JMA's CodeDefine spells it, for attrs.area_table.</summary>
    public string TableName => JmaAreas.TableName(Table);

    /// <summary>"polygon", "line" or "centroid" — how precisely the geometry places the area.</summary>
    public string Kind => Geometry switch
    {
        Point => "centroid",
        ILineal => "line",
        _ => "polygon",
    };
}

/// <summary>
/// JMA's area tables, embedded in this assembly from <c>geodata/jma-*.tsv</c> (出典：気象庁; derived as geodata/README.md
/// says). Immutable once loaded; lookups are keyed by (table, code), never by name — 石川県能登 is 390 in
/// 地震情報／細分区域 and 360 in 津波予報区, and 771 is 鹿児島県大隅 in one and 種子島・屋久島地方 in the other.
/// </summary>
public sealed class JmaAreas
{
    private static readonly Lazy<JmaAreas> EmbeddedTables = new(() => new JmaAreas(
        Resource("jma-seismic-areas.tsv"), Resource("jma-tsunami-areas.tsv"),
        Resource("jma-seismic-area-centroids.tsv"), Resource("jma-city-centroids.tsv")));

    private readonly Dictionary<(JmaAreaTable, string), JmaArea> _areas = [];

    /// <summary>The tables from geodata/, embedded at build time (no I/O beyond the assembly's own resources).</summary>
    public static JmaAreas Embedded => EmbeddedTables.Value;

    public JmaAreas(string seismicAreas, string tsunamiAreas, string seismicCentroids, string cityCentroids)
    {
        var wkt = new WKTReader(JmaXml.Factory.GeometryServices);
        // centroids first: a polygon, where the table has one, replaces its area's centroid
        foreach (var (code, name, lat, lon) in Centroids(seismicCentroids))
            _areas[(JmaAreaTable.Seismic, code)] = new(JmaAreaTable.Seismic, code, name, JmaXml.Point(lon, lat));
        foreach (var (code, name, lat, lon) in Centroids(cityCentroids))
            _areas[(JmaAreaTable.City, code)] = new(JmaAreaTable.City, code, name, JmaXml.Point(lon, lat));
        foreach (var (table, text) in new[] { (JmaAreaTable.Seismic, seismicAreas), (JmaAreaTable.Tsunami, tsunamiAreas) })
        foreach (var f in Rows(text, 3))
        {
            var g = wkt.Read(f[2]);
            g.SRID = 4326;
            // rounding to 4 decimals can pinch a simplified ring; the fixed geometry covers the same area
            if (!g.IsValid) g = GeometryFixer.Fix(g);
            _areas[(table, f[0])] = new(table, f[0], f[1], g);
        }
    }

    public bool TryGet(JmaAreaTable table, string? code, out JmaArea area)
    {
        area = null!;
        return code is not null && _areas.TryGetValue((table, code), out area!);
    }

    public int Count(JmaAreaTable table) => _areas.Keys.Count(k => k.Item1 == table);

    public static string TableName(JmaAreaTable table) => table switch
    {
        JmaAreaTable.Seismic => "地震情報／細分区域",
        JmaAreaTable.Tsunami => "津波予報区",
        _ => "気象・地震・火山情報／市町村等",
    };

    private static IEnumerable<string[]> Rows(string tsv, int columns)
    {
        foreach (var raw in tsv.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split('\t');
            if (f.Length < columns) throw new FormatException($"JMA area table line '{line[..Math.Min(line.Length, 40)]}' has {f.Length} columns, expected {columns}");
            yield return f;
        }
    }

    private static IEnumerable<(string Code, string Name, double Lat, double Lon)> Centroids(string tsv) =>
        Rows(tsv, 4).Select(f => (f[0], f[1], double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture)));

    private static string Resource(string name)
    {
        using var stream = typeof(JmaAreas).Assembly.GetManifestResourceStream("DisasterHub.Adapters.Jma." + name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
