using System.Globalization;
using System.Text.RegularExpressions;

namespace DisasterHub.Core;

/// <summary>Parsing CRS names as GeoJSON, GML and WFS write them.</summary>
public static partial class Crs
{
    [GeneratedRegex(@"^(?:urn:ogc:def:crs:EPSG:[\d.]*:|EPSG:+|https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/)(\d{4,5})$", RegexOptions.IgnoreCase)]
    private static partial Regex EpsgName();

    [GeneratedRegex(@"^(?:urn:ogc:def:crs:OGC:[\d.]*:CRS84|https?://www\.opengis\.net/def/crs/OGC/[\d.]+/CRS84|CRS84|OGC:CRS84)$", RegexOptions.IgnoreCase)]
    private static partial Regex Crs84Name();

    /// <summary>
    /// "urn:ogc:def:crs:EPSG::6675", "EPSG:6675", "http://www.opengis.net/def/crs/EPSG/0/6675" → 6675;
    /// CRS84 → 4326 (both are read lon, lat here).
    /// </summary>
    public static bool TryParseEpsg(string? name, out int epsg)
    {
        epsg = 0;
        if (string.IsNullOrWhiteSpace(name)) return false;
        var s = name.Trim();
        if (Crs84Name().IsMatch(s))
        {
            epsg = 4326;
            return true;
        }
        var m = EpsgName().Match(s);
        return m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out epsg);
    }

    /// <summary>"EPSG:6675".</summary>
    public static string Name(int epsg) => "EPSG:" + epsg.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <see cref="CoordinateTransform.TryToWgs84"/> supports the code.</summary>
    public static bool IsSupported(int epsg) => CoordinateTransform.TryToWgs84(epsg, 0, 0, out _, out _) || epsg is 4301;
}

/// <summary>
/// To EPSG:4326 (lon, lat) from the CRSs Japanese data arrives in: WGS84 / JGD2011 / JGD2000 geographic, the 19 zones of
/// the plane rectangular CS on JGD2011 (EPSG:6669–6687) and JGD2000 (2443–2461), and the Tokyo Datum (4301, 30161–30179).
/// </summary>
/// <remarks>
/// Transverse Mercator is inverted with Krüger's n-series to order n⁴ (Karney 2011), good to well under a millimetre
/// within a zone. JGD2000/JGD2011 are taken as equal to WGS84 (they differ by centimetres). The Tokyo Datum is moved
/// with the 3-parameter Helmert shift (-146.414, 507.337, 680.507) from Bessel 1841 to GRS80, which is good to a
/// few metres — the accuracy of that datum's published parameters. Axis order is x = easting, y = northing, as
/// GeoJSON and shapefiles write it (the EPSG definition's X is northing, but files give easting first).
/// </remarks>
public static class CoordinateTransform
{
    private readonly record struct Ellipsoid(double A, double F);

    private static readonly Ellipsoid Grs80 = new(6378137.0, 1 / 298.257222101);
    private static readonly Ellipsoid Bessel = new(6377397.155, 1 / 299.1528128);

    /// <summary>Origins of zones I–XIX (latitude, longitude in degrees).</summary>
    private static readonly (double Lat, double Lon)[] Zones =
    [
        (33, 129.5), (33, 131), (36, 132 + 10 / 60.0), (33, 133.5), (36, 134 + 20 / 60.0), (36, 136), (36, 137 + 10 / 60.0),
        (36, 138.5), (36, 139 + 50 / 60.0), (40, 140 + 50 / 60.0), (44, 140.25), (44, 142.25), (44, 144.25), (26, 142),
        (26, 127.5), (26, 124), (26, 131), (20, 136), (26, 154),
    ];

    private const double ScaleFactor = 0.9999;

    /// <summary>The zone (1–19) of a plane rectangular EPSG code, or 0.</summary>
    public static int PlaneRectangularZone(int epsg) => epsg switch
    {
        >= 6669 and <= 6687 => epsg - 6668,
        >= 2443 and <= 2461 => epsg - 2442,
        >= 30161 and <= 30179 => epsg - 30160,
        _ => 0,
    };

    public static bool TryToWgs84(int epsg, double x, double y, out double lon, out double lat)
    {
        lon = lat = double.NaN;
        if (!double.IsFinite(x) || !double.IsFinite(y)) return false;
        switch (epsg)
        {
            case 4326 or 6668 or 4612 or 4019 or 4152:
                lon = x;
                lat = y;
                return true;
            case 4301:
                TokyoToWgs84(y, x, out lat, out lon);
                return true;
        }
        var zone = PlaneRectangularZone(epsg);
        if (zone == 0) return false;
        var (lat0, lon0) = Zones[zone - 1];
        var tokyo = epsg >= 30161;
        InverseTm(tokyo ? Bessel : Grs80, lat0, lon0, ScaleFactor, x, y, out lat, out lon);
        if (tokyo) TokyoToWgs84(lat, lon, out lat, out lon);
        return double.IsFinite(lat) && double.IsFinite(lon);
    }

    private static double Deg(double rad) => rad * 180 / Math.PI;

    private static double Rad(double deg) => deg * Math.PI / 180;

