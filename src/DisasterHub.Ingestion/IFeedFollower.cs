using DisasterHub.Data;

namespace DisasterHub.Ingestion;

/// <summary>
/// A feed that is not one document: an entry document (an Atom feed, another hub's change pages) that names the
/// documents to fetch, and a per-source cursor that moves in the same transaction as each document it covers, so a
/// restart or a failover neither skips nor repeats one. <see cref="PullFeedJob"/> hands a source to the first follower
/// that <see cref="Follows"/> it; every other pull source is fetched as one document (with its links followed).
/// </summary>
public interface IFeedFollower
{
    bool Follows(Source source);

    Task<IngestOutcome> RunAsync(Source source, string workspace, CancellationToken ct);
}
