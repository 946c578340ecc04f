namespace DisasterHub.Ingestion;

/// <summary>
/// A follower's pull, document by document: what was taken (accepted, rejected, changed, the first 100 rejections),
/// what was already taken (a duplicate), and the publication-to-map delay of the last document taken — one outcome
/// for the pull, as a single document's would be.
/// </summary>
internal sealed class FollowTally(TimeProvider clock)
{
    private const int MaxRejections = 100;
    private readonly List<DisasterHub.Core.Rejection> _rejections = [];
    private int _accepted, _rejected, _changed, _withdrawn;

    public int Taken { get; private set; }
    public int Duplicates { get; private set; }
    public long? DelayMs { get; private set; }
    public long? LastRawDocumentId { get; private set; }

    /// <summary>Counts one ingest; <paramref name="published"/> (when the publisher says it published it) gives the delay.</summary>
    public void Add(IngestOutcome outcome, DateTimeOffset? published = null)
    {
        if (outcome.Status == IngestStatus.Unchanged)
        {
            Duplicates++;
            return;
        }
        Taken++;
        _accepted += outcome.Accepted;
        _rejected += outcome.Rejected;
        _changed += outcome.Changed;
        _withdrawn += outcome.Withdrawn;
        _rejections.AddRange(outcome.Rejections.Take(Math.Max(0, MaxRejections - _rejections.Count)));
        LastRawDocumentId = outcome.RawDocumentId ?? LastRawDocumentId;
        if (published is { } at) DelayMs = (long)(clock.GetUtcNow() - at).TotalMilliseconds;
    }

    public IngestOutcome Outcome(string format) =>
        new(Taken > 0 ? IngestStatus.Ingested : IngestStatus.Unchanged, LastRawDocumentId, format, _accepted, _rejected, _changed, _rejections)
        {
            Withdrawn = _withdrawn,
        };
}
