using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Adapters.Media;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Media;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Photos and short videos (issue 12, layer <c>media</c>). <c>POST /api/v1/sources/{id}/media</c> takes the file as the
/// body (JPEG, PNG, HEIC or MP4, told by its bytes); <c>lon</c>, <c>lat</c>, <c>captured_at</c>, <c>caption</c>, <c>id</c>
/// and <c>classification</c> may be given as parameters, else the place and time come from the file's EXIF (or
/// QuickTime) metadata. The file is stored outside the database by its SHA-256 (<see cref="MediaStore"/>) and
/// described by one record pushed through the normal pipeline (format <c>media.geojson</c>: schema, jurisdiction,
/// sharing rules, history). <c>GET /api/v1/media/{sha256}</c> and <c>…/thumbnail</c> serve the file only to callers
/// who may see a current record of it.
/// </summary>
public static partial class MediaEndpoints
{
    private const long DefaultMaxMediaBytes = 50L * 1024 * 1024;

    public static IEndpointRouteBuilder MapMedia(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/sources/{id}/media", Upload).WithTags("Media").DisableAntiforgery().RequireRateLimiting(RateLimits.Push).RequireAuthorization(HubPolicies.KeyCheckedByEndpoint);
        var g = app.MapGroup("/api/v1/media").WithTags("Media").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("/{sha256}", (string sha256, HttpContext ctx, HubDbContext db, FeatureQueries q, MediaStore store, TimeProvider clock, CancellationToken ct) =>
            Serve(sha256, thumbnail: false, ctx, db, q, store, clock, ct));
        g.MapGet("/{sha256}/thumbnail", (string sha256, HttpContext ctx, HubDbContext db, FeatureQueries q, MediaStore store, TimeProvider clock, CancellationToken ct) =>
            Serve(sha256, thumbnail: true, ctx, db, q, store, clock, ct));
        return app;
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Hex();

    private static IResult Problem(int status, string detail, string? field = null) =>
        Results.Problem(statusCode: status, detail: detail, extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });

