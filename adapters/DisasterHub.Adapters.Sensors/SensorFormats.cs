using DisasterHub.Core;

namespace DisasterHub.Adapters.Sensors;

/// <summary>Sensor formats: OGC SensorThings API 1.1.</summary>
public static class SensorFormats
{
    public static IEnumerable<IFeedParser> All => [new SensorThingsParser()];
}
