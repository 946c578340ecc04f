using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>JMA formats: 防災情報XML (warnings, river floods, earthquakes) and the bosai JSON (quake list, AMeDAS).</summary>
public static class JmaFormats
{
    public static IEnumerable<IFeedParser> All => [];
}
