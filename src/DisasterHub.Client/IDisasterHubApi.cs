using System.Text.Json.Serialization;
using Refit;

namespace DisasterHub.Client;

/// <summary>
/// The hub's HTTP API as a pusher (a municipality's or a utility's own system) uses it: push a document to a source,
/// read the sources' health, list the collections (the layers: one per EEI layer and source set, <c>merged_*</c> merged,
/// <c>municipalities</c> the roll-up). The key goes in as a Bearer token (<see cref="DisasterHubClient"/>).
/// </summary>
public interface IDisasterHubApi
{
    /// <summary>
    /// Push one document (any format of the source's layer; the hub sniffs it unless <paramref name="format"/> names it).
    /// Always send an Idempotency-Key: a retry with the same key is answered with the first answer, never ingested twice.
    /// Errors come back as RFC 9457 problem details (<see cref="ApiException"/> with <see cref="ProblemDetails"/>).
    /// <paramref name="replace"/> true: the document is the source's complete set, and what it no longer holds is
    /// withdrawn (<see cref="PushAnswer.Replace"/> says how many, or why none was).
    /// </summary>
    [Post("/api/v1/sources/{sourceId}/documents")]
    Task<PushAnswer> PushAsync(string sourceId, [Body] HttpContent document, [Header("Idempotency-Key")] string idempotencyKey,
        [Query] string? format = null, [Query] string? workspace = null, [Query] bool? replace = null, CancellationToken cancellationToken = default);

    /// <summary>Every source: kind, format, layer, last success and error, lag, stale, failing.</summary>
    [Get("/api/v1/sources")]
    Task<SourceList> SourcesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of the hub's merged changes (the event stream's changes as JSON) after <paramref name="since"/> (0: every
    /// current feature once): what another hub follows to keep a copy, page after page while <c>more</c> is true, the
    /// answer's <c>cursor</c> being the next <c>since</c>. The raw answer, so a follower can keep the bytes it ingests;
    /// <paramref name="tag"/> is set as the request option <c>DisasterHub.Source</c>, which a caller's resilience
    /// pipeline may key on.
    /// </summary>
    [Get("/api/v1/changes")]
    Task<HttpResponseMessage> ChangesAsync([Query] string layer, [Query] long since, [Query] string? workspace = null,
        [Property("DisasterHub.Source")] string? tag = null, CancellationToken cancellationToken = default);

    /// <summary>The OGC API – Features collections: the layers the hub serves.</summary>
    [Get("/ogc/collections")]
    Task<CollectionList> CollectionsAsync(CancellationToken cancellationToken = default);
}

/// <summary>The hub's answer to a push.</summary>
public sealed record PushAnswer(
    [property: JsonPropertyName("format")] string? Format,
    [property: JsonPropertyName("layer")] string? Layer,
    [property: JsonPropertyName("accepted")] int Accepted,
    [property: JsonPropertyName("rejected")] int Rejected,
    [property: JsonPropertyName("changed")] int Changed,
    [property: JsonPropertyName("not_current")] int NotCurrent,
    [property: JsonPropertyName("raw_document_id")] long? RawDocumentId,
    [property: JsonPropertyName("rejections")] IReadOnlyList<Rejection> Rejections,
    [property: JsonPropertyName("replace")] PushReplacement? Replace = null);

/// <summary>A full replacement's result: applied, how many records were withdrawn, or why none was.</summary>
public sealed record PushReplacement(
    [property: JsonPropertyName("applied")] bool Applied,
    [property: JsonPropertyName("withdrawn")] int Withdrawn,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>A record the hub refused, where (line, JSON pointer or element path) and why.</summary>
public sealed record Rejection([property: JsonPropertyName("at")] string At, [property: JsonPropertyName("reason")] string Reason);

/// <summary>RFC 9457 problem details as the hub writes them (with the offending field or pointer when there is one).</summary>
public sealed record ProblemDetails(
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("pointer")] string? Pointer,
    [property: JsonPropertyName("parameter")] string? Parameter);

public sealed record SourceList([property: JsonPropertyName("sources")] IReadOnlyList<SourceStatus> Sources);

public sealed record SourceStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("layer")] string Layer,
    [property: JsonPropertyName("last_success_at")] DateTimeOffset? LastSuccessAt,
    [property: JsonPropertyName("last_error")] string? LastError,
    [property: JsonPropertyName("stale")] bool Stale,
    [property: JsonPropertyName("failing")] bool Failing);

public sealed record CollectionList([property: JsonPropertyName("collections")] IReadOnlyList<Collection> Collections);

public sealed record Collection(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string? Title);
