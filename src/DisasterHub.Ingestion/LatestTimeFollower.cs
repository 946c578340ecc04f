using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DisasterHub.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Follows a feed published as a pointer to its latest state. A time pointer (AMeDAS: <c>latest_time.txt</c> names the time of the
/// current <c>map/{yyyyMMddHHmmss}.json</c>): a source with <see cref="SourceFollow.PointerUrl"/> reads the pointer, and
/// when it names a time after the source's cursor, fetches the file of that time — its <c>Url</c> with
/// <c>{time:FORMAT}</c> filled in JST — and ingests it with the cursor moving in the same transaction. With
/// <see cref="SourceFollow.PointerStepSeconds"/>, every time between the cursor and the latest is fetched in order
/// after an outage (what the publisher no longer serves is reported as the source's gap); without it, only the latest.
/// A state pointer (an outage map's <c>currentState</c> JSON, <see cref="SourceFollow.PointerField"/>): see
/// <see cref="StateAsync"/>.
/// </summary>
public sealed partial class LatestTimeFollower(FeedFetcher fetcher, IngestPipeline pipeline, NpgsqlDataSource db, IOptions<HubOptions> options,
    TimeProvider clock, ILogger<LatestTimeFollower> log) : IFeedFollower
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    [GeneratedRegex(@"\{time:([^}]+)\}")]
    private static partial Regex TimeSlot();

    public bool Follows(Source source) => SourceFollow.Of(source).PointerUrl is { Length: > 0 };

    public async Task<IngestOutcome> RunAsync(Source source, string workspace, CancellationToken ct)
    {
        var config = SourceFollow.Of(source);
        var pointerUrl = config.PointerUrl!;
        var pointer = await fetcher.FetchUrlAsync(source, pointerUrl, ct);
        var text = Encoding.UTF8.GetString(pointer.Body ?? []).Trim().TrimStart('\uFEFF');
        if (config.PointerField is { Length: > 0 } field) return await StateAsync(source, workspace, pointerUrl, text, field, ct);
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var latest))
            throw new InvalidDataException($"the pointer {FeedFetcher.Redact(pointerUrl)} does not name a time: '{(text.Length > 40 ? text[..40] + "…" : text)}'");
        DateTimeOffset? cursor = DateTimeOffset.TryParse(source.Cursor, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var c) ? c : null;
        if (cursor >= latest)
        {
            await IngestStore.MarkSourceAsync(db, source.Id, new SourceMark(clock.GetUtcNow()), ct);
            return new IngestOutcome(IngestStatus.Unchanged, null, source.Format, 0, 0, 0, []);
        }

        var times = new List<DateTimeOffset>();
        if (cursor is { } from && config.PointerStepSeconds is > 0 and var step)
            for (var t = from.AddSeconds(step); t < latest && times.Count < options.Value.MaxFollowedDocuments - 1; t = t.AddSeconds(step)) times.Add(t);
        times.Add(latest);
        var companions = await fetcher.FetchCompanionsAsync(source, ct);
        var tally = new FollowTally(clock);
        DateTimeOffset? gapSince = null, gapUntil = null;
        foreach (var t in times)
        {
            var url = TimeSlot().Replace(source.Url!, m => t.ToOffset(Jst).ToString(m.Groups[1].Value, CultureInfo.InvariantCulture));
            FetchResult doc;
            try
            {
                doc = await fetcher.FetchUrlAsync(source, url, ct);
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && t != latest)
            {
                // the publisher no longer serves (or never had) this time: a gap, reported, not a failure
                gapSince ??= t;
                gapUntil = t;
                continue;
            }
            tally.Add(await pipeline.IngestAsync(new IngestRequest(source, doc.Body, doc.ContentType, source.Format, Path.GetFileName(new Uri(url).AbsolutePath),
                FetchUrl: FeedFetcher.Redact(url), SkipIfSeen: true, Companions: companions, DocumentUri: new Uri(url), Workspace: workspace,
                Cursor: t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)), ct), t);
        }
        await IngestStore.AddFollowerCountsAsync(db, source.Id, times.Count, tally.Taken, tally.Duplicates, tally.DelayMs, gapSince, gapUntil, ct);
        if (gapSince is not null) log.LogWarning("Source {Source}: files from {Since:O} to {Until:O} are no longer served", source.Id, gapSince, gapUntil);
        return tally.Outcome(source.Format);
    }

    /// <summary>
    /// A state pointer (Kubra-style): the named field of the pointer JSON names the current state; a state not yet
    /// taken is fetched (the <c>Url</c> template's <c>{pointer}</c>) and ingested, the cursor becoming its name. A state
    /// is a whole picture, so only the current one is taken.
    /// </summary>
    private async Task<IngestOutcome> StateAsync(Source source, string workspace, string pointerUrl, string json, string field, CancellationToken ct)
    {
        System.Text.Json.Nodes.JsonNode? node;
        try
        {
            node = System.Text.Json.Nodes.JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"the pointer {FeedFetcher.Redact(pointerUrl)} is not JSON: {e.Message}");
        }
        foreach (var part in field.Split('.')) node = node is System.Text.Json.Nodes.JsonObject o ? o[part] : null;
        var state = node is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var st) && st.Length > 0 ? st
            : throw new InvalidDataException($"the pointer {FeedFetcher.Redact(pointerUrl)} has no string at {field}");
        if (state == source.Cursor)
        {
            await IngestStore.MarkSourceAsync(db, source.Id, new SourceMark(clock.GetUtcNow()), ct);
            return new IngestOutcome(IngestStatus.Unchanged, null, source.Format, 0, 0, 0, []);
        }
        var url = source.Url!.Replace("{pointer}", state, StringComparison.Ordinal);
        var doc = await fetcher.FetchUrlAsync(source, url, ct);
        var outcome = await pipeline.IngestAsync(new IngestRequest(source, doc.Body, doc.ContentType, source.Format, Path.GetFileName(new Uri(url).AbsolutePath),
            FetchUrl: FeedFetcher.Redact(url), SkipIfSeen: true, Companions: await fetcher.FetchCompanionsAsync(source, ct), DocumentUri: new Uri(url),
            Workspace: workspace, Cursor: state), ct);
        var tally = new FollowTally(clock);
        tally.Add(outcome);
        await IngestStore.AddFollowerCountsAsync(db, source.Id, 1, tally.Taken, tally.Duplicates, null, null, null, ct);
        return outcome;
    }
}
