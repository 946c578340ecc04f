namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>Documents several test classes push: one CAP 1.2 evacuation order over central 七尾市.</summary>
public static class TestDocuments
{
    /// <summary>
    /// A CAP 1.2 alert from nanao-city: 避難指示, Severe, over a 0.04° square of 七尾市 with its JIS X 0402 code; the
    /// status (Actual, Exercise, …), the sent time and an optional expires as the test needs them.
    /// </summary>
    public static byte[] Cap(string id, string headline, string status = "Actual", string sent = "2026-11-22T11:00:00+09:00", string? expires = null) =>
        System.Text.Encoding.UTF8.GetBytes($"""
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>{id}</identifier>
              <sender>nanao-city</sender>
              <sent>{sent}</sent>
              <status>{status}</status>
              <msgType>Alert</msgType>
              <scope>Public</scope>
              <info>
                <category>Geo</category>
                <event>避難指示</event>
                <urgency>Immediate</urgency>
                <severity>Severe</severity>
                <certainty>Observed</certainty>
                {(expires is null ? "" : $"<expires>{expires}</expires>")}
                <headline>{headline}</headline>
                <area>
                  <areaDesc>七尾市</areaDesc>
                  <polygon>37.03,136.94 37.03,136.98 37.07,136.98 37.07,136.94 37.03,136.94</polygon>
                  <geocode><valueName>JIS X 0402</valueName><value>172022</value></geocode>
                </area>
              </info>
            </alert>
            """);
}
