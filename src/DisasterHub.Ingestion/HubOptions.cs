using DisasterHub.Core;

namespace DisasterHub.Ingestion;

/// <summary>Configuration section "Hub".</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Base URL of the feed simulator; "{simulator}" in a source URL is replaced by it.</summary>
    public string SimulatorUrl { get; set; } = "http://127.0.0.1:8091";

    /// <summary>A configured URL with "{simulator}" replaced (source, companion, backfill and pointer URLs alike).</summary>
    public string Resolve(string url) => url.Replace("{simulator}", SimulatorUrl.TrimEnd('/'), StringComparison.Ordinal);

    /// <summary>
    /// A document that changed at least this many rows has the feature tables' statistics refreshed right after it
    /// commits when they no longer describe them (never analyzed, or the change exceeds a fifth of what they counted),
    /// by <see cref="LoadStatistics"/> once the push has answered: the plans of reads and later pushes then fit the
    /// tables. 0 = never.
    /// </summary>
    public int AnalyzeAfterChangedRows { get; set; } = 5000;

    /// <summary>
    /// From how many rows to write a source's first load gets a partition of the feature table of its own, loaded and
    /// indexed in bulk (migrations 0050, 0060); smaller sources share one partition, so that the statements that look
    /// features up across sources stay cheap to plan with a source per municipality.
    /// </summary>
    public int OwnPartitionFromRows { get; set; } = DisasterHub.Data.IngestScope.DefaultOwnPartitionFrom;

    /// <summary>"japan" (default) or "world", or "minLon,minLat,maxLon,maxLat".</summary>
    public string Extent { get; set; } = "japan";

    /// <summary>Largest push body accepted, in bytes.</summary>
    public long MaxPushBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest pulled document accepted, in bytes.</summary>
    public long MaxPullBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How long a feed's circuit breaker stays open once half its recent requests failed (seconds).</summary>
    public int FeedBreakSeconds { get; set; } = 30;

    /// <summary>The first retry delay of a failed feed request (milliseconds; exponential with jitter after it).</summary>
    public int FeedRetryDelayMilliseconds { get; set; } = 1000;

    /// <summary>
    /// How many changes before its cursor a hub follower asks for again on each pull: the other hub numbers a change when
    /// it writes it and commits later, so one numbered just below a change already seen can still appear.
    /// </summary>
    public int FollowLookbackChanges { get; set; } = 200;

    /// <summary>Most documents one pull may follow from links (pages, Atom entries).</summary>
    public int MaxFollowedDocuments { get; set; } = 200;

    /// <summary>Whether this node runs the scheduler (tests that only exercise the API turn it off).</summary>
    public bool Scheduler { get; set; } = true;

    /// <summary>How often each node's watchdog checks that every pull schedule is still firing (0 turns it off).</summary>
    public int WatchdogSeconds { get; set; } = 30;

    /// <summary>How far a located record may lie outside the municipality it claims (and a push outside its jurisdiction), in metres.</summary>
    public double BoundaryToleranceMetres { get; set; } = 2000;

    /// <summary>
    /// Boundary file loaded into PostGIS at start-up ("shipped": geodata/municipal-boundaries.geojson, embedded; a path;
    /// or "none" when boundaries are imported by hand with ./hub import boundaries).
    /// </summary>
    public string Boundaries { get; set; } = "shipped";
    /// <summary>
    /// How many minutes ahead of the hub's clock an observed/reported time may lie; later ones are rejected per record
    /// (a time kept in the future would freeze the record: every real correction would look older).
    /// </summary>
    public double MaxFutureSkewMinutes { get; set; } = 5;

    /// <summary>Ingest fairness and per-document bounds ("Hub:Ingest").</summary>
    public IngestLimitOptions Ingest { get; set; } = new();

    /// <summary>Retention and quotas of what pushes leave behind ("Hub:Retention").</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>Read replicas named by ConnectionStrings:HubRead ("Hub:Replica").</summary>
    public ReplicaOptions Replica { get; set; } = new();

    /// <summary>
    /// Staleness limit per layer for the merge (issue 11 §4): a source's value observed longer ago than this no longer
    /// overrides a fresher one from a lower-priority source. A layer without a limit merges by priority alone.
    /// </summary>
    public Dictionary<string, TimeSpan> Staleness { get; set; } = [];

    /// <summary>How often ExpiryService looks for records that passed their valid_until (0 turns it off).</summary>
    public int ExpirySeconds { get; set; } = 15;

    public List<OrganizationConfig> Organizations { get; set; } = [];
    public List<SourceConfig> Sources { get; set; } = [];

    public ServiceExtent ParseExtent() => Extent.ToLowerInvariant() switch
    {
        "japan" or "" => ServiceExtent.Japan,
        "world" => ServiceExtent.World,
        var s => s.Split(',') is [var a, var b, var c, var d]
            ? ServiceExtent.Rectangle(double.Parse(a, System.Globalization.CultureInfo.InvariantCulture), double.Parse(b, System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(c, System.Globalization.CultureInfo.InvariantCulture), double.Parse(d, System.Globalization.CultureInfo.InvariantCulture))
            : throw new FormatException($"Hub:Extent '{s}' is not japan, world or minLon,minLat,maxLon,maxLat"),
    };
}

