using System.Globalization;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// <c>GET /api/v1/audit</c>: every write and admin action (who — key or person —, what, when, from where), for admins,
/// newest first. Filters (all optional, combined with AND): <c>action</c>, <c>organization</c>, <c>person</c> (the
/// person who acted), <c>key_id</c>, <c>target</c>, <c>since</c> / <c>until</c> (ISO 8601 times, inclusive / exclusive),
/// <c>limit</c> (1–1000, default 100). A malformed value is a 400 problem naming the parameter, like every query parameter of the hub (<see cref="Http.QueryGuard"/>). Keyset paging: <c>next</c> is the URL of the older page (<c>before=</c> the last
/// id shown, the same filters), null on the last page — stable while new entries arrive.
/// </summary>
public static class AuditEndpoints
{
    public const string Path = "/api/v1/audit";

    public static bool IsAudit(HttpRequest r) => r.Path.Equals(Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>An ISO 8601 / RFC 3339 time; one without a zone is read as UTC.</summary>
    public static bool TryParseTime(string v, out DateTimeOffset at) =>
        DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    /// <summary>Why a since / until value is refused, or null (shared with <see cref="Http.QueryGuard"/>, which checks it first).</summary>
    public static string? TimeProblem(string name, string v) => TryParseTime(v, out _) ? null : $"{name} must be an ISO 8601 time (2026-12-05T09:00:00+09:00)";

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        // the Admin policy is the gate (an admin key or a signed-in admin); the filter looks the key up again (a revocation counts at once)
        // every parameter a string, so a malformed one is this endpoint's 422 naming it (and all are in the OpenAPI description)
        app.MapGet(Path, async (HttpContext ctx, HubDbContext db, string? limit, string? before, string? action, string? organization, string? person,
            [FromQuery(Name = "key_id")] string? keyId, string? target, string? since, string? until, CancellationToken ct) =>
        {
            var query = ctx.Request.Query;
            var given = new Dictionary<string, string?>
            {
                ["limit"] = limit, ["before"] = before, ["action"] = action, ["organization"] = organization, ["person"] = person,
                ["key_id"] = keyId, ["target"] = target, ["since"] = since, ["until"] = until,
            };
            string? Text(string name) => given[name] is { } v && v.Trim().Length > 0 ? v.Trim() : null;
            var take = 100;
            if (Text("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out take) || take is < 1 or > 1000))
                return ParameterProblem.For("limit", "limit must be an integer 1–1000");
            long? cursor = null;
            if (Text("before") is { } b)
            {
                if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1) return ParameterProblem.For("before", "before must be an audit entry id (the cursor in next)");
                cursor = id;
            }
            DateTimeOffset? from = null, to = null;
            foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("since", t => from = t), ("until", t => to = t) })
            {
                if (Text(name) is not { } t) continue;
                if (!TryParseTime(t, out var at)) return ParameterProblem.For(name, TimeProblem(name, t)!);
                set(at);
            }
            if (from is { } s0 && to is { } u0 && u0 <= s0) return ParameterProblem.For("until", "until must be after since");

            var q = db.Audit.AsNoTracking();
            if (Text("action") is { } a1) q = q.Where(a => a.Action == a1);
            if (Text("organization") is { } org) q = q.Where(a => a.OrganizationId == org);
            if (Text("person") is { } who) q = q.Where(a => a.Person == who);
            if (Text("key_id") is { } key) q = q.Where(a => a.ApiKeyId == key);
            if (Text("target") is { } what) q = q.Where(a => a.Target == what);
            if (from is { } f) q = q.Where(a => a.At >= f);
            if (to is { } t1) q = q.Where(a => a.At < t1);
            if (cursor is { } c) q = q.Where(a => a.Id < c);
            // one more than the page: whether an older page exists, without counting
            var rows = await q.OrderByDescending(a => a.Id).Take(take + 1).ToListAsync(ct);
            var more = rows.Count > take;
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