    private static void InverseTm(Ellipsoid e, double lat0, double lon0, double k0, double easting, double northing,
        out double lat, out double lon)
    {
        var n = e.F / (2 - e.F);
        double n2 = n * n, n3 = n2 * n, n4 = n3 * n;
        var a = e.A / (1 + n) * (1 + n2 / 4 + n4 / 64);
        double[] alpha =
        [
            n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180,
            13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440,
            61 * n3 / 240 - 103 * n4 / 140,
            49561 * n4 / 161280,
        ];
        double[] beta =
        [
            n / 2 - 2 * n2 / 3 + 37 * n3 / 96 - n4 / 360,
            n2 / 48 + n3 / 15 - 437 * n4 / 1440,
            17 * n3 / 480 - 37 * n4 / 840,
            4397 * n4 / 161280,
        ];
        double[] delta =
        [
            2 * n - 2 * n2 / 3 - 2 * n3 + 116 * n4 / 45,
            7 * n2 / 3 - 8 * n3 / 5 - 227 * n4 / 45,
            56 * n3 / 15 - 136 * n4 / 35,
            4279 * n4 / 630,
        ];
        // ξ of the origin (on the central meridian η = 0, so ξ = χ + Σ αⱼ sin 2jχ).
        var ecc = 2 * Math.Sqrt(n) / (1 + n);
        var sin0 = Math.Sin(Rad(lat0));
        var chi0 = Math.Asin(Math.Tanh(Math.Atanh(sin0) - ecc * Math.Atanh(ecc * sin0)));
        var xi0 = chi0;
        for (var j = 1; j <= 4; j++) xi0 += alpha[j - 1] * Math.Sin(2 * j * chi0);

        var xi = northing / (k0 * a) + xi0;
        var eta = easting / (k0 * a);
        double xiP = xi, etaP = eta;
        for (var j = 1; j <= 4; j++)
        {
            xiP -= beta[j - 1] * Math.Sin(2 * j * xi) * Math.Cosh(2 * j * eta);
            etaP -= beta[j - 1] * Math.Cos(2 * j * xi) * Math.Sinh(2 * j * eta);
        }
        var chi = Math.Asin(Math.Sin(xiP) / Math.Cosh(etaP));
        var phi = chi;
        for (var j = 1; j <= 4; j++) phi += delta[j - 1] * Math.Sin(2 * j * chi);
        lat = Deg(phi);
        lon = lon0 + Deg(Math.Atan2(Math.Sinh(etaP), Math.Cos(xiP)));
    }

    /// <summary>Tokyo Datum (Bessel) geographic → WGS84 via geocentric 3-parameter shift, height 0.</summary>
    private static void TokyoToWgs84(double latT, double lonT, out double lat, out double lon)
    {
        var (x, y, z) = ToGeocentric(Bessel, latT, lonT);
        FromGeocentric(Grs80, x - 146.414, y + 507.337, z + 680.507, out lat, out lon);
    }

    private static (double X, double Y, double Z) ToGeocentric(Ellipsoid e, double latDeg, double lonDeg)
    {
        var e2 = e.F * (2 - e.F);
        double phi = Rad(latDeg), lam = Rad(lonDeg);
        var nu = e.A / Math.Sqrt(1 - e2 * Math.Sin(phi) * Math.Sin(phi));
        return (nu * Math.Cos(phi) * Math.Cos(lam), nu * Math.Cos(phi) * Math.Sin(lam), nu * (1 - e2) * Math.Sin(phi));
    }

    private static void FromGeocentric(Ellipsoid e, double x, double y, double z, out double latDeg, out double lonDeg)
    {
        var e2 = e.F * (2 - e.F);
        var p = Math.Sqrt(x * x + y * y);
        var phi = Math.Atan2(z, p * (1 - e2));
        for (var i = 0; i < 10; i++)
        {
            var nu = e.A / Math.Sqrt(1 - e2 * Math.Sin(phi) * Math.Sin(phi));
            var h = p / Math.Cos(phi) - nu;
            phi = Math.Atan2(z, p * (1 - e2 * nu / (nu + h)));
        }
        latDeg = Deg(phi);
        lonDeg = Deg(Math.Atan2(y, x));
    }

    /// <summary>Forward TM on GRS80 (lat, lon → easting, northing) for a JGD2011 zone; used to check round trips.</summary>
    public static bool TryFromWgs84ToJgd2011Zone(int zone, double lon, double lat, out double easting, out double northing)
    {
        easting = northing = double.NaN;
        if (zone is < 1 or > 19) return false;
        var (lat0, lon0) = Zones[zone - 1];
        var n = Grs80.F / (2 - Grs80.F);
        double n2 = n * n, n3 = n2 * n, n4 = n3 * n;
        var a = Grs80.A / (1 + n) * (1 + n2 / 4 + n4 / 64);
        double[] alpha =
        [
            n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180,
            13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440,
            61 * n3 / 240 - 103 * n4 / 140,
            49561 * n4 / 161280,
        ];
        var ecc = 2 * Math.Sqrt(n) / (1 + n);
        double Xi(double latDeg, double dLon, out double eta)
        {
            var s = Math.Sin(Rad(latDeg));
            var t = Math.Sinh(Math.Atanh(s) - ecc * Math.Atanh(ecc * s));
            var l = Rad(dLon);
            var xiP = Math.Atan2(t, Math.Cos(l));
            var etaP = Math.Atanh(Math.Sin(l) / Math.Sqrt(1 + t * t));
            double xi = xiP, et = etaP;
            for (var j = 1; j <= 4; j++)
            {
                xi += alpha[j - 1] * Math.Sin(2 * j * xiP) * Math.Cosh(2 * j * etaP);
                et += alpha[j - 1] * Math.Cos(2 * j * xiP) * Math.Sinh(2 * j * etaP);
            }
            eta = et;
            return xi;
        }
        var xi0 = Xi(lat0, 0, out _);
        var xi1 = Xi(lat, lon - lon0, out var eta1);
        easting = ScaleFactor * a * eta1;
        northing = ScaleFactor * a * (xi1 - xi0);
        return true;
    }
}
