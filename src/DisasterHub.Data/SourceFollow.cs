using System.Text.Json;
using System.Text.Json.Serialization;

namespace DisasterHub.Data;

/// <summary>
/// A follower's settings, kept on the source row (<c>source.follow</c>, JSON with the API's names) so that a source
/// created or changed through <c>/api/v1/sources</c> or <c>./hub sources</c> follows its feed without configuration:
/// a pointer feed (<see cref="PointerUrl"/>, <see cref="PointerField"/>, <see cref="PointerStepSeconds"/>) or a JMA
/// Atom feed's telegram types and long-period backfill feed.
/// </summary>
public sealed record SourceFollow(
    [property: JsonPropertyName("pointer_url")] string? PointerUrl = null,
    [property: JsonPropertyName("pointer_field")] string? PointerField = null,
    [property: JsonPropertyName("pointer_step_seconds")] int? PointerStepSeconds = null,
    [property: JsonPropertyName("telegrams")] IReadOnlyList<string>? Telegrams = null,
    [property: JsonPropertyName("backfill_url")] string? BackfillUrl = null)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static SourceFollow Of(Source source) => Parse(source.Follow);

    public static SourceFollow Parse(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new() : JsonSerializer.Deserialize<SourceFollow>(json, Json) ?? new();

    public string ToJson() => JsonSerializer.Serialize(this with { Telegrams = Telegrams is { Count: > 0 } ? Telegrams : null }, Json);

    /// <summary>The given fields over these (a PATCH: null = unchanged, "" = cleared).</summary>
    public SourceFollow Over(SourceFollow given) => new(
        Clear(given.PointerUrl ?? PointerUrl), Clear(given.PointerField ?? PointerField),
        given.PointerStepSeconds is 0 ? null : given.PointerStepSeconds ?? PointerStepSeconds,
        given.Telegrams ?? Telegrams, Clear(given.BackfillUrl ?? BackfillUrl));

    private static string? Clear(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
