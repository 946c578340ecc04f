using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>Lifeline formats: power outages (utility push JSON, TEPCO-style XML, EAGLE-I CSV, Kubra JSON) and FDMA damage reports.</summary>
public static class LifelineFormats
{
    public static IEnumerable<IFeedParser> All => [];
}
