namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>Configuration snippets tests put into a hub: push sources owned by nanao-city, tile addressing.</summary>
public static class TestSettings
{
    /// <summary>Adds push sources (id, format, layer) owned by nanao-city at Hub:Sources:{firstIndex}…</summary>
    public static Dictionary<string, string?> AddPushSources(Dictionary<string, string?> s, int firstIndex, string purpose,
        params (string Id, string Format, string Layer)[] sources)
    {
        var i = firstIndex;
        foreach (var (id, format, layer) in sources)
        {
            s[$"Hub:Sources:{i}:Id"] = id;
            s[$"Hub:Sources:{i}:Name"] = $"{purpose} test source ({layer})";
            s[$"Hub:Sources:{i}:Kind"] = "push";
            s[$"Hub:Sources:{i}:Format"] = format;
            s[$"Hub:Sources:{i}:Layer"] = layer;
            s[$"Hub:Sources:{i}:OwnerOrg"] = "nanao-city";
            i++;
        }
        return s;
    }

    /// <summary>The XYZ tile (Web Mercator) holding a point at zoom z.</summary>
    public static (int X, int Y) TileOf(double lon, double lat, int z)
    {
        var n = 1 << z;
        var x = (int)Math.Floor((lon + 180) / 360 * n);
        var latRad = lat * Math.PI / 180;
        var y = (int)Math.Floor((1 - Math.Log(Math.Tan(latRad) + 1 / Math.Cos(latRad)) / Math.PI) / 2 * n);
        return (x, y);
    }
}
