using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>Google encoded polyline algorithm (precision 1e-5; pairs are latitude, longitude).</summary>
public static class Polyline
{
    /// <summary>Decodes to (lon, lat) coordinates; false when the text is not a complete encoding.</summary>
    public static bool TryDecode(string encoded, out List<Coordinate> coordinates)
    {
        coordinates = [];
        var index = 0;
        long lat = 0, lon = 0;
        while (index < encoded.Length)
        {
            if (!TryNext(encoded, ref index, out var dLat) || !TryNext(encoded, ref index, out var dLon)) return false;
            lat += dLat;
            lon += dLon;
            var y = lat / 1e5;
            var x = lon / 1e5;
            if (x is < -180 or > 180 || y is < -90 or > 90) return false;
            coordinates.Add(new Coordinate(x, y));
        }
        return coordinates.Count > 0;
    }

    private static bool TryNext(string s, ref int index, out long value)
    {
        value = 0;
        long result = 0;
        var shift = 0;
        while (true)
        {
            if (index >= s.Length || shift > 60) return false;
            var b = s[index++] - 63;
            if (b is < 0 or > 63) return false;
            result |= (long)(b & 0x1f) << shift;
            shift += 5;
            if (b < 0x20) break;
        }
        value = (result & 1) != 0 ? ~(result >> 1) : result >> 1;
        return true;
    }

    /// <summary>Encodes (lon, lat) coordinates (for tests and documentation).</summary>
    public static string Encode(IEnumerable<Coordinate> coordinates)
    {
        var sb = new System.Text.StringBuilder();
        long pLat = 0, pLon = 0;
        foreach (var c in coordinates)
        {
            var lat = (long)Math.Round(c.Y * 1e5);
            var lon = (long)Math.Round(c.X * 1e5);
            Write(sb, lat - pLat);
            Write(sb, lon - pLon);
            pLat = lat;
            pLon = lon;
        }
        return sb.ToString();
    }

    private static void Write(System.Text.StringBuilder sb, long v)
    {
        var u = v < 0 ? ~(v << 1) : v << 1;
        while (u >= 0x20)
        {
            sb.Append((char)((0x20 | (u & 0x1f)) + 63));
            u >>= 5;
        }
        sb.Append((char)(u + 63));
    }
}
