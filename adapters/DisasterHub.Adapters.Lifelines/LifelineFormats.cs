using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>Lifeline formats: power outages (utility push JSON, TEPCO-style XML, EAGLE-I CSV, Kubra JSON) and FDMA damage reports.</summary>
/// <remarks>Most specific sniffer first (register in this order).</remarks>
public static class LifelineFormats
{
    public static IEnumerable<IFeedParser> All =>
    [
        new PowerPushJsonParser(),
        new FdmaDamageJsonParser(),
        new KubraJsonParser(),
        new TepcoXmlParser(),
        new FdmaDamageCsvParser(),
        new EagleICsvParser(),
    ];
}
