using System.Text.Json;
using System.Text.Json.Nodes;

namespace DisasterHub.Core;

/// <summary>
/// The one way feed JSON is read: depth-capped, strict, and checked up front for what System.Text.Json would only
/// trip over later, deep inside a parser (duplicate keys, strings that are not valid UTF-16 such as lone surrogates),
/// so such documents are refused with a JSON pointer instead of crashing a parser.
/// </summary>
public static class SafeJson
{
    public static JsonNode? Parse(string text, JsonDocumentOptions options)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, options);
        }
        catch (JsonException e)
        {
            throw new UnparseableDocumentException(e.LineNumber is { } l ? $"line {l + 1}" : "document",
                $"malformed JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}");
        }
        using (doc)
        {
            Check(doc.RootElement, "");
            // the checked element becomes the node tree (copied out of the pooled document, not parsed again)
            var root = doc.RootElement.Clone();
            return root.ValueKind switch
            {
                JsonValueKind.Object => JsonObject.Create(root),
                JsonValueKind.Array => JsonArray.Create(root),
                JsonValueKind.Null => null,
                _ => JsonValue.Create(root),
            };
        }
    }

    private static void Check(JsonElement e, string pointer)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject())
                {
                    var name = Text(() => p.Name, pointer);
                    var child = $"{pointer}/{name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";
                    if (!seen.Add(name)) throw new UnparseableDocumentException(child, $"duplicate key '{name}'");
                    Check(p.Value, child);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Check(item, $"{pointer}/{i++}");
                break;
            case JsonValueKind.String:
                var s = Text(e.GetString, pointer);
                if (s is not null && s.Contains('\0', StringComparison.Ordinal))
                    throw new UnparseableDocumentException(pointer.Length == 0 ? "/" : pointer, "string contains a NUL character");
                break;
        }
    }

    private static T Text<T>(Func<T> read, string pointer)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException)
        {
            throw new UnparseableDocumentException(pointer.Length == 0 ? "/" : pointer, "string is not valid Unicode (lone surrogate)");
        }
    }
}
