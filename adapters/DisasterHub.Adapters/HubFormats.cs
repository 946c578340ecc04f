using DisasterHub.Adapters.Alerts;
using DisasterHub.Adapters.Federation;
using DisasterHub.Adapters.Jma;
using DisasterHub.Adapters.Lifelines;
using DisasterHub.Adapters.Sensors;
using DisasterHub.Adapters.Shelters;
using DisasterHub.Core;

namespace DisasterHub.Adapters;

/// <summary>Every format the hub knows: one line per adapter family (each family lists its own formats).</summary>
public static class HubFormats
{
    public static IEnumerable<IFeedParser> All =>
    [
        .. ShelterFormats.All,
        .. AlertFormats.All,
        .. JmaFormats.All,
        .. LifelineFormats.All,
        .. SensorFormats.All,
        .. HubChangesParser.All,
    ];

    public static FormatRegistry CreateRegistry() => new(All);
}
