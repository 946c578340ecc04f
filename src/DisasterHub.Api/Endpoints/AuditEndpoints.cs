using System.Globalization;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/audit</c>: every write and admin action (who — key or person —, what, when, from where), for admins,
/// newest first. Filters (all optional, combined with AND): <c>action</c>, <c>organization</c>, <c>person</c> (the
/// person who acted), <c>key_id</c>, <c>target</c>, <c>since</c> / <c>until</c> (ISO 8601 times, inclusive / exclusive),
/// <c>limit</c> (1–1000, default 100). Keyset paging: <c>next</c> is the URL of the older page (<c>before=</c> the last
/// id shown, the same filters), null on the last page — stable while new entries arrive.
/// </summary>
public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        // the Admin policy is the gate (an admin key or a signed-in admin); the filter looks the key up again (a revocation counts at once)
        app.MapGet("/api/v1/audit", async (HttpContext ctx, HubDbContext db, CancellationToken ct) =>
        {
            var query = ctx.Request.Query;
            string? Text(string name) => query[name].ToString() is { Length: > 0 } v ? v.Trim() : null;
            var limit = 100;
            if (Text("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
                return ParameterProblem.For("limit", "limit is a whole number from 1 to 1000", 422);
            long? before = null;
            if (Text("before") is { } b)
            {
                if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1) return ParameterProblem.For("before", "before is an audit entry id (the cursor of next)", 422);
                before = id;
            }
            DateTimeOffset? since = null, until = null;
            foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("since", t => since = t), ("until", t => until = t) })
            {
                if (Text(name) is not { } t) continue;
                if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                    return ParameterProblem.For(name, $"{name} is an ISO 8601 time (2026-12-05T09:00:00+09:00)", 422);
                set(at);
            }
            if (since is { } s0 && until is { } u0 && u0 <= s0) return ParameterProblem.For("until", "until is not after since", 422);

            var q = db.Audit.AsNoTracking();
            if (Text("action") is { } action) q = q.Where(a => a.Action == action);
            if (Text("organization") is { } org) q = q.Where(a => a.OrganizationId == org);
            if (Text("person") is { } person) q = q.Where(a => a.Person == person);
            if (Text("key_id") is { } keyId) q = q.Where(a => a.ApiKeyId == keyId);
            if (Text("target") is { } target) q = q.Where(a => a.Target == target);
            if (since is { } from) q = q.Where(a => a.At >= from);
            if (until is { } to) q = q.Where(a => a.At < to);
            if (before is { } cursor) q = q.Where(a => a.Id < cursor);
            // one more than the page: whether an older page exists, without counting
            var rows = await q.OrderByDescending(a => a.Id).Take(limit + 1).ToListAsync(ct);
            var more = rows.Count > limit;
            if (more) rows.RemoveAt(rows.Count - 1);
            string? next = null;
            if (more)
            {
                var parameters = query.Where(p => p.Key != "before").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.ToString())}")
                    .Append($"before={rows[^1].Id.ToString(CultureInfo.InvariantCulture)}");
                next = "/api/v1/audit?" + string.Join('&', parameters);
            }
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Json(new
            {
                entries = rows.Select(a => new
                {
                    id = a.Id, at = a.At, organization = a.OrganizationId, key_id = a.ApiKeyId, person = a.Person, action = a.Action,
                    target = a.Target, client_address = a.ClientAddress, detail = System.Text.Json.JsonDocument.Parse(a.Detail).RootElement,
                }),
                next,
            });
        }).WithTags("Audit").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.Admin).AddEndpointFilter(SourcesEndpoints.RequireScope("admin"));
        return app;
    }
}
