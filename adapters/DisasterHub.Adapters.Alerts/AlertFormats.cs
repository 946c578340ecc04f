using DisasterHub.Core;

namespace DisasterHub.Adapters.Alerts;

/// <summary>Alerting formats: L-Alert (公共情報コモンズ) XML, CAP 1.1/1.2, EDXL-DE envelopes, Atom feeds of CAP.</summary>
/// <remarks>Most specific sniffer first: commons envelopes are EDXL-DE too, so the lalert-* formats come before edxl-de.</remarks>
public static class AlertFormats
{
    public static IEnumerable<IFeedParser> All =>
    [
        new LAlertShelterParser(),
        new LAlertDamageParser(),
        new LAlertEvacuationParser(),
        new EdxlDeCapParser(),
        new CapAtomParser(),
        new CapParser(),
    ];
}
