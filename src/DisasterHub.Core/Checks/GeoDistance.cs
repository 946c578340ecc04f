using NetTopologySuite.Densify;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;

namespace DisasterHub.Core.Checks;

/// <summary>
/// Distances on the ground, in metres, between a record's geometry and a municipal area. Computed in a local
/// equirectangular projection around the record (longitudes scaled by cos φ), which is within 0.5 % of the geodesic
/// (PostGIS geography) distance at the few-kilometre scale the tolerances use.
/// </summary>
public static class GeoDistance
{
    private const double MetresPerDegree = 6371008.8 * Math.PI / 180;

    /// <summary>Points checked along a line or ring edge: about every 500 m (0.005°).</summary>
    private const double DensifyDegrees = 0.005;

    /// <summary>How far the point is from the area (0 inside).</summary>
    public static double PointToArea(Coordinate p, MunicipalArea area)
    {
        var point = area.Geometry.Factory.CreatePoint(p);
        if (area.Prepared.Covers(point)) return 0;
        var nearest = DistanceOp.NearestPoints(area.Geometry, point);
        return Metres(p, nearest[0]);
    }

    /// <summary>The ground distance between two lon/lat positions (local projection around the first).</summary>
    public static double Metres(Coordinate a, Coordinate b)
    {
        var k = Math.Cos((a.Y + b.Y) / 2 * Math.PI / 180);
        var dx = (b.X - a.X) * k;
        var dy = b.Y - a.Y;
        return Math.Sqrt(dx * dx + dy * dy) * MetresPerDegree;
    }

    /// <summary>
    /// The positions of a geometry that stand for it in the checks: a point itself; the vertices of a line or polygon,
    /// with edges densified so a long straight edge cannot cross another municipality unseen.
    /// </summary>
    public static IEnumerable<Coordinate> Samples(Geometry g)
    {
        if (g is Point p) return [p.Coordinate];
        if (g is MultiPoint) return g.Coordinates;
        return Densifier.Densify(g, DensifyDegrees).Coordinates;
    }

    /// <summary>The farthest any sample of the geometry lies from the nearest of the areas (0 when all are inside).</summary>
    public static (double Metres, Coordinate? Worst) FarthestFrom(Geometry g, IReadOnlyList<MunicipalArea> areas)
    {
        if (areas.Count == 0) return (double.PositiveInfinity, g.Coordinate);
        // Most records lie inside: one prepared Covers per area answers without sampling (by index: a foreach over the
        // list's interface boxed an enumerator per record)
        for (var i = 0; i < areas.Count; i++)
            if (areas[i].Prepared.Covers(g)) return (0, null);
        double worst = 0;
        Coordinate? at = null;
        foreach (var c in Samples(g))
        {
            var d = double.PositiveInfinity;
            foreach (var a in areas)
            {
                d = Math.Min(d, PointToArea(c, a));
                if (d == 0) break;
            }
            if (d > worst)
            {
                worst = d;
                at = c;
            }
        }
        return (worst, at);
    }
}