/// <summary>"Hub:Ingest": how ingest is shared between organizations, and how big or slow one document may be.</summary>
public sealed class IngestLimitOptions
{
    /// <summary>Documents ingesting at once on this node, all organizations together (0: twice the processor count, at least 2).</summary>
    public int GlobalSlots { get; set; }

    /// <summary>Documents one organization may ingest at once (0: half the global slots, at least 1).</summary>
    public int PerOrganizationSlots { get; set; }

    /// <summary>How long a push waits for a slot before it is told 503 + Retry-After.</summary>
    public int SlotWaitMilliseconds { get; set; } = 2000;

    /// <summary>Parse time budget of one document; a document over it is rejected with the reason (its raw payload kept).</summary>
    public int ParseBudgetMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// Rows a format that reads in batches (<c>IBatchedFeedParser</c>: the CSV shelter registries) hands over at a
    /// time: each batch is checked and copied into staging while the next is parsed, so a document's memory is bounded
    /// by this, not by its size (issue 16 §1). 0: read the whole document first, as other formats do. Keep it under
    /// ~10,000: a batch's arrays of references then stay off the large-object heap, where a dead array keeps the records
    /// it points at alive until a full collection (BENCHMARKS.md, issue 16 §1).
    /// </summary>
    public int BatchRecords { get; set; } = 5000;

    /// <summary>Most areas (polygons, circles, codes) one record may combine.</summary>
    public int MaxAreasPerRecord { get; set; } = 1000;

    /// <summary>
    /// After a document of this many bytes or more — pushed, once answered; pulled, once its pull is done — the heap is
    /// compacted and given back to the operating system (<see cref="LargeDocuments"/>). 0: never.
    /// </summary>
    public long GiveBackMemoryBytes { get; set; } = LargeDocuments.DefaultBytes;

    /// <summary>Most vertices one record's geometry may have.</summary>
    public int MaxVerticesPerFeature { get; set; } = 200_000;

    /// <summary>Most vertices of all records of one document together.</summary>
    public int MaxVerticesPerDocument { get; set; } = 2_000_000;

    /// <summary>Largest ratio of decompressed to compressed size a gzip body may have (a zip bomb has thousands).</summary>
    public int MaxCompressionRatio { get; set; } = 100;

    public int EffectiveGlobalSlots => GlobalSlots > 0 ? GlobalSlots : Math.Max(2, Environment.ProcessorCount * 2);

    public int EffectivePerOrganizationSlots => PerOrganizationSlots > 0 ? Math.Min(PerOrganizationSlots, EffectiveGlobalSlots) : Math.Max(1, EffectiveGlobalSlots / 2);
}

/// <summary>"Hub:Retention": bounds on what accumulates per key.</summary>
public sealed class ReplicaOptions
{
    /// <summary>
    /// A replica further behind than this makes <c>/health/ready</c> "not ready" (503), so a load balancer sends reads to
    /// nodes whose replica is current; it is also how long a change signalled by the primary waits for the replicas to
    /// replay it before caches and event streams are told anyway.
    /// </summary>
    public double MaxLagSeconds { get; set; } = 30;

    /// <summary>How often a signalled change asks the replicas whether they have replayed it (milliseconds).</summary>
    public int ReplayPollMilliseconds { get; set; } = 20;
}

