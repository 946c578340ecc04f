using System.Globalization;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace DisasterHub.Core.Checks;

/// <summary>What the checks of one document may use besides its records.</summary>
public sealed class CheckContext
{
    public required ServiceExtent Extent { get; init; }

    /// <summary>When the hub received the document (times later than a day after it are implausible).</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Municipal boundaries: embedded offline, the imported ones in the hub.</summary>
    public required IBoundaryLookup Boundaries { get; init; }

    public MunicipalityDirectory Directory { get; init; } = MunicipalityDirectory.LoadEmbedded();

    /// <summary>
    /// How far a geometry may lie outside the municipality (or jurisdiction) it claims: the boundaries are simplified
    /// (N03 s0001 moves coastlines by up to ~1 km), so 2 km by default.
    /// </summary>
    public double ToleranceMetres { get; init; } = 2000;

    /// <summary>The pushing organization's jurisdiction; null for pulls and unrestricted organizations.</summary>
    public Jurisdiction? Jurisdiction { get; init; }

    /// <summary>
    /// Geometry of a feature already stored with the record's id (a shelter-status push naming a registered shelter).
    /// Offline there is none.
    /// </summary>
    public Func<FeatureRecord, Geometry?>? StoredLocation { get; init; }

    /// <summary>How far ahead of the hub's clock a time may lie (clocks drift a little; a JST time marked Z is 9 h ahead).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The parse time budget: the hub cancels it when the document's time is spent; checked per record.</summary>
    public CancellationToken Budget { get; init; }
}

/// <summary>One rule every record of every document passes, in <see cref="RecordChecks"/>' order.</summary>
public interface IRecordCheck
{
    /// <summary>Short name, for logs and the README's list ("duplicate-id", "geometry", …).</summary>
    string Name { get; }

    /// <summary>Null to keep the record (a check may complete it, e.g. give it a location); otherwise why it is rejected.</summary>
    string? Check(FeatureRecord r, CheckRun run);
}

/// <summary>The state of one run over one document's records (e.g. the ids seen so far).</summary>
public sealed class CheckRun(CheckContext context)
{
    private readonly Dictionary<Type, object> _state = [];

    public CheckContext Context { get; private set; } = context;

    /// <summary>The same run (ids seen so far, …) over the next batch of a document read in batches, with that batch's context.</summary>
    public CheckRun Continue(CheckContext next)
    {
        Context = next;
        return this;
    }

    public T State<T>() where T : new()
    {
        if (!_state.TryGetValue(typeof(T), out var s)) _state[typeof(T)] = s = new T();
        return (T)s;
    }
}

/// <summary>
/// THE record checks (issue 11.6): <c>./hub validate</c> (through <see cref="FormatRegistry.Parse"/>) and ingest
/// (<c>IngestPipeline</c>) run this same ordered list, after the format's parser. A record failing a check is moved
/// to the rejections with the first failing check's reason, at its location in the document.
/// </summary>
public sealed class RecordChecks(IReadOnlyList<IRecordCheck> checks)
{
    /// <summary>
    /// The order is part of the contract: location first (so every later check sees the geometry that would be
    /// stored), then identity, text, times, geometry, extent, boundary agreement, entity ownership, jurisdiction.
    /// </summary>
    public static RecordChecks Standard() => new([
        new LocateCheck(),
        new DuplicateIdCheck(),
        new TextCheck(),
        new TimesCheck(),
        new GeometryCheck(),
        new ExtentCheck(),
        new BoundaryAgreementCheck(),
        new EntityOwnerCheck(),
        new JurisdictionCheck(),
        // then, in both callers right after Run: ValidityRule (valid_from / valid_until) and, at ingest, ExerciseRule
        // (exercise and test documents kept out of live: routed to the source's drill or rejected)
    ]);

    public IReadOnlyList<IRecordCheck> Checks { get; } = checks;

    /// <summary>
    /// The same list without the duplicate-id check, for documents whose parser already drops duplicates across the
    /// whole document with its rule (<see cref="IBatchedFeedParser"/>): ingest then does not hold every id twice.
    /// </summary>
    public RecordChecks WithoutDuplicateIds() => new([.. Checks.Where(c => c is not DuplicateIdCheck)]);

    /// <summary>Runs every check on every record of the result, in document order; rejected records leave <c>Records</c>.</summary>
    public void Run(ParseResult result, CheckContext context) => Run(result, new CheckRun(context));

