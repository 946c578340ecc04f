using System.Text.Json;
using DisasterHub.Adapters.Federation;
using DisasterHub.Client;
using DisasterHub.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refit;

namespace DisasterHub.Ingestion;

/// <summary>
/// Federation (issue 15 item 6): a pull source whose format is <c>disasterhub-{layer}</c> follows another DisasterHub
/// — its URL is that hub's base URL — through the Refit client of its API (<see cref="IDisasterHubApi.ChangesAsync"/>,
/// the event stream's changes as JSON pages). Each pull asks only for changes after the source's cursor (the other
/// hub's change sequence), ingests each page as a raw document through the ordinary pipeline
/// (<see cref="HubChangesParser"/>: the origin's identity, classification and provenance kept), and moves the cursor
/// in the same transaction.
/// The first page of a pull starts <see cref="HubOptions.FollowLookbackChanges"/> changes before the cursor: the other hub numbers a change when
/// it writes it and commits later, so a change numbered just below one already seen can still appear; taking it again
/// is harmless (ingest of an unchanged record changes nothing). When the other hub is down the pull fails like any
/// feed's (the source's last error, the breaker), this hub keeps serving what it had, and the next pull resumes at the
/// cursor.
/// </summary>
public sealed class HubFollower(IHttpClientFactory clients, IngestPipeline pipeline, SourceCredentialProtector credentials, IOptions<HubOptions> options,
    TimeProvider clock, ILogger<HubFollower> log) : IFeedFollower
{
    /// <summary>Pages one pull takes at most; the rest is the next pull's.</summary>
    public const int MaxPages = 50;

    public bool Follows(Source source) => source.Format.StartsWith(HubChangesParser.Prefix, StringComparison.Ordinal);

    public async Task<IngestOutcome> RunAsync(Source source, string workspace, CancellationToken ct)
    {
        FeedFetcher.CheckUrl(source.Url ?? "");
        // the same client as every feed of this source: a key (the source's Credentials, a header such as
        // Authorization: Bearer …) on its default headers, and then no redirect followed, so it reaches this host only
        var http = FeedFetcher.Client(clients, source);
        http.BaseAddress = new Uri(new Uri(source.Url!).GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        if (source.Credentials is { } stored)
        {
            var secret = credentials.Unprotect(stored);
            if (secret.Query is not null) throw new InvalidOperationException($"source {source.Id}: another hub takes its key as a header (Credentials: Header + Value)");
            secret.OnHeaders(http.DefaultRequestHeaders);
        }
        var api = RestService.For<IDisasterHubApi>(http);
        var layer = source.Format[HubChangesParser.Prefix.Length..];
        var cursor = long.TryParse(source.Cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) ? c : 0;
        var tally = new FollowTally(clock);
        for (var pages = 0; pages < MaxPages; pages++)
        {
            var since = pages == 0 ? Math.Max(0, cursor - Math.Max(0, options.Value.FollowLookbackChanges)) : cursor;
            var url = $"{http.BaseAddress}api/v1/changes?layer={layer}&since={since}";
            using var res = await api.ChangesAsync(layer, since, tag: source.Id, cancellationToken: ct);
            log.LogInformation("GET {Url} for {Source}: {Status}", FeedFetcher.Redact(url), source.Id, (int)res.StatusCode);
            if (!res.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)res.StatusCode} from {FeedFetcher.Redact(url)}", null, res.StatusCode);
            var body = await res.Content.ReadAsByteArrayAsync(ct);
            if (body.LongLength > options.Value.MaxPullBytes) throw new InvalidDataException($"changes page larger than {options.Value.MaxPullBytes} bytes");
            var (next, more) = CursorOf(body);
            var page = await pipeline.IngestAsync(new IngestRequest(source, body, "application/json", source.Format, "changes.json",
                FetchUrl: FeedFetcher.Redact(url), SkipIfUnchanged: true, Workspace: workspace,
                Cursor: next > cursor ? next.ToString(System.Globalization.CultureInfo.InvariantCulture) : null), ct);
            if (page.Status is IngestStatus.Unparseable or IngestStatus.UnknownFormat or IngestStatus.WrongLayer)
                throw new InvalidDataException($"the other hub's changes page was not read ({page.Status}): {string.Join("; ", page.Rejections.Take(3).Select(r => $"{r.At}: {r.Reason}"))}");
            tally.Add(page);
            cursor = Math.Max(cursor, next);
            if (!more) break;
        }
        return tally.Outcome(source.Format);
    }

    /// <summary>The page's cursor and whether more are waiting; a page without them is not the other hub's.</summary>
    private static (long Cursor, bool More) CursorOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            return (root.GetProperty("cursor").GetInt64(), root.GetProperty("more").GetBoolean());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"not a DisasterHub changes page (no cursor/more): {e.Message}");
        }
    }
}
