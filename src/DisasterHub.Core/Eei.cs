using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace DisasterHub.Core;

/// <summary>
/// Names of the layers the adapters write (strings: URL segments, table values and MVT layer names). Which layers
/// exist is the catalogue's business (<see cref="LayerCatalogue"/>, <c>catalogue/*.json</c>), not this list's.
/// </summary>
public static class Layers
{
    public const string Shelters = "shelters";
    public const string EvacuationOrders = "evacuation_orders";
    public const string Damage = "damage";
    public const string PowerOutages = "power_outages";
    public const string Sensors = "sensors";
    public const string Warnings = "warnings";
    public const string RoadClosures = "road_closures";
    public const string Media = "media";
}

/// <summary>Data-sharing classification levels, lowest first.</summary>
public static class Classifications
{
    public const string Public = "public";
    public const string Responders = "responders";
    public const string Restricted = "restricted";
}

/// <summary>
/// One normalized record: the shared EEI header plus layer attributes. Geometry is EPSG:4326 (x = lon, y = lat).
/// </summary>
public sealed class FeatureRecord
{
    public required string Layer { get; init; }

    /// <summary>The record's id inside its feed; with the source id it is unique.</summary>
    public required string SourceKey { get; init; }

    /// <summary>The real-world thing (共通ID, or municipality code + normalized name); merging groups by it.</summary>
    public string? EntityKey { get; set; }

    /// <summary>6 digits with check digit.</summary>
    public string? MunicipalityCode { get; set; }

    public string? Name { get; set; }
    public string? Address { get; set; }
    public Geometry? Geometry { get; set; }

    /// <summary>The CRS the source gave the coordinates in, e.g. "EPSG:6675".</summary>
    public string SourceCrs { get; set; } = "EPSG:4326";

    /// <summary>
    /// The feed places this record only by its municipality (or prefecture) code — a warning area, a damage report,
    /// an outage area — so the hub gives it that area's geometry (imported boundary, else representative point).
    /// </summary>
    public bool LocatedByCode { get; set; }

    public string? Status { get; set; }
    public int? Severity { get; set; }

    /// <summary>
    /// Set on a cancellation (JMA 取消, whose telegram names only the event): the record retracts every record of the
    /// same source, layer and workspace whose <c>attrs.event_id</c> equals this. The ingest pipeline turns it into
    /// those records with status 取消 and severity 0, written through the normal upsert and merge; offline
    /// (<c>./hub validate</c>) there is nothing stored to retract and the record is rejected with that reason.
    /// </summary>
    public string? CancelsEvent { get; set; }

    /// <summary>When it was true (UTC). Null means "as of receipt".</summary>
    public DateTimeOffset? ObservedAt { get; set; }

    /// <summary>When the source published it (UTC).</summary>
    public DateTimeOffset? ReportedAt { get; set; }

    public string Classification { get; set; } = Classifications.Public;

    public JsonObject Attrs { get; init; } = [];

    /// <summary>Where in the document the record came from ("line 12", "/features/3", "/Report/Body/...").</summary>
    public string? Location { get; init; }

    /// <summary>
    /// What the document says it is (CAP status, EDXL-DE distributionStatus, JMA Control/Status): parsers only report
    /// it; <see cref="Checks.ExerciseRule"/> decides what that means for the live picture.
    /// </summary>
    public DocumentStatus DocumentStatus { get; set; } = DocumentStatus.Actual;

    /// <summary>Where the status was read and what it said, for the reason a non-actual record is kept out of live ("/alert/status Exercise").</summary>
    public string? DocumentStatusAt { get; set; }

    /// <summary>From when the record holds (UTC): CAP effective/onset, JMA/L-Alert ReportDateTime where validity starts. Null: from the start.</summary>
    public DateTimeOffset? ValidFrom { get; set; }

    /// <summary>
    /// Until when the record holds (UTC): CAP expires, JMA/L-Alert ValidDateTime. Past it the record is inactive on every
    /// live read; as-of reads show it while it was valid. Null: until replaced. A restoration ETA is not validity.
    /// </summary>
    public DateTimeOffset? ValidUntil { get; set; }

    /// <summary>Reports the document's status: the least actual of what the record has and <paramref name="status"/> wins.</summary>
    public void MarkStatus(DocumentStatus status, string at)
    {
        if (status == DocumentStatus.Actual || status <= DocumentStatus) return;
        DocumentStatus = status;
        DocumentStatusAt = at;
    }
}

