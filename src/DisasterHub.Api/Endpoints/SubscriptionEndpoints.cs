using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using DisasterHub.Ingestion.Subscriptions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Subscriptions: <c>POST /api/v1/subscriptions</c> (a key's owner names an area — municipality codes, a bbox or a
/// GeoJSON geometry —, layers, a minimum severity, whether only status changes count, and a webhook URL; the answer
/// carries the signing secret once), <c>GET /api/v1/subscriptions</c>, <c>GET …/{id}/deliveries[?status=dead]</c>
/// (the dead-letter list), <c>GET …/{id}/events</c> (the matches as server-sent events; a subscription made with
/// <c>"delivery": "sse"</c> has no webhook and is read only this way), <c>DELETE …/{id}</c>. Deliveries: <see cref="SubscriptionDispatcher"/>. A subscription sees
/// what its creating key may read, no more.
/// </summary>
public static class SubscriptionEndpoints
{
    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/subscriptions").WithTags("Subscriptions").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.KeyCheckedByEndpoint);
        g.MapPost("", Create);
        g.MapGet("", List);
        g.MapGet("/{id:guid}/deliveries", Deliveries);
        g.MapGet("/{id:guid}/events", Events);
        g.MapDelete("/{id:guid}", Delete);
        return app;
    }

    private static IResult Problem(int status, string detail, string? pointer = null) =>
        Results.Problem(statusCode: status, detail: detail, extensions: pointer is null ? null : new Dictionary<string, object?> { ["pointer"] = pointer });

    private static async Task<(Caller? Caller, IResult? Denied)> OwnerAsync(HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        return caller is null ? (null, Problem(401, "subscriptions belong to a key's organization: send Authorization: Bearer KEY")) : (caller, null);
    }

    private static async Task<IResult> Create(HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, IOptions<SubscriptionOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var (caller, denied) = await OwnerAsync(ctx, db, ct);
        if (caller is null) return denied!;
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(ctx.Request.Body, default, ct)).RootElement;
        }
        catch (JsonException e)
        {
            return Problem(400, $"the body is not JSON: {e.Message}", "");
        }
        if (body.ValueKind != JsonValueKind.Object) return Problem(400, "the body must be a JSON object", "");

        var catalogue = ctx.RequestServices.GetRequiredService<LayerCatalogue>();
        string[] layers = [.. catalogue.Ids];
        if (body.TryGetProperty("layers", out var l))
        {
            if (l.ValueKind != JsonValueKind.Array || l.GetArrayLength() == 0 || l.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String || !catalogue.IsKnown(x.GetString()!)))
                return Problem(400, $"layers must be a non-empty array of: {string.Join(", ", catalogue.Ids)}", "/layers");
            layers = [.. l.EnumerateArray().Select(x => x.GetString()!).Distinct()];
        }
        string[]? codes = null;
        if (body.TryGetProperty("municipality_codes", out var mc))
        {
            if (mc.ValueKind != JsonValueKind.Array || mc.GetArrayLength() == 0) return Problem(400, "municipality_codes must be a non-empty array", "/municipality_codes");
            var list = new List<string>();
            var i = 0;
            foreach (var item in mc.EnumerateArray())
            {
                var raw = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
                if (raw.Length == 2 && int.TryParse(raw, out var p) && MunicipalityCode.IsPrefecture(p)) list.Add(raw);
                else if (MunicipalityCode.TryNormalize(raw, out var code6, out var why)) list.Add(code6);
                else return Problem(400, $"'{raw}' is not a prefecture (2 digits) or municipality code: {why}", $"/municipality_codes/{i}");
                i++;
            }
            codes = [.. list];
        }
        string? geometry = null;
        double[]? bbox = null;
        if (body.TryGetProperty("bbox", out var bb))
        {
            bbox = bb.ValueKind == JsonValueKind.Array && bb.GetArrayLength() == 4 && bb.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number)
                ? [.. bb.EnumerateArray().Select(x => x.GetDouble())] : null;
            if (bbox is null || bbox[0] >= bbox[2] || bbox[1] >= bbox[3] || bbox[0] < -180 || bbox[2] > 180 || bbox[1] < -90 || bbox[3] > 90)
                return Problem(400, "bbox must be [minLon, minLat, maxLon, maxLat] in degrees, min < max", "/bbox");
        }
        if (body.TryGetProperty("geometry", out var geo))
        {
            if (geo.ValueKind != JsonValueKind.Object) return Problem(400, "geometry must be a GeoJSON geometry object", "/geometry");
            geometry = geo.GetRawText();
        }
        if (codes is null && bbox is null && geometry is null)
            return Problem(400, "name the area: municipality_codes, bbox or geometry", "/municipality_codes");
        short? minSeverity = null;
        if (body.TryGetProperty("min_severity", out var ms))
        {
            if (ms.ValueKind != JsonValueKind.Number || !ms.TryGetInt16(out var sev) || sev is < 0 or > 3) return Problem(400, "min_severity must be an integer 0–3 (info, advisory, warning, emergency), as the hub stores severity", "/min_severity");
            minSeverity = sev;
        }
        var statusChanges = false;
        if (body.TryGetProperty("changes", out var ch))
        {
            if (ch.ValueKind != JsonValueKind.String || ch.GetString() is not ("any" or "status")) return Problem(400, "changes must be \"any\" or \"status\"", "/changes");
            statusChanges = ch.GetString() == "status";
        }
        var delivery = "webhook";
        if (body.TryGetProperty("delivery", out var dv))
        {
            if (dv.ValueKind != JsonValueKind.String || dv.GetString() is not ("webhook" or "sse")) return Problem(400, "delivery must be \"webhook\" or \"sse\"", "/delivery");
            delivery = dv.GetString()!;
        }
        Uri? url = null;
        if (delivery == "sse")
        {
            if (body.TryGetProperty("webhook", out _)) return Problem(400, "an sse subscription has no webhook: its matches are read from /api/v1/subscriptions/{id}/events", "/webhook");
        }
        else
        {
            if (!body.TryGetProperty("webhook", out var wh) || wh.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(wh.GetString(), UriKind.Absolute, out url) || SsrfGuard.CheckScheme(url) is not null || url.UserInfo.Length > 0)
                return Problem(400, "webhook must be an absolute http or https URL without user info (or give \"delivery\": \"sse\")", "/webhook");
            if (!options.Value.AllowPrivateTargets && IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal) && SsrfGuard.CheckAddress(literal) is { } why2)
                return Problem(400, $"webhook may not point at a {why2}", "/webhook");
        }
        var workspace = body.TryGetProperty("workspace", out var ws) && ws.ValueKind == JsonValueKind.String ? ws.GetString()! : "live";
        var name = body.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (name is { Length: > 200 }) return Problem(400, "name must be at most 200 characters", "/name");

        var clearance = ReadAccess.Levels(ctx, caller);
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand("""
            INSERT INTO subscription (organization_id, api_key_id, name, workspace, layers, municipality_codes, area, min_severity,
                status_changes, webhook_url, secret, levels, hidden, created_seq, cursor, created_at)
            SELECT @org, @key, @name, @workspace, @layers, @codes,
                   CASE WHEN @geometry::text IS NOT NULL THEN ST_SetSRID(ST_GeomFromGeoJSON(@geometry), 4326)
                        WHEN @bbox::float8[] IS NOT NULL THEN ST_MakeEnvelope(@bbox[1], @bbox[2], @bbox[3], @bbox[4], 4326) END,
                   @min_severity, @status_changes, @url, @secret, @levels, @hidden::jsonb, s.hi, s.hi, @now
            FROM (SELECT hub_last_change_seq() AS hi) s
            RETURNING id
            """, conn);
        c.Parameters.AddWithValue("org", caller.OrganizationId);
        c.Parameters.AddWithValue("key", caller.KeyId);
        c.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Text) { Value = (object?)name ?? DBNull.Value });
        c.Parameters.AddWithValue("workspace", workspace);
        c.Parameters.AddWithValue("layers", layers);
        c.Parameters.Add(new NpgsqlParameter("codes", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)codes ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("geometry", NpgsqlDbType.Text) { Value = (object?)geometry ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("bbox", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = (object?)bbox ?? DBNull.Value });
        c.Parameters.Add(new NpgsqlParameter("min_severity", NpgsqlDbType.Smallint) { Value = (object?)minSeverity ?? DBNull.Value });
        c.Parameters.AddWithValue("status_changes", statusChanges);
        c.Parameters.Add(new NpgsqlParameter("url", NpgsqlDbType.Text) { Value = (object?)url?.ToString() ?? DBNull.Value });
        c.Parameters.AddWithValue("secret", secret);
        c.Parameters.AddWithValue("levels", clearance.Levels);
        c.Parameters.AddWithValue("hidden", clearance.HiddenJson);
        c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
        Guid id;
        try
        {
            id = (Guid)(await c.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("XX", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            return Problem(400, "geometry is not a valid GeoJSON geometry", "/geometry");
        }
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow(), OrganizationId = caller.OrganizationId, ApiKeyId = caller.KeyId, Action = "subscription.create", Target = id.ToString(), ClientAddress = ctx.Connection.RemoteIpAddress?.ToString() });
        await db.SaveChangesAsync(ct);
        return delivery == "sse"
            ? Results.Json(new { id, delivery, events = $"{ctx.PublicBase()}/api/v1/subscriptions/{id}/events" }, statusCode: 201)
            : Results.Json(new { id, delivery, secret, signature = "X-DisasterHub-Signature: sha256=HMAC-SHA256(secret, X-DisasterHub-Timestamp + \".\" + body), lower-case hex" }, statusCode: 201);
    }

    private static async Task<IResult> List(HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, CancellationToken ct)
    {
        var (caller, denied) = await OwnerAsync(ctx, db, ct);
        if (caller is null) return denied!;
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand("""
            SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name, 'workspace', s.workspace, 'layers', s.layers,
                'municipality_codes', s.municipality_codes, 'area', ST_AsGeoJSON(s.area)::json, 'min_severity', s.min_severity,
                'changes', CASE WHEN s.status_changes THEN 'status' ELSE 'any' END, 'webhook', s.webhook_url, 'created_at', s.created_at,
                'delivery', CASE WHEN s.webhook_url IS NULL THEN 'sse' ELSE 'webhook' END,
                'streamed', (SELECT count(*) FROM subscription_delivery d WHERE d.subscription_id = s.id AND d.status = 'stream'),
                'pending', (SELECT count(*) FROM subscription_delivery d WHERE d.subscription_id = s.id AND d.status = 'pending'),
                'delivered', (SELECT count(*) FROM subscription_delivery d WHERE d.subscription_id = s.id AND d.status = 'delivered'),
                'dead', (SELECT count(*) FROM subscription_delivery d WHERE d.subscription_id = s.id AND d.status = 'dead')) ORDER BY s.created_at), '[]')::text
            FROM subscription s WHERE s.organization_id = @org
            """, conn);
        c.Parameters.AddWithValue("org", caller.OrganizationId);
        return Results.Text((string)(await c.ExecuteScalarAsync(ct))!, "application/json");
    }

    private static async Task<IResult> Deliveries(Guid id, HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, CancellationToken ct)
    {
        var (caller, denied) = await OwnerAsync(ctx, db, ct);
        if (caller is null) return denied!;
        var status = ctx.Request.Query["status"].ToString();
        if (status.Length > 0 && status is not ("pending" or "delivered" or "dead" or "stream")) return Problem(400, "status must be pending, delivered, dead or stream", "status");
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM subscription WHERE id = @id AND organization_id = @org),
                   coalesce((SELECT json_agg(json_build_object('id', d.id, 'change_seq', d.change_seq, 'event', d.kind, 'status', d.status,
                       'attempts', d.attempts, 'last_status', d.last_status, 'last_error', d.last_error, 'created_at', d.created_at,
                       'next_attempt_at', CASE WHEN d.status = 'pending' THEN d.next_attempt_at END, 'delivered_at', d.delivered_at,
                       'payload', d.payload::json) ORDER BY d.id)
                    FROM subscription_delivery d WHERE d.subscription_id = @id AND (@status = '' OR d.status = @status)), '[]')::text
            """, conn);
        c.Parameters.AddWithValue("id", id);
        c.Parameters.AddWithValue("org", caller.OrganizationId);
        c.Parameters.AddWithValue("status", status);
        await using var r = await c.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetBoolean(0) ? Results.Text(r.GetString(1), "application/json") : Problem(404, "no such subscription of your organization");
    }

    /// <summary>
    /// The subscription's matches as server-sent events (<c>id:</c> the delivery id, <c>event: change|expired</c>,
    /// <c>data:</c> the payload a webhook would get), for its owner only; from now, or after <c>Last-Event-ID</c> /
    /// <c>?since=</c> (0 = every match kept).
    /// </summary>
    private static async Task Events(Guid id, HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, StreamGate gate, IOptions<SubscriptionOptions> options, CancellationToken ct)
    {
        var (caller, denied) = await OwnerAsync(ctx, db, ct);
        if (caller is null)
        {
            await denied!.ExecuteAsync(ctx);
            return;
        }
        var resume = ctx.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } last ? last : ctx.Request.Query["since"].ToString();
        long? after = null;
        if (resume.Length > 0)
        {
            if (!long.TryParse(resume, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var a))
            {
                await ParameterProblem.For("since", "since (or Last-Event-ID) must be a delivery id, an integer ≥ 0").ExecuteAsync(ctx);
                return;
            }
            after = a;
        }
        await using (var conn = await ds.OpenConnectionAsync(ct))
        await using (var c = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM subscription WHERE id = @id AND organization_id = @org),
                   (SELECT coalesce(max(d.id), 0) FROM subscription_delivery d WHERE d.subscription_id = @id)
            """, conn))
        {
            c.Parameters.AddWithValue("id", id);
            c.Parameters.AddWithValue("org", caller.OrganizationId);
            await using var r = await c.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            if (!r.GetBoolean(0))
            {
                await Problem(404, "no such subscription of your organization").ExecuteAsync(ctx);
                return;
            }
            after ??= r.GetInt64(1);
        }
        var (slot, refused) = gate.TryEnter(ctx.Resolved().Partition);
        if (slot is null)
        {
            ctx.Response.Headers.RetryAfter = "10";
            await Problem(refused, "too many open event streams").ExecuteAsync(ctx);
            return;
        }
        using var held = slot;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "private, no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        const int page = 500;
        var cursor = after.Value;
        var quiet = TimeSpan.Zero;
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(options.Value.PollMilliseconds / 2, 100, 1000));
        try
        {
            await ctx.Response.WriteAsync($": subscription {id}, after delivery {cursor}\nretry: 2000\n\n", ct);
            await ctx.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                var n = 0;
                await using (var conn = await ds.OpenConnectionAsync(ct))
                await using (var c = new NpgsqlCommand(SqlFiles.Get("subscription_stream"), conn))
                {
                    c.Parameters.AddWithValue("id", id);
                    c.Parameters.AddWithValue("after", cursor);
                    c.Parameters.AddWithValue("page", page);
                    await using var r = await c.ExecuteReaderAsync(ct);
                    while (await r.ReadAsync(ct))
                    {
                        cursor = r.GetInt64(0);
                        await ctx.Response.WriteAsync($"id: {cursor}\nevent: {r.GetString(1)}\ndata: {r.GetString(2)}\n\n", ct);
                        n++;
                    }
                }
                if (n > 0)
                {
                    await ctx.Response.Body.FlushAsync(ct);
                    quiet = TimeSpan.Zero;
                    if (n == page) continue; // more are waiting
                }
                else if ((quiet += poll) >= TimeSpan.FromSeconds(15))
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    quiet = TimeSpan.Zero;
                }
                // matching is the dispatcher's (it wakes on every change); reading what it matched is a short poll
                await Task.Delay(poll, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the client went away
        }
    }

    private static async Task<IResult> Delete(Guid id, HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, TimeProvider clock, CancellationToken ct)
    {
        var (caller, denied) = await OwnerAsync(ctx, db, ct);
        if (caller is null) return denied!;
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand("DELETE FROM subscription WHERE id = @id AND organization_id = @org", conn);
        c.Parameters.AddWithValue("id", id);
        c.Parameters.AddWithValue("org", caller.OrganizationId);
        if (await c.ExecuteNonQueryAsync(ct) == 0) return Problem(404, "no such subscription of your organization");
        db.Audit.Add(new AuditEntry { At = clock.GetUtcNow(), OrganizationId = caller.OrganizationId, ApiKeyId = caller.KeyId, Action = "subscription.delete", Target = id.ToString(), ClientAddress = ctx.Connection.RemoteIpAddress?.ToString() });
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}
