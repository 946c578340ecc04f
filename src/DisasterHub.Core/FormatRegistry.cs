namespace DisasterHub.Core;

/// <summary>
/// The formats the hub knows. Every parse goes through <see cref="Parse"/>, which applies the checks all formats
/// share (geometry present and valid, inside the service extent) after the format's own parser, so no adapter can
/// forget them.
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

    /// <param name="resolveLocation">
    /// Gives a geometry to records the document located only by an id or code (e.g. a shelter-status push naming a
    /// registered shelter). Offline (<c>./hub validate</c>) there is none, and such records are rejected.
    /// </param>
    public ParseResult Parse(IFeedParser parser, ReadOnlyMemory<byte> content, ParseContext context,
        Func<FeatureRecord, NetTopologySuite.Geometries.Geometry?>? resolveLocation = null)
    {
        var result = parser.Parse(content, context);
        if (resolveLocation is not null)
            foreach (var r in result.Records)
                if (r.Geometry is null || r.Geometry.IsEmpty) r.Geometry = resolveLocation(r);
        ResolveByCode(result, context.Municipalities ?? MunicipalityDirectory.LoadEmbedded());
        ApplySharedChecks(result, context.Extent, context.ReceivedAt);
        Checks.ValidityRule.Apply(result);
        return result;
    }

    /// <summary>
    /// Records a feed locates only by a municipality (or prefecture) code get that municipality's representative
    /// point, marked <c>location_precision: "municipality"</c>; the hub prefers imported boundaries when it has them.
    /// </summary>
    public static void ResolveByCode(ParseResult result, MunicipalityDirectory directory)
    {
        var factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);
        foreach (var r in result.Records)
        {
            if (r.Geometry is { IsEmpty: false } || !r.LocatedByCode || r.MunicipalityCode is null) continue;
            if (!directory.TryGetPoint(r.MunicipalityCode, out var lon, out var lat)) continue;
            r.Geometry = factory.CreatePoint(new NetTopologySuite.Geometries.Coordinate(lon, lat));
            r.Attrs["location_precision"] = directory.Get(r.MunicipalityCode)?.IsPrefecture == true ? "prefecture" : "municipality";
        }
    }

    private static bool HasNul(FeatureRecord r) =>
        HasNul(r.SourceKey) || HasNul(r.EntityKey) || HasNul(r.Name) || HasNul(r.Address) || HasNul(r.Status) || HasNul(r.MunicipalityCode)
        || HasNul(r.Attrs);

    private static bool HasNul(string? s) => s is not null && s.Contains('\0', StringComparison.Ordinal);

    private static bool HasNul(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        System.Text.Json.Nodes.JsonObject o => o.Any(p => HasNul(p.Key) || HasNul(p.Value)),
        System.Text.Json.Nodes.JsonArray a => a.Any(HasNul),
        System.Text.Json.Nodes.JsonValue v => v.GetValueKind() == System.Text.Json.JsonValueKind.String && HasNul(v.GetValue<string>()),
        _ => false,
    };

    /// <summary>Earliest time a record may claim; anything before is a typo or an epoch default.</summary>
    public static readonly DateTimeOffset EarliestPlausible = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Moves records with NUL text, implausible times, or a geometry that is missing, invalid or outside the extent
    /// to the rejections.
    /// </summary>

    public static void ApplySharedChecks(ParseResult result, ServiceExtent extent, DateTimeOffset? receivedAt = null)
    {
        var latest = (receivedAt ?? DateTimeOffset.UtcNow).AddDays(1);
        result.Records.RemoveAll(r =>
        {
            var at = r.Location ?? r.SourceKey;
            if (HasNul(r))
            {
                result.Reject(at, "text contains a NUL character");
                return true;
            }
            foreach (var (field, t) in new[] { ("observed_at", r.ObservedAt), ("reported_at", r.ReportedAt) })
                if (t is { } v && (v < EarliestPlausible || v > latest))
                {
                    result.Reject(at, $"{field} {v:yyyy-MM-ddTHH:mm:ssZ} is {(v < EarliestPlausible ? "before 1900" : "in the future")}");
                    return true;
                }
            if (r.Attrs["restoration_eta"] is { } eta && DateTimeOffset.TryParse(eta.ToString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var etaAt)
                && (etaAt < EarliestPlausible || etaAt > latest.AddYears(2)))
            {
                result.Reject(at, $"restoration_eta {etaAt:yyyy-MM-ddTHH:mm:ssZ} is not plausible");
                return true;
            }
            if (r.Geometry is null || r.Geometry.IsEmpty)
            {
                result.Reject(at, r.CancelsEvent is not null ? $"取消 of event {r.CancelsEvent}: no stored record of that event to retract"
                    : r.LocatedByCode && r.MunicipalityCode is not null ? $"no resolvable location (municipality code {r.MunicipalityCode} is unknown)" : "no usable location");
                return true;
            }
            if (!r.Geometry.IsValid)
            {
                result.Reject(at, "invalid geometry");
                return true;
            }
            if (!extent.Contains(r.Geometry.EnvelopeInternal))
            {
                result.Reject(at, "outside service extent");
                return true;
            }
            return false;
        });
    }
}
