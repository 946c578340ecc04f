using DisasterHub.Core.Checks;

namespace DisasterHub.Core;

/// <summary>
/// The formats the hub knows. Every parse goes through <see cref="Parse"/> (or, in the hub, the same
/// <see cref="Checks"/>), which applies the record checks all formats share after the format's own parser, so no
/// adapter can forget them.
/// </summary>
public sealed class FormatRegistry
{
    private readonly Dictionary<string, IFeedParser> _parsers = new(StringComparer.OrdinalIgnoreCase);

    public FormatRegistry(IEnumerable<IFeedParser> parsers)
    {
        foreach (var p in parsers) _parsers[p.Format] = p;
    }

    public IReadOnlyCollection<IFeedParser> Parsers => _parsers.Values;

    public IFeedParser? Find(string format) => _parsers.GetValueOrDefault(format);

    /// <summary>The first parser whose sniffing accepts the document, most specific first (registration order).</summary>
    public IFeedParser? Detect(ReadOnlySpan<byte> content, string? fileName)
    {
        var head = content[..Math.Min(content.Length, 64 * 1024)];
        foreach (var p in _parsers.Values)
            if (p.Sniff(head, fileName)) return p;
        return null;
    }

    /// <summary>The record checks every parse passes, offline and in the hub (one ordered list, <see cref="RecordChecks.Standard"/>).</summary>
    public RecordChecks Checks { get; } = RecordChecks.Standard();

    /// <param name="resolveLocation">
    /// Gives a geometry to records the document located only by an id or code (e.g. a shelter-status push naming a
    /// registered shelter). Offline (<c>./hub validate</c>) there is none, and such records are rejected.
    /// </param>
    public ParseResult Parse(IFeedParser parser, ReadOnlyMemory<byte> content, ParseContext context,
        Func<FeatureRecord, NetTopologySuite.Geometries.Geometry?>? resolveLocation = null)
    {
        var result = parser.Parse(content, context);
        Checks.Run(result, new CheckContext
        {
            Extent = context.Extent,
            ReceivedAt = context.ReceivedAt,
            Boundaries = context.Boundaries ?? MunicipalBoundaries.LoadEmbedded(),
            Directory = context.Municipalities ?? MunicipalityDirectory.LoadEmbedded(),
            StoredLocation = resolveLocation,
        });
        ValidityRule.Apply(result); // the validity slot's rule (issue 11.2), as ingest applies it
        return result;
    }

    /// <summary>
    /// Bounds on the geometry a parser produced (before the hub adds boundaries to records located by code): a record
    /// over <paramref name="maxPerFeature"/> vertices is rejected with the reason; a document whose records have more
    /// than <paramref name="maxPerDocument"/> together is refused whole (the returned rejection).
    /// </summary>
    public static Rejection? ApplyGeometryCaps(ParseResult result, int maxPerFeature, int maxPerDocument)
    {
        long total = 0;
        return ApplyGeometryCaps(result, maxPerFeature, maxPerDocument, ref total);
    }

    /// <summary>The caps over one batch of a document read in batches: <paramref name="total"/> carries the document's vertices so far.</summary>
    public static Rejection? ApplyGeometryCaps(ParseResult result, int maxPerFeature, int maxPerDocument, ref long total)
    {
        var sum = total;
        result.Records.RemoveAll(r =>
        {
            var n = r.Geometry?.NumPoints ?? 0;
            if (n <= maxPerFeature)
            {
                sum += n;
                return false;
            }
            result.Reject(r.Location ?? r.SourceKey, $"geometry has {n} vertices, more than the cap of {maxPerFeature} per record (Hub:Ingest:MaxVerticesPerFeature)");
            return true;
        });
        total = sum;
        return sum > maxPerDocument
            ? new Rejection("document", $"the document's geometries have {sum} vertices, more than the cap of {maxPerDocument} (Hub:Ingest:MaxVerticesPerDocument)")
            : null;
    }
}