    /// <summary>Runs the checks on one batch of a document within a run that spans the document (<see cref="CheckRun.Continue"/>).</summary>
    public void Run(ParseResult result, CheckRun run)
    {
        var context = run.Context;
        // by index: a foreach over the list's interface boxed an enumerator for every record of a national registry
        var checks = Checks;
        result.Records.RemoveAll(r =>
        {
            context.Budget.ThrowIfCancellationRequested();
            for (var i = 0; i < checks.Count; i++)
                if (checks[i].Check(r, run) is { } reason)
                {
                    result.Reject(r.Location ?? r.SourceKey, reason);
                    return true;
                }
            return false;
        });
    }
}

/// <summary>
/// The one place a record without coordinates gets a location: a feature already stored with its id (ingest only),
/// else — for records a feed places by municipality code — that municipality's boundary, else its representative point.
/// </summary>
public sealed class LocateCheck : IRecordCheck
{
    private static readonly GeometryFactory Factory = NetTopologySuite.NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    public string Name => "location";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        if (r.Geometry is { IsEmpty: false }) return null;
        var ctx = run.Context;
        if (ctx.StoredLocation?.Invoke(r) is { IsEmpty: false } stored)
        {
            r.Geometry = stored;
            return null;
        }
        if (!r.LocatedByCode || r.MunicipalityCode is not { } code) return null;
        if (ctx.Boundaries.Get(code) is { } area)
        {
            r.Geometry = area.Geometry;
            r.Attrs["location_precision"] = "boundary";
        }
        else if (ctx.Directory.TryGetPoint(code, out var lon, out var lat))
        {
            r.Geometry = Factory.CreatePoint(new Coordinate(lon, lat));
            r.Attrs["location_precision"] = ctx.Directory.Get(code)?.IsPrefecture == true ? "prefecture" : "municipality";
        }
        return null;
    }

    /// <summary>Whether the record's geometry is the one its code gave it (so agreeing with the code is trivial).</summary>
    public static bool FromCode(FeatureRecord r) =>
        r.LocatedByCode && r.Attrs["location_precision"]?.GetValue<string>() is "boundary" or "municipality" or "prefecture";
}

/// <summary>A key that appears twice in one document: the first occurrence is kept (a document's order says nothing about which row is newer).</summary>
public sealed class DuplicateIdCheck : IRecordCheck
{
    public string Name => "duplicate-id";

    public string? Check(FeatureRecord r, CheckRun run) => run.State<FirstSeen>().Reason(r);

    /// <summary>
    /// Where each id of a document was first seen, and the rule and its wording — for the check and for parsers that
    /// must drop a duplicate while reading too (<see cref="Reason"/>). A national registry holds a
    /// million ids, so a location of the form "line N" is kept as the number (the string is made again only for the
    /// message of a duplicate).
    /// </summary>
    public sealed class FirstSeen
    {
        private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _other = new(StringComparer.Ordinal);

        /// <summary>Null the first time a record's id is seen; otherwise why it is a duplicate (the same wording as the check).</summary>
        public string? Reason(FeatureRecord r)
        {
            var key = r.SourceKey;
            if (_lines.TryGetValue(key, out var line)) return $"duplicate id '{key}' (first at line {line})";
            if (_other.TryGetValue(key, out var first)) return $"duplicate id '{key}' (first at {first})";
            var at = r.Location ?? key;
            if (at.StartsWith("line ", StringComparison.Ordinal) && int.TryParse(at.AsSpan(5), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var n) && at.Length == 5 + n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
                _lines[key] = n;
            else
                _other[key] = at;
            return null;
        }
    }
}

/// <summary>
/// Text must not hold NUL (PostgreSQL text cannot, and it hides what follows from most readers); hidden formatting
/// characters (bidi overrides, zero-width, <see cref="TextSafety"/>) are stripped from every text field.
/// </summary>
public sealed class TextCheck : IRecordCheck
{
    public string Name => "text";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        if (HasNul(r.SourceKey) || HasNul(r.EntityKey) || HasNul(r.Name) || HasNul(r.Address) || HasNul(r.Status) || HasNul(r.MunicipalityCode)
            || !Clean(r.Attrs))
            return "text contains a NUL character";
        r.Name = TextSafety.Strip(r.Name);
        r.EntityKey = TextSafety.Strip(r.EntityKey);
        r.Address = TextSafety.Strip(r.Address);
        r.Status = TextSafety.Strip(r.Status);
        return null;
    }

