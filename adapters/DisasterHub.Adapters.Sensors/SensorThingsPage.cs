using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Sensors;

/// <summary>
/// SensorThings server-driven paging (18-088 §9.3.3.6): a collection response that is not complete carries
/// <c>"@iot.nextLink"</c>, the absolute URL of the next page. The fetcher follows it until a page has none.
/// </summary>
public static class SensorThingsPage
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>
    /// The next page's URL, or null (no link, not a collection, malformed JSON, or not an http(s) URL). A relative
    /// link — which the standard does not allow, but servers send — is resolved against <paramref name="documentUri"/>
    /// when given, else it is ignored.
    /// </summary>
    public static Uri? NextLink(ReadOnlySpan<byte> content, Uri? documentUri = null)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(TextDecoding.DecodeJson(content).Text, documentOptions: Options);
        }
        catch (Exception e) when (e is JsonException or UnparseableDocumentException)
        {
            return null;
        }
        if (root is not JsonObject o || o["@iot.nextLink"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return null;
        var text = ((string)v!).Trim();
        if (text.Length == 0) return null;
        Uri? uri;
        if (Uri.TryCreate(text, UriKind.Absolute, out var abs) && !text.StartsWith('/')) uri = abs;
        else if (documentUri is { IsAbsoluteUri: true } && Uri.TryCreate(documentUri, text, out var rel)) uri = rel;
        else return null;
        return uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps ? uri : null;
    }
}
