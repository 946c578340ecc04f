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

    /// <summary>A pull source at Hub:Sources:{index} reading a feed on this machine (internal: loopback allowed).</summary>
    public static Dictionary<string, string?> AddLoopbackPull(Dictionary<string, string?> s, int index, string id, string format, string layer,
        string url, bool replaces = false)
    {
        s[$"Hub:Sources:{index}:Id"] = id;
        s[$"Hub:Sources:{index}:Kind"] = "pull";
        s[$"Hub:Sources:{index}:Format"] = format;
        s[$"Hub:Sources:{index}:Layer"] = layer;
        s[$"Hub:Sources:{index}:Url"] = url;
        s[$"Hub:Sources:{index}:Internal"] = "true";
        if (replaces) s[$"Hub:Sources:{index}:Replaces"] = "true";
        return s;
    }

    /// <summary>
    /// 石川県 as an organization (jurisdiction: the prefecture) with its own shelter-status push source "pref-status"
    /// (priority 30, after the city's): a second pusher for the same shelters.
    /// </summary>
    public static Dictionary<string, string?> AddPrefecturePusher(Dictionary<string, string?> s)
    {
        s["Hub:Organizations:2:Id"] = "ishikawa-pref";
        s["Hub:Organizations:2:Name"] = "石川県";
        s["Hub:Organizations:2:Kind"] = "prefecture";
        s["Hub:Organizations:2:Jurisdiction:0"] = "170003";
        s["Hub:Sources:19:Id"] = "pref-status";
        s["Hub:Sources:19:Kind"] = "push";
        s["Hub:Sources:19:Format"] = "shelter-status-json";
        s["Hub:Sources:19:Layer"] = "shelters";
        s["Hub:Sources:19:Priority"] = "30";
        s["Hub:Sources:19:OwnerOrg"] = "ishikawa-pref";
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