    private static bool HasNul(string? s) => s is not null && s.Contains('\0', StringComparison.Ordinal);

    /// <summary>
    /// One walk of the attributes: false at the first NUL in a key or a string (the record is refused, so what was
    /// stripped before it does not matter); otherwise hidden controls are stripped from every string value. By position
    /// (GetAt/SetAt), without copying keys or enumerating with LINQ: every record of a national registry comes here.
    /// </summary>
    private static bool Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                for (var i = 0; i < o.Count; i++)
                {
                    var (key, value) = o.GetAt(i);
                    if (HasNul(key)) return false;
                    if (Text(value) is { } text)
                    {
                        if (HasNul(text)) return false;
                        if (TextSafety.HasHiddenControl(text)) o.SetAt(i, TextSafety.Strip(text));
                    }
                    else if (!Clean(value)) return false;
                }
                return true;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (Text(a[i]) is { } text)
                    {
                        if (HasNul(text)) return false;
                        if (TextSafety.HasHiddenControl(text)) a[i] = TextSafety.Strip(text);
                    }
                    else if (!Clean(a[i])) return false;
                }
                return true;
            default:
                return true;
        }
    }

    /// <summary>The node's text when it is a string value; null otherwise.</summary>
    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>
/// Times a record claims must be plausible: not before 1900, not later than the hub's clock plus a small skew
/// (<see cref="CheckContext.MaxFutureSkew"/>; a local time written with Z would otherwise freeze a record for hours).
/// </summary>
public sealed class TimesCheck : IRecordCheck
{
    /// <summary>Earliest time a record may claim; anything before is a typo or an epoch default.</summary>
    public static readonly DateTimeOffset EarliestPlausible = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public string Name => "times";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        var now = run.Context.ReceivedAt;
        var latest = now + run.Context.MaxFutureSkew;
        foreach (var (field, t) in new[] { ("observed_at", r.ObservedAt), ("reported_at", r.ReportedAt) })
            if (t is { } v && (v < EarliestPlausible || v > latest))
                return v < EarliestPlausible
                    ? $"{field} {v.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is before 1900"
                    : $"{field} {v.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is in the future: the hub's clock reads {now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} and allows {run.Context.MaxFutureSkew.TotalMinutes:0.#} min of skew (a local time marked Z or without its zone?)";
        if (r.Attrs["restoration_eta"] is { } eta && DateTimeOffset.TryParse(eta.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var etaAt)
            && (etaAt < EarliestPlausible || etaAt > now.AddYears(2).AddDays(1)))
            return $"restoration_eta {etaAt:yyyy-MM-ddTHH:mm:ssZ} is not plausible";
        return null;
    }
}

/// <summary>A record needs a valid geometry (after <see cref="LocateCheck"/>).</summary>
public sealed class GeometryCheck : IRecordCheck
{
    public string Name => "geometry";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        if (r.Geometry is null || r.Geometry.IsEmpty)
            return r.CancelsEvent is not null ? $"取消 of event {r.CancelsEvent}: no stored record of that event to retract"
                : r.LocatedByCode && r.MunicipalityCode is not null ? $"no resolvable location (municipality code {r.MunicipalityCode} is unknown)" : "no usable location";
        // a point is valid when its coordinates are finite, which is all IsValidOp checks of one (without building it per record)
        var valid = r.Geometry is Point p ? double.IsFinite(p.X) && double.IsFinite(p.Y) : r.Geometry.IsValid;
        return valid ? null : "invalid geometry";
    }
}

/// <summary>The whole geometry must lie inside the service extent (by default Japan + 50 km; sensor records + 370 km).</summary>
public sealed class ExtentCheck : IRecordCheck
{
    public string Name => "extent";

    public string? Check(FeatureRecord r, CheckRun run) => run.Context.Extent.Contains(r.Geometry!, r.Layer) ? null : "outside service extent";
}

