using DisasterHub.Core;

namespace DisasterHub.Adapters.Shelters;

/// <summary>The shelter-layer formats, most specific sniffer first (register them in this order).</summary>
public static class ShelterFormats
{
    public static IEnumerable<IFeedParser> All =>
    [
        new ShelterStatusJsonParser(),
        new DaShelterGeoJsonParser(),
        new GsiShelterGeoJsonParser(),
        new GsiShelterCsvParser(),
        new DaShelterCsvParser(),
    ];
}
