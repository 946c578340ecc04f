using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>JMA formats: 防災情報XML (warnings, river floods, earthquakes) and the bosai JSON (quake list, AMeDAS).</summary>
public static class JmaFormats
{
    /// <summary>Every XML parser sniffs the jmaxml1 namespace plus its Head/InfoKind; the JSON ones their distinctive keys.</summary>
    public static IEnumerable<IFeedParser> All =>
    [
        new JmaWarningXmlParser(),
        new JmaFloodForecastXmlParser(),
        new JmaEarthquakeXmlParser(),
        new JmaTsunamiXmlParser(),
        new JmaQuakeListParser(),
        new AmedasTableParser(),
        new AmedasMapParser(),
    ];
}
