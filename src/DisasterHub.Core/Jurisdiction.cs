using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace DisasterHub.Core;

/// <summary>
/// Where an organization may write (DESIGN §4): municipality codes (a prefecture's code covers its municipalities),
/// or a service-area polygon for utilities. Checked per feature on every push; the rest of a document still counts.
/// </summary>
public sealed class Jurisdiction
{
    private readonly HashSet<string> _codes;
    private readonly HashSet<string> _prefectures;
    private readonly IPreparedGeometry? _area;

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
    public string? Check(FeatureRecord r)
    {
        if (r.MunicipalityCode is { } code && (_codes.Contains(code) || _prefectures.Contains(code[..2]))) return null;
        if (_area is not null && r.Geometry is { IsEmpty: false } g && _area.Covers(g)) return null;
        if (_area is not null && _codes.Count == 0) return $"outside the service area of {OrganizationId}";
        return r.MunicipalityCode is null
            ? $"no municipality code to check against the jurisdiction of {OrganizationId}"
            : $"municipality {r.MunicipalityCode} is outside the jurisdiction of {OrganizationId}";
    }
}
