using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// 災害対策本部 (disaster HQ) status per municipality: <c>PUT /api/v1/municipalities/{code}/hq</c> with
/// <c>{"status": "設置" | "未設置" | "解散", "at": RFC 3339}</c>, and <c>GET</c> of the current status and its history.
/// </summary>
/// <remarks>
/// Written by the municipality itself or by an operator: an admin key, or a writer key (any <c>push:*</c> scope) of an
/// organization whose jurisdiction covers the code (national and operator organizations cover every code). Read keys
/// never write. Every entry is kept; the current status is the one with the latest <c>at</c>, so a late-arriving older
/// entry joins the history without overturning a newer one.
/// </remarks>
public static class MunicipalityHqEndpoints
{
    public static readonly string[] Statuses = ["設置", "未設置", "解散"];
    private const int MaxBodyBytes = 16 * 1024;
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);

    public static IEndpointRouteBuilder MapMunicipalityHq(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/municipalities/{code}/hq").WithTags("Municipalities").RequireAuthorization(HubPolicies.KeyCheckedByEndpoint);
        g.MapPut("", Put).RequireRateLimiting(RateLimits.Push);
        g.MapGet("", Get).RequireRateLimiting(RateLimits.Read);
        return app;
    }

    private static IResult Problem(int status, string detail, string? parameter = null, string? pointer = null)
    {
        var ext = new Dictionary<string, object?>();
        if (parameter is not null) ext["parameter"] = parameter;
        if (pointer is not null) ext["pointer"] = pointer;
        return Results.Problem(statusCode: status, detail: detail, extensions: ext);
    }

    /// <summary>The path's code as a known municipality (6 digits with check digit, or 5 digits), or the problem with it.</summary>
    private static async Task<(string? Code, IResult? Problem)> MunicipalityAsync(string raw, ReportingQueries q, CancellationToken ct)
    {
        if (!MunicipalityCode.TryNormalize(raw, out var code, out var error)) return (null, Problem(400, $"code: {error}", parameter: "code"));
        if (await q.IsMunicipalityAsync(code, ct)) return (code, null);
        var entry = MunicipalityDirectory.LoadEmbedded().Get(code);
        var hint = entry?.Type == "ward" && MunicipalityDirectory.LoadEmbedded().CityOf(entry) is { } city
            ? $" — {entry.Name} is a ward; the city's HQ is {city.Name} ({city.Code})"
            : entry?.IsPrefecture == true ? " — a prefecture, not a municipality" : "";
        return (null, Problem(404, $"no municipality {code}{hint}", parameter: "code"));
    }

    private static async Task<string?> WorkspaceProblemAsync(HttpContext ctx, NpgsqlDataSource ds, CancellationToken ct)
    {
        var workspace = ReadAccess.Workspace(ctx);
        return workspace == "live" || await WorkspaceGate.KindAsync(ctx, ds, workspace, ct) is not null ? null : workspace;
    }

    private static async Task<IResult> Put(string code, HttpContext ctx, HubDbContext db, ReportingQueries q, NpgsqlDataSource ds, TimeProvider clock, CancellationToken ct)
    {
        // a key (checked against the store) or a signed-in person (the session cookie, CSRF-checked)
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        if (caller is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(401, "a valid API key (Authorization: Bearer ...) or a signed-in session is required", parameter: "Authorization");
        }
        var (muni, problem) = await MunicipalityAsync(code, q, ct);
        if (problem is not null) return problem;
        if (!caller.Scopes.Contains("admin"))
        {
            // a writer: a key with any push scope, or a person (people write for their organization, as its pushes do)
            var writer = caller.Person is not null || caller.Scopes.Any(s => s.StartsWith("push:", StringComparison.Ordinal));
            var jurisdiction = await OrganizationStore.JurisdictionAsync(db, caller.OrganizationId, ct);
            if (!writer || (jurisdiction is not null && !jurisdiction.Covers(muni!)))
                return Problem(403, writer
                    ? $"municipality {muni} is outside the jurisdiction of {caller.OrganizationId}"
                    : "this key may not write (an admin key, or a push:* key of an organization whose jurisdiction covers the code)");
        }
        if (await WorkspaceProblemAsync(ctx, ds, ct) is { } badWorkspace)
            return Problem(400, $"no workspace '{badWorkspace}' (create a drill with ./hub drill create)", parameter: "workspace");

        if (ctx.Request.ContentLength > MaxBodyBytes) return Problem(413, $"body larger than {MaxBodyBytes} bytes");
        string text;
        using (var reader = new StreamReader(ctx.Request.Body, System.Text.Encoding.UTF8))
        {
            var buffer = new char[MaxBodyBytes + 1];
            var n = await reader.ReadBlockAsync(buffer, ct);
            if (n > MaxBodyBytes) return Problem(413, $"body larger than {MaxBodyBytes} bytes");
            text = new string(buffer, 0, n);
        }
        JsonNode? body;
        try
        {
            body = SafeJson.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (UnparseableDocumentException e)
        {
            return Problem(400, e.Reason, pointer: "");
        }
        if (body is not JsonObject o) return Problem(400, "the body must be a JSON object {\"status\": …, \"at\": …}", pointer: "");
        var status = o["status"] is JsonValue sv && sv.TryGetValue<string>(out var s) ? s.Trim() : null;
        if (status is null || !Statuses.Contains(status))
            return Problem(422, $"status must be one of {string.Join(", ", Statuses)}", pointer: "/status");
        var now = clock.GetUtcNow();
        var at = now;
        if (o["at"] is { } atNode)
        {
            if (atNode is not JsonValue av || !av.TryGetValue<string>(out var atText) || !OgcEndpoints.TryParseInstant(atText, out var parsed) || parsed is null)
                return Problem(422, "at must be an RFC 3339 instant with a zone (2026-11-22T09:30:00+09:00)", pointer: "/at");
            if (parsed.Value > now + FutureSkew) return Problem(422, $"at is in the future ({parsed.Value:O} > now {now:O})", pointer: "/at");
            at = parsed.Value;
        }

        var workspace = ReadAccess.Workspace(ctx);
        var id = await q.RecordHqAsync(workspace, muni!, status, at, now, caller.OrganizationId, caller.KeyId, ct);
        await DocumentsEndpoints.AuditAsync(db, caller, ctx, "hq", muni!, new { id, status, at, workspace }, clock, ct);
        var history = await q.HqHistoryAsync(workspace, muni!, ct);
        return Results.Json(Describe(muni!, workspace, history, id), statusCode: 201);
    }

    private static async Task<IResult> Get(string code, HttpContext ctx, ReportingQueries q, NpgsqlDataSource ds, CancellationToken ct)
    {
        var (muni, problem) = await MunicipalityAsync(code, q, ct);
        if (problem is not null) return problem;
        if (await WorkspaceProblemAsync(ctx, ds, ct) is { } badWorkspace)
            return Problem(400, $"no workspace '{badWorkspace}'", parameter: "workspace");
        var workspace = ReadAccess.Workspace(ctx);
        return Results.Json(Describe(muni!, workspace, await q.HqHistoryAsync(workspace, muni!, ct), null));
    }

    private static object Describe(string code, string workspace, List<HqEntry> history, long? recorded)
    {
        var entry = MunicipalityDirectory.LoadEmbedded().Get(code);
        object Entry(HqEntry e) => new
        {
            id = e.Id, status = e.Status, at = e.At.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
            recorded_at = e.RecordedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture), organization = e.OrganizationId,
        };
        return new
        {
            municipality_code = code, name = entry?.Name, prefecture = entry?.Prefecture, workspace,
            recorded = recorded,
            current = history.Count == 0 ? null : Entry(history[0]),
            history = history.Select(Entry),
        };
    }
}