/// <summary>
/// A located record that claims a municipality must lie in it: every point of its geometry within the tolerance
/// of the claimed municipality's boundary (a prefecture code: of one of its municipalities). The reason names both
/// the claimed municipality and the one the geometry falls in.
/// </summary>
public sealed class BoundaryAgreementCheck : IRecordCheck
{
    public string Name => "boundary-agreement";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        if (r.MunicipalityCode is not { Length: 6 } code || LocateCheck.FromCode(r)) return null;
        var ctx = run.Context;
        IReadOnlyList<MunicipalArea> claimed;
        string label;
        if (code[2..5] == "000")
        {
            claimed = [.. ctx.Boundaries.WithPrefix(code[..2])];
            label = $"{code} {ctx.Directory.Get(code)?.Name}".TrimEnd();
        }
        else
        {
            claimed = ctx.Boundaries.Get(code) is { } a ? [a] : [];
            label = claimed.Count > 0 ? claimed[0].Label : code;
        }
        if (claimed.Count == 0) return null; // no boundary for the code (it vanished in the simplification): nothing to compare
        var (metres, worst) = GeoDistance.FarthestFrom(r.Geometry!, claimed);
        if (metres <= ctx.ToleranceMetres) return null;
        return $"location disagrees with municipality_code {label}: {metres / 1000:0.0} km outside it, in {Where(ctx.Boundaries, worst!)}";
    }

    /// <summary>"131016 千代田区", or that the position is in no municipality.</summary>
    public static string Where(IBoundaryLookup boundaries, Coordinate at) =>
        boundaries.At(at) is [var first, ..]
            ? first.Label
            : FormattableString.Invariant($"no municipality (sea or abroad, {at.X:0.####} {at.Y:0.####})");
}

/// <summary>
/// An entity key that names a municipality — a national shelter ID (共通ID, "E13101…" names 13101 千代田区), or a key
/// "{code}:{name}" — must name the record's own municipality: otherwise one municipality's push could take over
/// (merge into, and move into its roll-up) another municipality's entity.
/// </summary>
public sealed class EntityOwnerCheck : IRecordCheck
{
    public string Name => "entity-owner";

    public string? Check(FeatureRecord r, CheckRun run)
    {
        if (r.EntityKey is not { } key || r.MunicipalityCode is not { Length: 6 } code) return null;
        var owner = Owner(key, r);
        if (owner is null || SameMunicipality(run.Context.Directory, owner, code)) return null;
        var d = run.Context.Directory;
        return $"entity {key} belongs to municipality {Label(d, owner)}, not to the record's municipality {Label(d, code)}";
    }

    /// <summary>The municipality (5 digits of a 共通ID, or 6 digits) the key names, or null.</summary>
    private static string? Owner(string key, FeatureRecord r)
    {
        if (r.Attrs["common_id"]?.GetValue<string>() is { } commonId && commonId == key) return MunicipalityCode.FromCommonId(key);
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        var rest = key;
        // "{code6}:{name}" or "namespace:{code6}" ("damage:172022", "power-area:172022")
        if (colon == 6 && key[..6].All(char.IsAsciiDigit)) return key[..6];
        if (colon > 0) rest = key[(colon + 1)..];
        return rest.Length == 6 && rest.All(char.IsAsciiDigit) ? rest : null;
    }

    private static bool SameMunicipality(MunicipalityDirectory d, string owner, string code)
    {
        if (owner.Length == 5 ? code.StartsWith(owner, StringComparison.Ordinal) : owner == code) return true;
        // a 政令指定都市 and one of its wards
        var a = owner.Length == 5 ? d.Entries.FirstOrDefault(e => e.Code.StartsWith(owner, StringComparison.Ordinal)) : d.Get(owner);
        var b = d.Get(code);
        if (a is null || b is null || a.Prefecture != b.Prefecture) return false;
        return (a.Type == "ward" && b.Type == "municipality" && a.Name.StartsWith(b.Name, StringComparison.Ordinal))
            || (b.Type == "ward" && a.Type == "municipality" && b.Name.StartsWith(a.Name, StringComparison.Ordinal));
    }

    private static string Label(MunicipalityDirectory d, string code)
    {
        var e = code.Length == 5 ? d.Entries.FirstOrDefault(x => x.Code.StartsWith(code, StringComparison.Ordinal)) : d.Get(code);
        return e is null ? code : $"{e.Code} {e.Name}";
    }
}

/// <summary>A push must stay inside the pushing organization's jurisdiction, by its code and by its geometry.</summary>
public sealed class JurisdictionCheck : IRecordCheck
{
    public string Name => "jurisdiction";

    public string? Check(FeatureRecord r, CheckRun run) =>
        run.Context.Jurisdiction is { } j ? j.Check(r, run.Context.Boundaries, run.Context.ToleranceMetres) : null;
}