/// <summary>What a document says it is, from actual to least actual (a higher value wins when two markers disagree).</summary>
public enum DocumentStatus
{
    Actual = 0,
    System = 1,
    Test = 2,
    Exercise = 3,
    Draft = 4,
}

/// <summary>Something in a document that could not be accepted: where, and why.</summary>
/// <remarks>
/// Rejections quote the offending input, which may hold NUL characters; those are spelled out as \0 because a
/// rejection is stored and returned as text (PostgreSQL text cannot hold NUL).
/// </remarks>
public sealed record Rejection(string At, string Reason)
{
    public string At { get; init; } = Printable(At);
    public string Reason { get; init; } = Printable(Reason);

    private static string Printable(string s) => s.Contains('\0', StringComparison.Ordinal) ? s.Replace("\0", "\\0", StringComparison.Ordinal) : s;
}

/// <summary>What a parser made of a document.</summary>
public sealed class ParseResult
{
    public required string Format { get; init; }
    public List<FeatureRecord> Records { get; } = [];
    public List<Rejection> Rejections { get; } = [];

    /// <summary>
    /// Keys of the source's records the document says are gone (another hub's <c>deleted</c> changes): the ingest
    /// withdraws them after writing <see cref="Records"/>, which no longer hold them.
    /// </summary>
    public List<string> Withdrawals { get; } = [];

    /// <summary>How the bytes were decoded, when the format is text ("utf-8", "utf-8-bom", "shift_jis").</summary>
    public string? Encoding { get; set; }

    public void Reject(string at, string reason) => Rejections.Add(new Rejection(at, reason));
}

/// <summary>The whole document could not be read as its format (as opposed to single rows being rejected).</summary>
public sealed class UnparseableDocumentException(string at, string reason) : Exception($"{at}: {reason}")
{
    public string At { get; } = at;
    public string Reason { get; } = reason;
}

/// <summary>
/// Where records are accepted (DESIGN §2): "japan" (default) is Japan's land and municipalities buffered by 50 km
/// (<c>geodata/japan-extent.geojson</c>, embedded) — 370 km (≈ 200 nautical miles) for sensor records, whose offshore
/// hypocentres and buoys lie farther out —; "world" everything; or a lon/lat rectangle.
/// </summary>
public sealed class ServiceExtent
{
    private static readonly Lazy<ServiceExtent> JapanExtent = new(() =>
    {
        using var stream = typeof(ServiceExtent).Assembly.GetManifestResourceStream("DisasterHub.Core.japan-extent.geojson")
            ?? throw new InvalidOperationException("embedded resource japan-extent.geojson is missing");
        using var doc = System.Text.Json.JsonDocument.Parse(stream);
        Geometry Area(string name) => doc.RootElement.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").GetProperty("name").GetString() == name)
            .Select(f => Checks.GeoJsonPolygons.Read(f.GetProperty("geometry"))).Single()
            ?? throw new InvalidOperationException($"japan-extent.geojson has no polygon '{name}'");
        var land = Area("land");
        var sea = Area("sea");
        return new ServiceExtent("japan", sea.EnvelopeInternal, land, sea);
    });

    private readonly NetTopologySuite.Geometries.Prepared.IPreparedGeometry? _land;
    private readonly NetTopologySuite.Geometries.Prepared.IPreparedGeometry? _sea;

    private ServiceExtent(string name, Envelope box, Geometry? land, Geometry? sea)
    {
        Name = name;
        Box = box;
        _land = land is null ? null : NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(land);
        _sea = sea is null ? null : NetTopologySuite.Geometries.Prepared.PreparedGeometryFactory.Prepare(sea);
    }

    /// <summary>Japan's land (Natural Earth outline ∪ N03 municipalities ∪ small islands) buffered by 50 km (sensors: 370 km).</summary>
    public static ServiceExtent Japan => JapanExtent.Value;

    public static readonly ServiceExtent World = Rectangle(-180, -90, 180, 90, "world");

    public static ServiceExtent Rectangle(double minLon, double minLat, double maxLon, double maxLat, string? name = null) =>
        new(name ?? FormattableString.Invariant($"{minLon},{minLat},{maxLon},{maxLat}"), new Envelope(minLon, maxLon, minLat, maxLat), null, null);

    public string Name { get; }

    /// <summary>The rectangle around the extent (its widest, sea part).</summary>
    public Envelope Box { get; }

    public bool Contains(double lon, double lat, string? layer = null) => Contains(new Point(lon, lat), layer);

    /// <summary>Whether the rectangle around the extent holds the envelope (a quick test; <see cref="Contains(Geometry, string?)"/> decides).</summary>
    public bool Contains(Envelope e) => Box.Covers(e);

