using System.Text.Json;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;
using NetTopologySuite.Index.Strtree;

namespace DisasterHub.Core.Checks;

/// <summary>One municipality's area (WGS 84), as the boundary checks see it.</summary>
public sealed class MunicipalArea
{
    public MunicipalArea(string code, string? prefecture, string? name, Geometry geometry)
    {
        Code = code;
        Prefecture = prefecture;
        Name = name;
        Geometry = geometry;
        Prepared = PreparedGeometryFactory.Prepare(geometry);
    }

    public string Code { get; }
    public string? Prefecture { get; }
    public string? Name { get; }
    public Geometry Geometry { get; }
    public IPreparedGeometry Prepared { get; }

    /// <summary>A 政令指定都市 as a whole (its wards are areas too): not the most specific answer to "where is this".</summary>
    public bool IsDesignatedCity { get; init; }

    /// <summary>"172022 七尾市".</summary>
    public string Label => Name is null ? Code : $"{Code} {Name}";
}

/// <summary>
/// Where municipal boundaries come from for the record checks: the embedded <c>geodata/municipal-boundaries.geojson</c>
/// offline (<c>./hub validate</c>), the imported <c>municipality_boundary</c> table in the hub.
/// </summary>
public interface IBoundaryLookup
{
    /// <summary>The municipality's area, or null when no boundary is known for the code.</summary>
    MunicipalArea? Get(string code6);

    /// <summary>The municipalities whose area covers the point, most specific first (wards before their city).</summary>
    IReadOnlyList<MunicipalArea> At(Coordinate lonLat);

    /// <summary>Every area whose code starts with the prefix (a prefecture's 2 digits → its municipalities).</summary>
    IEnumerable<MunicipalArea> WithPrefix(string prefix);
}

/// <summary>An immutable set of municipal areas with a spatial index.</summary>
public sealed class MunicipalBoundaries : IBoundaryLookup
{
    private static readonly GeometryFactory Factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);
    private static readonly Lazy<MunicipalBoundaries> Embedded = new(() =>
    {
        using var stream = typeof(MunicipalBoundaries).Assembly.GetManifestResourceStream("DisasterHub.Core.municipal-boundaries.geojson")
            ?? throw new InvalidOperationException("embedded resource municipal-boundaries.geojson is missing");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return FromGeoJson(ms.ToArray());
    });

    private readonly Dictionary<string, MunicipalArea> _byCode;
    private readonly STRtree<MunicipalArea> _index = new();

    public MunicipalBoundaries(IEnumerable<MunicipalArea> areas)
    {
        _byCode = new Dictionary<string, MunicipalArea>(StringComparer.Ordinal);
        foreach (var a in areas)
        {
            _byCode[a.Code] = a;
            _index.Insert(a.Geometry.EnvelopeInternal, a);
        }
        _index.Build();
    }

    public int Count => _byCode.Count;

    public IEnumerable<MunicipalArea> Areas => _byCode.Values;

    /// <summary>The boundaries compiled into this assembly (geodata/municipal-boundaries.geojson).</summary>
    public static MunicipalBoundaries LoadEmbedded() => Embedded.Value;

    /// <summary>The bytes of the embedded boundary file (the hub loads them into PostGIS at start-up).</summary>
    public static byte[] EmbeddedBytes()
    {
        using var stream = typeof(MunicipalBoundaries).Assembly.GetManifestResourceStream("DisasterHub.Core.municipal-boundaries.geojson")!;
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>From N03 parts (one or more per code, unioned), e.g. what <see cref="BoundaryReader"/> reads.</summary>
    public static MunicipalBoundaries FromParts(IEnumerable<BoundaryPart> parts, MunicipalityDirectory? directory = null)
    {
        directory ??= MunicipalityDirectory.LoadEmbedded();
        var cities = DesignatedCities(directory);
        var areas = parts.GroupBy(p => p.Code, StringComparer.Ordinal).Select(g =>
        {
            var geoms = g.Select(p => GeoJsonPolygons.Read(p.GeoJson)).Where(x => x is not null && !x.IsEmpty).ToList();
            if (geoms.Count == 0) return null;
            var geom = geoms.Count == 1 ? geoms[0]! : Factory.BuildGeometry(geoms!).Union();
            var first = g.First();
            return new MunicipalArea(g.Key, first.Prefecture, first.Name ?? directory.Get(g.Key)?.Name, geom)
            {
                IsDesignatedCity = cities.Contains(g.Key),
            };
        }).Where(a => a is not null);
        return new MunicipalBoundaries(areas!);
    }

    public static MunicipalBoundaries FromGeoJson(ReadOnlyMemory<byte> content) => FromParts(BoundaryReader.Read(content).Parts);

    /// <summary>Municipalities with wards in the directory (札幌市 for 札幌市中央区…): 政令指定都市.</summary>
    public static HashSet<string> DesignatedCities(MunicipalityDirectory directory)
    {
        var wards = directory.Entries.Where(w => w.Type == "ward").Select(w => w.Prefecture + "\t" + w.Name).ToList();
        return [.. directory.Entries.Where(e => e.Type == "municipality" && wards.Any(w => w.StartsWith(e.Prefecture + "\t" + e.Name, StringComparison.Ordinal))).Select(e => e.Code)];
    }

    public MunicipalArea? Get(string code6) => _byCode.GetValueOrDefault(code6);

    public IReadOnlyList<MunicipalArea> At(Coordinate lonLat)
    {
        var p = Factory.CreatePoint(lonLat);
        return [.. _index.Query(new Envelope(lonLat)).Where(a => a.Prepared.Covers(p)).OrderBy(a => a.IsDesignatedCity).ThenBy(a => a.Code, StringComparer.Ordinal)];
    }

    public IEnumerable<MunicipalArea> WithPrefix(string prefix) => _byCode.Values.Where(a => a.Code.StartsWith(prefix, StringComparison.Ordinal));
}

/// <summary>GeoJSON Polygon / MultiPolygon text → NTS geometry (SRID 4326); anything else → null.</summary>
public static class GeoJsonPolygons
{
    private static readonly GeometryFactory Factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    public static Geometry? Read(string geoJson)
    {
        using var doc = JsonDocument.Parse(geoJson);
        return Read(doc.RootElement);
    }

    public static Geometry? Read(JsonElement g)
    {
        if (g.ValueKind != JsonValueKind.Object || !g.TryGetProperty("type", out var t) || !g.TryGetProperty("coordinates", out var c)) return null;
        return t.GetString() switch
        {
            "Polygon" => Polygon(c),
            "MultiPolygon" => Factory.CreateMultiPolygon([.. c.EnumerateArray().Select(Polygon).Where(p => p is not null).Select(p => p!)]),
            _ => null,
        };
    }

    private static Polygon? Polygon(JsonElement rings)
    {
        var rs = rings.EnumerateArray().Select(r => r.EnumerateArray().Select(p => new Coordinate(p[0].GetDouble(), p[1].GetDouble())).ToArray())
            .Where(r => r.Length >= 4 && r[0].Equals2D(r[^1])).Select(r => Factory.CreateLinearRing(r)).ToList();
        return rs.Count == 0 ? null : Factory.CreatePolygon(rs[0], [.. rs.Skip(1)]);
    }
}
