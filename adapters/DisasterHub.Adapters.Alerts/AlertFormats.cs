using DisasterHub.Core;

namespace DisasterHub.Adapters.Alerts;

/// <summary>Alerting formats: L-Alert (公共情報コモンズ) XML, CAP 1.1/1.2, EDXL-DE envelopes, Atom feeds of CAP.</summary>
public static class AlertFormats
{
    public static IEnumerable<IFeedParser> All => [];
}