public sealed class RetentionOptions
{
    /// <summary>
    /// Bytes kept of the raw payload of a document that could not be parsed (the SHA-256 and size of the whole are
    /// always kept); a parsed document is kept whole, since its records point at it.
    /// </summary>
    public int RejectedRawKeepBytes { get; set; } = 64 * 1024;

    /// <summary>Bytes of unparseable payloads one key may have stored in total; beyond it only hash and size are kept.</summary>
    public long RejectedRawQuotaBytesPerKey { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long an Idempotency-Key answer is kept.</summary>
    public double IdempotencyHours { get; set; } = 24;

    /// <summary>How often the pruning service runs (0 turns it off).</summary>
    public int PruneIntervalSeconds { get; set; } = 600;

    /// <summary>Denied-push audit entries: at most one per caller, source and reason in this window (the rest are counted).</summary>
    public int DeniedAuditWindowSeconds { get; set; } = 60;

    /// <summary>Denied-push audit entries written per window on this node, all callers together.</summary>
    public int DeniedAuditMaxPerWindow { get; set; } = 100;
}

public sealed class OrganizationConfig
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Kind { get; set; } = "municipality";
    public List<string> Jurisdiction { get; set; } = [];

    /// <summary>A utility's service area: GeoJSON Polygon/MultiPolygon text.</summary>
    public string? ServiceArea { get; set; }
}

public sealed class SourceConfig
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public string Kind { get; set; } = "pull";
    public string Format { get; set; } = "";
    public string Layer { get; set; } = Layers.Shelters;
    public string? Url { get; set; }
    public int? ScheduleSeconds { get; set; }
    public int ExpectedIntervalSeconds { get; set; } = 3600;
    public int Priority { get; set; } = 100;

    /// <summary>Each document is the source's complete set: what a pull no longer holds is withdrawn (issue 16 §5).</summary>
    public bool Replaces { get; set; }
    public string? OwnerOrg { get; set; }

    /// <summary>The workspace a pull writes into: "live", or a drill.</summary>
    public string Workspace { get; set; } = "live";

    /// <summary>
    /// The drill workspace (created at start-up) that this source's exercise / test documents go to instead of live;
    /// unset, they are rejected from live with the reason (ExerciseRule). Either way the raw document is kept.
    /// </summary>
    public string? ExerciseWorkspace { get; set; }

    /// <summary>Companion reference files the parser needs, name → URL ("{simulator}" allowed).</summary>
    public Dictionary<string, string> Companions { get; set; } = [];

    /// <summary>A feed on this machine or a private network (the simulator): exempt from the SSRF guard.</summary>
    public bool Internal { get; set; }

    /// <summary>The licence the source's data is published under; exports name it.</summary>
    public string? License { get; set; }

    /// <summary>The credit the publisher asks for; exports and tile sets carry it.</summary>
    public string? Attribution { get; set; }

    /// <summary>What the feed asks of its callers; stored encrypted, sent to the feed's origin only (<see cref="SourceCredentials"/>).</summary>
    public SourceCredentials? Credentials { get; set; }

    /// <summary>
    /// A feed published as "the latest time" plus one file per time (AMeDAS: <c>latest_time.txt</c> and
    /// <c>map/{time}.json</c>): the pointer's URL; the source's <c>Url</c> is then a template with
    /// <c>{time:FORMAT}</c> (JST, as JMA names the files). See <see cref="LatestTimeFollower"/>.
    /// </summary>
    public string? PointerUrl { get; set; }

    /// <summary>
    /// With <see cref="PointerUrl"/>: the pointer is JSON (a Kubra-style <c>currentState</c>) and this dotted path names
    /// the field holding the current state's name (<c>data.interval_generation_data</c>), put into the <c>Url</c>
    /// template's <c>{pointer}</c>. Without it the pointer is a time.
    /// </summary>
    public string? PointerField { get; set; }

    /// <summary>With <see cref="PointerUrl"/>: the publisher's interval; after an outage each time in between is fetched.</summary>
    public int? PointerStepSeconds { get; set; }

    /// <summary>A <c>jma-atom</c> source: the telegram types it takes ("VPWW54", or a prefix "VXSE5*"); empty = all.</summary>
    public List<string> Telegrams { get; set; } = [];

    /// <summary>A <c>jma-atom</c> source: the long-period feed (<c>extra_l.xml</c> …) it backfills from after an outage.</summary>
    public string? BackfillUrl { get; set; }
}
