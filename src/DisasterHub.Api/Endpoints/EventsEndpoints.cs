using System.Globalization;
using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/events</c>: server-sent events of merged-feature changes, filtered by layer and bbox and by what
/// the caller may read. Resumes after <c>Last-Event-ID</c> / <c>since</c>; <c>at=T</c> first replays what changed
/// after T from history.
/// </summary>
public static class EventsEndpoints
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", Stream).WithTags("Events");
        return app;
    }

    private static async Task Stream(HttpContext ctx, EventQueries q, ChangeSignal signal, HubDbContext db, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        var layers = query["layer"].ToString() is { Length: > 0 } l ? l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [.. Layers.All];
        double[]? bbox = null;
        if (query["bbox"].ToString() is { Length: > 0 } b)
        {
            var parts = b.Split(',');
            if (parts.Length != 4 || !parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsJsonAsync(new { error = "bbox must be minLon,minLat,maxLon,maxLat", field = "bbox" }, ct);
                return;
            }
            bbox = [.. parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture))];
        }
        if (layers.Any(x => !Layers.IsKnown(x)) || !OgcEndpoints.TryParseInstant(query["at"], out var at))
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsJsonAsync(new { error = "unknown layer or bad at=", field = "layer/at" }, ct);
            return;
        }
        var filter = new EventFilter(ReadAccess.Workspace(ctx), layers, await ReadAccess.LevelsAsync(ctx, db, ct), bbox);

        var resume = ctx.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : query["since"].ToString();
        var cursor = long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : await q.CurrentSeqAsync(ct);

        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
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
                foreach (var (_, _, json) in await q.HistoryAfterAsync(filter, t, ct))
                    await ctx.Response.WriteAsync($"event: history\ndata: {json}\n\n", ct);
            while (!ct.IsCancellationRequested)
            {
                foreach (var (seq, kind, json) in await q.ChangesAfterAsync(filter, cursor, ct))
                {
                    await ctx.Response.WriteAsync($"id: {seq}\nevent: {kind}\ndata: {json}\n\n", ct);
                    cursor = seq;
                }
                await ctx.Response.Body.FlushAsync(ct);
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
