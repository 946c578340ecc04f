using DisasterHub.Core.Checks;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace DisasterHub.Core;

/// <summary>
/// Where an organization may write (DESIGN §4): municipality codes (a prefecture's code covers its municipalities),
/// or a service-area polygon for utilities. Checked per feature on every push — by the claimed code AND by the
/// geometry (within the jurisdiction's boundaries + tolerance); the rest of a document still counts.
/// </summary>
public sealed class Jurisdiction
{
    private readonly HashSet<string> _codes;
    private readonly HashSet<string> _prefectures;
    private readonly IPreparedGeometry? _area;
    private (IBoundaryLookup Lookup, IReadOnlyList<MunicipalArea> Areas)? _areas;

    public Jurisdiction(string organizationId, IEnumerable<string> codes, Geometry? serviceArea)
    {
        OrganizationId = organizationId;
        _codes = [.. codes];
        _prefectures = [.. _codes.Where(c => c.Length == 6 && c[2..5] == "000").Select(c => c[..2])];
        _area = serviceArea is null || serviceArea.IsEmpty ? null : PreparedGeometryFactory.Prepare(serviceArea);
    }

    public string OrganizationId { get; }

    /// <summary>True when the municipality code is one of the jurisdiction's, or in a prefecture it holds whole.</summary>
    public bool Covers(string code6) => _codes.Contains(code6) || (code6.Length == 6 && _prefectures.Contains(code6[..2]));

    /// <summary>Null when the record is inside; otherwise the reason it is not.</summary>
    /// <param name="boundaries">Municipal boundaries to check the geometry against; null checks the code only.</param>
    public string? Check(FeatureRecord r, IBoundaryLookup? boundaries = null, double toleranceMetres = 2000)
    {
        if (r.MunicipalityCode is { } code && (_codes.Contains(code) || _prefectures.Contains(code[..2])))
            return boundaries is null ? null : CheckGeometry(r, boundaries, toleranceMetres);
        if (_area is not null && r.Geometry is { IsEmpty: false } g && _area.Covers(g)) return null;
        if (_area is not null && _codes.Count == 0) return $"outside the service area of {OrganizationId}";
        return r.MunicipalityCode is null
            ? $"no municipality code to check against the jurisdiction of {OrganizationId}"
            : $"municipality {r.MunicipalityCode} is outside the jurisdiction of {OrganizationId}";
    }

    /// <summary>The geometry (every point of it) must lie within the jurisdiction's municipalities + tolerance.</summary>
    private string? CheckGeometry(FeatureRecord r, IBoundaryLookup boundaries, double toleranceMetres)
    {
        if (r.Geometry is not { IsEmpty: false } g) return null;
        if (_area is not null && _area.Covers(g)) return null;
        var areas = Areas(boundaries);
        if (areas.Count == 0) return null; // no boundary known for any of its codes: the code is all there is to check
        var (metres, worst) = GeoDistance.FarthestFrom(g, areas);
        if (metres <= toleranceMetres) return null;
        return $"geometry lies {metres / 1000:0.0} km outside the jurisdiction of {OrganizationId} ({string.Join(", ", _codes)}), in {BoundaryAgreementCheck.Where(boundaries, worst!)}";
    }

    private IReadOnlyList<MunicipalArea> Areas(IBoundaryLookup boundaries)
    {
        if (_areas is { } cached && ReferenceEquals(cached.Lookup, boundaries)) return cached.Areas;
        var list = new List<MunicipalArea>();
        foreach (var c in _codes)
            if (c.Length == 6 && c[2..5] == "000") list.AddRange(boundaries.WithPrefix(c[..2]));
            else if (boundaries.Get(c) is { } a) list.Add(a);
        _areas = (boundaries, list);
        return list;
    }
}
