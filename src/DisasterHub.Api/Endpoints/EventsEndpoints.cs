using DisasterHub.Api.Http;
using System.Globalization;
using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/events</c>: server-sent events of merged-feature changes, filtered by layer and bbox and by what
/// the caller may read. Resumes after <c>Last-Event-ID</c> / <c>since</c>; <c>at=T</c> first replays what changed
/// after T from history, page by page. With <c>burst=N</c>, more than N changes waiting at once (a national registry
/// loaded or re-published: ~110,000) are sent as one <c>burst</c> event — from, to (its id), how many, layers, extent —
/// for a client that redraws rather than applies each change; <c>/api/v1/changes?since=from</c> lists them.
/// </summary>
/// <remarks>
/// A stream is rate-limited like every read, takes a slot from <see cref="StreamGate"/> (per client and in total), and
/// borrows a read-pool connection only for each page it reads — never while it waits — so streams cannot starve
/// ingest or health, which use the main pool.
/// </remarks>
public static class EventsEndpoints
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", Stream).WithTags("Events").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        app.MapGet("/api/v1/changes", Changes).WithTags("Events").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }

    /// <summary>
    /// The event stream's changes as pages of JSON, for systems that sync instead of listening (another hub following
    /// this one): <c>?layer=&amp;since=&amp;workspace=&amp;bbox=</c>; the answer's <c>cursor</c> is the <c>since</c> of the next
    /// page and <c>more</c> says whether one is waiting. <c>since=0</c> gives every current feature once (each at its
    /// latest change), so a first sync needs nothing else. The caller's clearance applies as everywhere.
    /// </summary>
    private static async Task Changes(HttpContext ctx, EventQueries q, HubDbContext db, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        if (await FilterOf(ctx, db, ct) is not { } filter) return;
        var since = query["since"].ToString() is { Length: > 0 } s && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
        var page = await q.ChangesAfterAsync(filter, since, ct);
        ctx.Response.ContentType = "application/json";
        if (filter.Clearance.Levels.Length > 1) ctx.Response.Headers.CacheControl = "private, no-cache";
        var w = new System.Text.StringBuilder();
        w.Append("{\"origin\":").Append(System.Text.Json.JsonSerializer.Serialize(ctx.PublicBase()))
         .Append(",\"workspace\":").Append(System.Text.Json.JsonSerializer.Serialize(filter.Workspace))
         .Append(",\"since\":").Append(since.ToString(CultureInfo.InvariantCulture))
         .Append(",\"changes\":[");
        for (var i = 0; i < page.Count; i++)
        {
            var (seq, kind, json) = page[i];
            if (i > 0) w.Append(',');
            w.Append("{\"seq\":").Append(seq.ToString(CultureInfo.InvariantCulture)).Append(",\"event\":\"").Append(kind).Append("\",\"feature\":").Append(json).Append('}');
        }
        var cursor = page.Count > 0 ? page[^1].Seq : since;
        w.Append("],\"cursor\":").Append(cursor.ToString(CultureInfo.InvariantCulture)).Append(",\"more\":").Append(page.Count == q.PageSize ? "true" : "false").Append('}');
        await ctx.Response.WriteAsync(w.ToString(), ct);
    }

    /// <summary>layer, bbox, workspace and the caller's clearance; a bad one is answered (problem details) and null returned.</summary>
    private static async Task<EventFilter?> FilterOf(HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        var catalogue = ctx.RequestServices.GetRequiredService<LayerCatalogue>();
        var layers = query["layer"].ToString() is { Length: > 0 } l ? l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [.. catalogue.Ids];
        double[]? bbox = null;
        if (query["bbox"].ToString() is { Length: > 0 } b)
        {
            var parts = b.Split(',');
            if (parts.Length != 4 || !parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                await ParameterProblem.For("bbox", "bbox must be minLon,minLat,maxLon,maxLat").ExecuteAsync(ctx);
                return null;
            }
            bbox = [.. parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture))];
        }
        if (layers.FirstOrDefault(x => !catalogue.IsKnown(x)) is { } unknown)
        {
            await ParameterProblem.For("layer", $"unknown layer '{unknown}': layer takes {string.Join(", ", catalogue.Ids)}").ExecuteAsync(ctx);
            return null;
        }
        return new EventFilter(ReadAccess.Workspace(ctx), layers, await ReadAccess.LevelsAsync(ctx, db, ct), bbox);
    }

    private static string BurstJson(EventBurst b) => System.Text.Json.JsonSerializer.Serialize(new
    {
        from = b.From, to = b.To, changes = b.Changes, layers = b.Layers, bbox = b.Bbox,
    });

    private static async Task Stream(HttpContext ctx, EventQueries q, ChangeSignal signal, HubDbContext db, StreamGate gate, CancellationToken ct)
    {
        var (slot, refused) = gate.TryEnter(ctx.Resolved().Partition);
        if (slot is null)
        {
            ctx.Response.Headers.RetryAfter = "10";
            await Results.Problem(statusCode: refused, title: refused == 429 ? "Too Many Requests" : "Service Unavailable",
                detail: refused == 429 ? "too many open event streams for this client" : "too many open event streams on this node").ExecuteAsync(ctx);
            return;
        }
        using var held = slot;
        var query = ctx.Request.Query;
        if (!OgcEndpoints.TryParseInstant(query["at"], out var at))
        {
            await ParameterProblem.For("at", "at must be an RFC 3339 instant with a zone").ExecuteAsync(ctx);
            return;
        }
        int? burst = null;
        if (query["burst"].ToString() is { Length: > 0 } bv)
        {
            if (!int.TryParse(bv, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > q.PageSize)
            {
                await ParameterProblem.For("burst", $"burst must be an integer 1–{q.PageSize}: more changes waiting than that are sent as one burst event").ExecuteAsync(ctx);
                return;
            }
            burst = n;
        }
        if (await FilterOf(ctx, db, ct) is not { } filter) return;
        var layers = filter.Layers;
        ctx.Response.Headers.CacheControl = "no-cache";

        var resume = ctx.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : query["since"].ToString();
        var cursor = long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : await q.CurrentSeqAsync(ct);

        ctx.Response.ContentType = "text/event-stream";
        if (filter.Clearance.Levels.Length > 1) ctx.Response.Headers.CacheControl = "private, no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        using var wake = new SemaphoreSlim(0);
        void OnChange(string ws, IReadOnlyList<string> changed)
        {
            if (ws == "*" || (ws == filter.Workspace && (changed.Count == 0 || changed.Any(layers.Contains)))) wake.Release();
        }
        signal.Changed += OnChange;
        try
        {
            await ctx.Response.WriteAsync($": connected, cursor {cursor}\nretry: 2000\n\n", ct);
            await ctx.Response.Body.FlushAsync(ct);
            if (at is { } t)
            {
                using var turn = await gate.ReplayTurnAsync(ct);
                var n = 0;
                await foreach (var e in q.HistoryAfterAsync(filter, t, ct))
                {
                    await ctx.Response.WriteAsync($"event: history\ndata: {e.Json}\n\n", ct);
                    if (++n % q.PageSize == 0) await ctx.Response.Body.FlushAsync(ct);
                }
            }
            while (!ct.IsCancellationRequested)
            {
                List<(long Seq, string Kind, string Json)> page;
                do
                {
                    page = await q.ChangesAfterAsync(filter, cursor, ct);
                    // more waiting than the caller wants one by one: one event sums them up, and the cursor moves past
                    if (burst is { } most && page.Count > most && await q.BurstAfterAsync(filter, cursor, ct) is { } b)
                    {
                        await ctx.Response.WriteAsync($"id: {b.To}\nevent: burst\ndata: {BurstJson(b)}\n\n", ct);
                        cursor = b.To;
                        page = [];
                    }
                    foreach (var (seq, kind, json) in page)
                    {
                        await ctx.Response.WriteAsync($"id: {seq}\nevent: {kind}\ndata: {json}\n\n", ct);
                        cursor = seq;
                    }
                    await ctx.Response.Body.FlushAsync(ct);
                }
                while (page.Count == q.PageSize); // a full page: more are waiting, read on before sleeping
                if (!await wake.WaitAsync(TimeSpan.FromSeconds(15), ct))
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                }
                while (wake.CurrentCount > 0) await wake.WaitAsync(ct); // coalesce bursts into one read
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // client went away
        }
        finally
        {
            signal.Changed -= OnChange;
        }
    }
}
