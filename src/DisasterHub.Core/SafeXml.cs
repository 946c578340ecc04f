using System.Xml;
using System.Xml.Linq;

namespace DisasterHub.Core;

/// <summary>
/// The one way feed XML is read: DTDs prohibited and no resolver (no billion laughs, no external entities), bounded
/// size, line info kept so rejections can point into the document. Encoding comes from the BOM / XML declaration.
/// </summary>
public static class SafeXml
{
    /// <summary>Deepest element nesting accepted. Real feeds (EDXL-DE around CAP or pcxml, JMA XML) stay under 15.</summary>
    public const int MaxDepth = 64;

    public static XmlReaderSettings Settings(long maxCharacters = 64L * 1024 * 1024) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    /// <summary>Parses a document or throws <see cref="UnparseableDocumentException"/> with the line and the XML error.</summary>
    public static XDocument Load(ReadOnlyMemory<byte> content)
    {
        try
        {
            var bytes = content.ToArray();
            CheckDepth(bytes);
            using var stream = new MemoryStream(bytes, writable: false);
            using var reader = XmlReader.Create(stream, Settings());
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new UnparseableDocumentException(e.LineNumber > 0 ? $"line {e.LineNumber}" : "document", $"not well-formed XML: {e.Message}");
        }
    }

    // A streaming pass before the tree is built: a document nested thousands deep is refused at the line where it
    // crosses the cap. It has to come first: building the XDocument of a 50,000-deep document alone takes seconds
    // (checking the loaded tree instead was tried and measured at 5.7–6.5 s). Feed XML is small, so the second
    // read costs little.
    private static void CheckDepth(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = XmlReader.Create(stream, Settings());
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth >= MaxDepth)
            {
                var line = reader is IXmlLineInfo li && li.HasLineInfo() ? $"line {li.LineNumber}" : "document";
                throw new UnparseableDocumentException(line, $"elements nested deeper than {MaxDepth} levels");
            }
        }
    }

    /// <summary>"line N" of an element, for rejections.</summary>
    public static string LineOf(XObject node) => node is IXmlLineInfo li && li.HasLineInfo() ? $"line {li.LineNumber}" : "document";

    /// <summary>A readable element path like /Report/Body/Warning[2]/Item[1] (local names).</summary>
    public static string PathOf(XElement e)
    {
        var parts = new Stack<string>();
        for (var x = e; x is not null; x = x.Parent)
        {
            var index = x.Parent is null ? 0 : x.ElementsBeforeSelf(x.Name).Count() + 1;
            var sameName = x.Parent?.Elements(x.Name).Skip(1).Any() ?? false;
            parts.Push(sameName ? $"{x.Name.LocalName}[{index}]" : x.Name.LocalName);
        }
        return "/" + string.Join('/', parts);
    }
}