    private static async Task<IResult> Upload(string id, HttpContext ctx, HubDbContext db, IngestPipeline pipeline, MediaStore store,
        IConfiguration config, TimeProvider clock, Microsoft.AspNetCore.Authorization.IAuthorizationService authorization, CancellationToken ct)
    {
        // a key (checked against the store) or a signed-in person (the session cookie, CSRF-checked)
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        if (caller is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(401, "a valid API key (Authorization: Bearer ...) or a signed-in session is required", "Authorization");
        }
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (source is null) return Problem(404, $"no source '{id}'", "id");
        if (!(await authorization.AuthorizeAsync(ctx.User, source, HubPolicies.PushToSource)).Succeeded)
            return Problem(403, $"this {(caller.Person is null ? "key" : "person")} may not push to source '{id}'", "Authorization");
        if (source.Layer != Layers.Media) return Problem(400, $"source '{id}' writes layer {source.Layer}; media goes to a source of layer media", "id");

        var q = ctx.Request.Query;
        double? Number(string name) => q[name].ToString() is { Length: > 0 } v ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : double.NaN : null;
        var (lon, lat) = (Number("lon"), Number("lat"));
        if (lon is double.NaN || lon is < -180 or > 180) return Problem(400, "lon must be decimal degrees −180…180", "lon");
        if (lat is double.NaN || lat is < -90 or > 90) return Problem(400, "lat must be decimal degrees −90…90", "lat");
        if (lon.HasValue != lat.HasValue) return Problem(400, "give lon and lat together", lon.HasValue ? "lat" : "lon");
        DateTimeOffset? capturedAt = null;
        if (q["captured_at"].ToString() is { Length: > 0 } ca)
        {
            if (!DateTimeOffset.TryParse(ca, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) || !ca.Contains('T', StringComparison.Ordinal))
                return Problem(400, "captured_at must be an RFC 3339 date-time with a zone", "captured_at");
            capturedAt = t.ToUniversalTime();
        }
        var classification = q["classification"].ToString() is { Length: > 0 } cl ? cl : null;
        if (classification is not null && !ClassificationPolicy.IsLevel(classification)) return Problem(400, "classification must be public, responders or restricted", "classification");
        var caption = q["caption"].ToString() is { Length: > 0 } cp ? cp : null;
        if (caption?.Length > 500) return Problem(400, "caption is at most 500 characters", "caption");
        var recordId = q["id"].ToString() is { Length: > 0 } rid ? rid : null;
        if (recordId?.Length > 200) return Problem(400, "id is at most 200 characters", "id");

        var cap = config.GetValue("Hub:MaxMediaBytes", DefaultMaxMediaBytes);
        if (ctx.Request.ContentLength > cap) return Problem(413, $"media larger than {cap} bytes (Hub:MaxMediaBytes)");
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = cap + 1;
        byte[] bytes;
        try
        {
            bytes = await CappedBody.ReadAsync(ctx.Request.Body, cap, ctx.Request.ContentLength, "media over cap", ct);
        }
        catch (Exception tooLarge) when (tooLarge is InvalidDataException or BadHttpRequestException { StatusCode: 413 })
        {
            return Problem(413, $"media larger than {cap} bytes (Hub:MaxMediaBytes)");
        }
        if (MediaInspector.Inspect(bytes) is not { } facts)
            return Problem(415, "the body is not a JPEG, PNG, HEIC or MP4 file (told by its first bytes, not by Content-Type)", "Content-Type");

        var place = lon is { } x && lat is { } y ? (x, y, "request") : facts.Lon is { } fx && facts.Lat is { } fy ? (fx, fy, "exif") : ((double, double, string)?)null;
        if (place is null) return Problem(400, "the file carries no GPS position: give lon and lat", "lon");
        var time = capturedAt is { } c ? (c, "request") : facts.CapturedAt is { } e ? (e, "exif") : (clock.GetUtcNow(), "received");
        var hasThumbnail = await store.SaveAsync(facts, bytes, ct);

        var properties = new JsonObject
        {
            ["name"] = caption ?? $"{facts.MediaType} {time.Item1.ToOffset(MediaInspector.DefaultOffset):yyyy-MM-dd HH:mm}",
            ["observed_at"] = time.Item1.ToString("O", CultureInfo.InvariantCulture),
            ["media_type"] = facts.MediaType,
            ["captured_at"] = time.Item1.ToString("O", CultureInfo.InvariantCulture),
            ["sha256"] = facts.Sha256,
            ["bytes"] = facts.Bytes,
            ["location_source"] = place.Value.Item3,
            ["time_source"] = time.Item2,
            ["media_url"] = $"/api/v1/media/{facts.Sha256}",
        };
        if (caption is not null) properties["caption"] = caption;
        if (hasThumbnail) properties["thumbnail_url"] = $"/api/v1/media/{facts.Sha256}/thumbnail";
        if (classification is not null) properties["classification"] = classification;
        var feature = new JsonObject
        {
            ["type"] = "Feature",
            ["id"] = recordId ?? facts.Sha256,
            ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(place.Value.Item1, place.Value.Item2) },
            ["properties"] = properties,
        };
        var document = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = "FeatureCollection", ["features"] = new JsonArray(feature) });
        var jurisdiction = caller.Scopes.Contains("admin") ? null : await OrganizationStore.JurisdictionAsync(db, caller.OrganizationId, ct);
        var outcome = await pipeline.IngestAsync(new IngestRequest(source, document, "application/geo+json", Layers.Media + ".geojson", null,
            ApiKeyId: caller.KeyId, Jurisdiction: jurisdiction), ct);
        await DocumentsEndpoints.AuditAsync(db, caller, ctx, "push_media", source.Id, new { facts.Sha256, facts.MediaType, facts.Bytes, outcome.Accepted, outcome.Rejected }, clock, ct);
        var body = new
        {
            accepted = outcome.Accepted,
            rejected = outcome.Rejected,
            rejections = outcome.Rejections.Select(r => new { at = r.At, reason = r.Reason }),
            sha256 = facts.Sha256,
            media_type = facts.MediaType,
            lon = place.Value.Item1,
            lat = place.Value.Item2,
            location_source = place.Value.Item3,
            captured_at = time.Item1,
            time_source = time.Item2,
            media_url = $"/api/v1/media/{facts.Sha256}",
            thumbnail_url = hasThumbnail ? $"/api/v1/media/{facts.Sha256}/thumbnail" : null,
            raw_document_id = outcome.RawDocumentId,
        };
        return Results.Json(body, statusCode: outcome.Status == IngestStatus.Ingested && outcome.Accepted > 0 ? 201 : 400);
    }

    private static async Task<IResult> Serve(string sha256, bool thumbnail, HttpContext ctx, HubDbContext db, FeatureQueries q, MediaStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Sha256Hex().IsMatch(sha256)) return Problem(400, "the media id is a SHA-256 in lower-case hex", "sha256");
        var clearance = await ReadAccess.LevelsAsync(ctx, db, ct);
        var scope = new ReadScope(RowSet.Features, [Layers.Media], ReadAccess.Workspace(ctx), clearance, clock.GetUtcNow());
        // the same answer for "no such file" and "not for you": a caller below the record's level learns nothing
        if (await q.VisibleMediaTypeAsync(scope, sha256, ct) is not { } mediaType) return Problem(404, $"no media {sha256}");
        var path = thumbnail ? store.ThumbnailPath(sha256) : store.FilePath(sha256, mediaType);
        if (!File.Exists(path)) return Problem(404, thumbnail ? $"media {sha256} has no thumbnail" : $"media {sha256} is not stored on this node");
        return Results.File(path, thumbnail ? "image/jpeg" : mediaType, enableRangeProcessing: true);
    }
}