    /// <summary>Whether the whole geometry lies inside the extent for records of that layer.</summary>
    public bool Contains(Geometry g, string? layer = null)
    {
        if (!Box.Covers(g.EnvelopeInternal)) return false;
        var area = layer == Layers.Sensors ? _sea : _land;
        return area is null || area.Covers(g);
    }

    public override string ToString() => Name;
}

/// <summary>What a parser may use besides the bytes: nothing that does I/O.</summary>
public sealed class ParseContext
{
    /// <summary>The instant the hub received the document; parsers use it where a format gives no time.</summary>
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.UtcNow;

    public string? FileName { get; init; }
    public string? ContentType { get; init; }
    public ServiceExtent Extent { get; init; } = ServiceExtent.Japan;

    /// <summary>Companion reference files (e.g. the AMeDAS station table), by name.</summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Companions { get; init; } = new Dictionary<string, ReadOnlyMemory<byte>>();

    /// <summary>Code ↔ name directory for feeds that name a municipality without its code; null means the embedded one.</summary>
    public MunicipalityDirectory? Municipalities { get; init; }

    /// <summary>
    /// Most areas (polygons, circles, codes) one record may combine; a record over it is rejected before its geometry
    /// is built, since combining thousands of areas is what makes a document slow.
    /// </summary>
    public int MaxAreasPerRecord { get; init; } = 1000;

    /// <summary>
    /// The parse time budget, as a token the hub cancels when the budget is spent. Parsers with loops that can be long
    /// check it (<see cref="CancellationToken.ThrowIfCancellationRequested"/>); the pipeline checks it after them too.
    /// </summary>
    public CancellationToken Budget { get; init; }

    /// <summary>Municipal boundaries for the record checks; null means the embedded ones (geodata/municipal-boundaries.geojson).</summary>
    public Checks.IBoundaryLookup? Boundaries { get; init; }
}

/// <summary>
/// The adapter contract: bytes in, records and rejections out. Implementations are pure — no I/O, no clock,
/// no database — so the same document always gives the same result and a parser fix can replay stored documents.
/// </summary>
public interface IFeedParser
{
    /// <summary>Format name used in configuration, the push API and <c>./hub validate --format</c>.</summary>
    string Format { get; }

    /// <summary>The EEI layer its records belong to.</summary>
    string Layer { get; }

    /// <summary>Whether the document looks like this format (used when no format is named).</summary>
    bool Sniff(ReadOnlySpan<byte> head, string? fileName);

    /// <summary>Parses a document. Throws <see cref="UnparseableDocumentException"/> when it is not this format at all.</summary>
    ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context);
}

/// <summary>
/// Implemented by formats that hand a document over in batches while reading it (issue 16 §1: a national registry is
/// never held as one list of records): ingest checks and stages each batch as it comes, so memory is bounded by the
/// batch, not the document. Each batch holds the records and rejections of the rows read since the previous one;
/// the last may be empty. The parser itself rejects a repeated id across the whole document, with the record checks'
/// rule and wording (<see cref="Checks.DuplicateIdCheck.FirstSeen"/>), so ingest does not hold every id a second time. Pure, like parsing:
/// <see cref="IFeedParser.Parse"/> is the batches concatenated (<see cref="ParseBatching.Whole"/>).
/// </summary>
public interface IBatchedFeedParser : IFeedParser
{
    /// <summary>Lazily: a malformed row far into the document is thrown when reading reaches it, after earlier batches.</summary>
    IEnumerable<ParseResult> ParseBatches(ReadOnlyMemory<byte> content, ParseContext context, int batchSize);
}

public static class ParseBatching
{
    /// <summary>The whole document's result from its batches (what <see cref="IFeedParser.Parse"/> returns).</summary>
    public static ParseResult Whole(IEnumerable<ParseResult> batches)
    {
        ParseResult? whole = null;
        foreach (var b in batches)
        {
            if (whole is null)
            {
                whole = b;
                continue;
            }
            whole.Records.AddRange(b.Records);
            whole.Rejections.AddRange(b.Rejections);
        }
        return whole ?? throw new InvalidOperationException("a batched parser yields at least one batch");
    }
}

/// <summary>
/// Implemented by formats whose documents point at further documents the fetcher should take: the next page of a
/// paged API (SensorThings <c>@iot.nextLink</c>), the alerts an Atom index lists. Pure, like parsing.
/// </summary>
public interface ILinkedDocuments
{
    IReadOnlyList<Uri> FollowLinks(ReadOnlyMemory<byte> content, Uri documentUri);
}
