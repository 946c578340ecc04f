using DisasterHub.Adapters.Alerts;
using DisasterHub.Adapters.Catalogue;
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
    /// <summary>
    /// The adapters' formats, then per catalogue layer: <c>{layer}.geojson</c> and <c>{layer}.csv</c> (the generic push,
    /// checked against the layer's schema) and <c>disasterhub-{layer}</c> (federation).
    /// </summary>
    public static IEnumerable<IFeedParser> All(LayerCatalogue catalogue) =>
    [
        .. ShelterFormats.All,
        .. AlertFormats.All,
        .. JmaFormats.All,
        .. LifelineFormats.All,
        .. SensorFormats.All,
        .. catalogue.Layers.SelectMany(l => new IFeedParser[] { new LayerGeoJsonParser(l), new LayerCsvParser(l), new HubChangesParser(l.Id) }),
    ];

    public static FormatRegistry CreateRegistry(LayerCatalogue catalogue) => new(All(catalogue));
}
