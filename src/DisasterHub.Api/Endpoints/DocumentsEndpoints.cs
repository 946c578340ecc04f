using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Push;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Push: <c>POST /api/v1/sources/{id}/documents</c>. Same parse path as a pull; authenticated by the organization's
/// key; <c>Idempotency-Key</c> honoured; the body is read against a cap while it streams in (413 without buffering it all).
/// Every refusal is RFC 9457 problem details (<c>application/problem+json</c>) naming the offending field.
/// </summary>
public static class DocumentsEndpoints
{
    public static IEndpointRouteBuilder MapDocuments(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/sources/{id}/documents", History).WithTags("Push").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.KeyCheckedByEndpoint);
        app.MapPost("/api/v1/sources/{id}/documents", Push).WithTags("Push").DisableAntiforgery().RequireRateLimiting(RateLimits.Push).RequireAuthorization(HubPolicies.KeyCheckedByEndpoint);
        return app;
    }

    private const string ProblemJson = "application/problem+json";

    /// <summary>
    /// Problem details (RFC 9457) with the offending <c>field</c> (a parameter or header) or <c>pointer</c> (into the
    /// document); <c>error</c> repeats the detail for clients written against the earlier answers.
    /// </summary>
    private static Dictionary<string, object?> ProblemBody(int status, string title, string detail, string? field = null, string? pointer = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "about:blank",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["error"] = detail,
        };
        if (field is not null) body["field"] = field;
        if (pointer is not null) body["pointer"] = pointer;
        return body;
    }

    private static IResult Problem(int status, string title, string detail, string? field = null, string? pointer = null) =>
        Results.Json(ProblemBody(status, title, detail, field, pointer), contentType: ProblemJson, statusCode: status);

    /// <summary>
    /// The source's latest documents and what became of each (<c>source_documents.sql</c>), with the owner organization
    /// and its jurisdiction codes (what a city's page filters its shelters by). For the owner organization's keys and
    /// people, and admins: who sent what is not public.
    /// </summary>
    private static async Task<IResult> History(string id, HttpContext ctx, HubDbContext db, NpgsqlDataSource data, CancellationToken ct)
    {
        if (PushParameters.Check(id, ctx.Request.Query) is { } bad) return Problem(400, "invalid parameter", bad.Detail, bad.Field);
        var limit = 20;
        if (ctx.Request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > 200))
            return Problem(400, "invalid parameter", "limit is a whole number from 1 to 200", "limit");
        long? before = null;
        if (ctx.Request.Query["before"].ToString() is { Length: > 0 } b)
        {
            if (!long.TryParse(b, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id0) || id0 < 1)
                return Problem(400, "invalid parameter", "before is a document id (the last one of the previous page)", "before");
            before = id0;
        }
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        if (caller is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(401, "unauthorized", "a valid API key (Authorization: Bearer ...) or a signed-in session is required", "Authorization");
        }
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (source is null) return Problem(404, "not found", $"no source '{id}'", "id");
        if (!caller.Scopes.Contains("admin") && source.OwnerOrgId != caller.OrganizationId)
            return Problem(403, "forbidden", $"only the organization that owns source '{id}' (or an admin) reads its documents", "id");
        var owner = source.OwnerOrgId is null ? null : await db.Organizations.AsNoTracking().Where(o => o.Id == source.OwnerOrgId)
            .Select(o => new { id = o.Id, name = o.Name, kind = o.Kind, jurisdiction = o.JurisdictionCodes }).FirstOrDefaultAsync(ct);

        var documents = new List<object>();
        long lastId = 0;
        await using (var c = data.CreateCommand(SqlFiles.Get("source_documents")))
        {
            c.Parameters.AddWithValue("source_id", id);
            c.Parameters.AddWithValue("limit", limit);
            c.Parameters.Add(new NpgsqlParameter("before", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)before ?? DBNull.Value });
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                documents.Add(new
                {
                    id = lastId = r.GetInt64(0),
                    received_at = r.GetFieldValue<DateTimeOffset>(1),
                    workspace = r.GetString(2),
                    format = r.IsDBNull(3) ? null : r.GetString(3),
                    status = r.GetString(4),
                    accepted = r.GetInt32(5),
                    rejected = r.GetInt32(6),
                    size_bytes = r.GetInt32(7),
                    sent_by = r.IsDBNull(8) ? null : r.GetString(8),
                    changed = r.IsDBNull(9) ? (int?)null : r.GetInt32(9),
                    rejections = JsonDocument.Parse(r.GetString(10)).RootElement,
                });
        }
        ctx.Response.Headers.CacheControl = "private, no-store";
        return Results.Json(new
        {
            source = new { id = source.Id, name = source.Name, kind = source.Kind, layer = source.Layer, format = source.Format, owner_org = source.OwnerOrgId },
            owner,
            documents,
            // the next (older) page, while this one was full
            next = documents.Count == limit ? $"/api/v1/sources/{Uri.EscapeDataString(id)}/documents?limit={limit}&before={lastId}" : null,
        });
    }

    private static async Task<IResult> Push(string id, HttpContext ctx, HubDbContext db, IngestPipeline pipeline, NpgsqlDataSource dataSource,
        IOptions<HubOptions> options, TimeProvider clock, IngestGate gate, KeyedLocks locks, DeniedPushAudit denied,
        Microsoft.AspNetCore.Authorization.IAuthorizationService authorization, CancellationToken ct)
    {
        // Parameters first, before they reach SQL or the audit log: a NUL or control character is a 400, never a 500.
        if (PushParameters.Check(id, ctx.Request.Query) is { } bad) return Problem(400, "invalid parameter", bad.Detail, bad.Field);
        var format = ctx.Request.Query["format"].ToString() is { Length: > 0 } f ? f : null;
        var workspace = ctx.Request.Query["workspace"].ToString() is { Length: > 0 } w ? w : "live";
        // the document is the source's complete set: what it no longer holds is withdrawn (issue 16 §5)
        var replace = PushParameters.Replace(ctx.Request.Query) == true;

        // a key (checked against the store: a revocation counts at once) or a signed-in person (the session cookie, CSRF-checked)
        var caller = await ReadAccess.CallerAsync(ctx, db, ct);
        if (caller is null)
        {
            await denied.RecordAsync(db, ctx, null, PushParameters.PresentedKeyId(ctx.Request.Headers.Authorization), id, 401, "no valid API key", null, ct);
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(401, "unauthorized", "a valid API key (Authorization: Bearer ...) or a signed-in session is required", "Authorization");
        }
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (source is null)
        {
            await denied.RecordAsync(db, ctx, caller, id, 404, "no such source", null, ct);
            return Problem(404, "not found", $"no source '{id}'", "id");
        }
        if (!(await authorization.AuthorizeAsync(ctx.User, source, HubPolicies.PushToSource)).Succeeded)
        {
            var who = caller.Person is null ? "key" : "person";
            await denied.RecordAsync(db, ctx, caller, id, 403, $"{who} may not push to this source", new { layer = source.Layer, owner = source.OwnerOrgId }, ct);
            return Problem(403, "forbidden", $"this {who} may not push to source '{id}'", caller.Person is null ? "Authorization" : "id");
        }

        var hub = options.Value;
        var cap = hub.MaxPushBytes;
        if (ctx.Request.ContentLength > cap) return Problem(413, "document too large", $"document larger than {cap} bytes");
        var sizeFeature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = cap + 1;
        byte[] body;
        try
        {
            body = await CappedBody.ReadAsync(ctx.Request.Body, cap, ctx.Request.ContentLength, "body over cap", ct);
        }
        catch (InvalidDataException)
        {
            return Problem(413, "document too large", $"document larger than {cap} bytes");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return Problem(413, "document too large", $"document larger than {cap} bytes");
        }
        var (decoded, encodingProblem) = ContentEncoding(ctx, body, cap, hub.Ingest.MaxCompressionRatio);
        if (encodingProblem is not null) return encodingProblem;
        body = decoded!;
        // once the answer is sent, the heap a national registry grew is compacted and given back (LargeDocuments)
        if (LargeDocuments.IsLarge(body.Length, hub.Ingest))
            ctx.Response.OnCompleted(() =>
            {
                LargeDocuments.GiveBackMemory();
                return Task.CompletedTask;
            });

        if (workspace != "live" && await WorkspaceGate.KindAsync(ctx, dataSource, workspace, ct) is null)
            return Problem(400, "unknown workspace", $"no workspace '{workspace}' (create a drill with ./hub drill create)", "workspace");
        // a preview writes nothing (no raw document, feature, audit entry or idempotency record), so it needs no key
        if (PushParameters.DryRun(ctx.Request.Query) == true) return await PreviewAsync();

        var idemKey = ctx.Request.Headers["Idempotency-Key"].ToString();
        if (idemKey.Length > 200) return Problem(400, "invalid header", "Idempotency-Key longer than 200 characters", "Idempotency-Key");
        if (idemKey.Any(char.IsControl)) return Problem(400, "invalid header", "Idempotency-Key contains a control character", "Idempotency-Key");
        if (idemKey.Length == 0)
        {
            var (status, json, _) = await IngestCore();
            return Answer(status, json);
        }

        var requestHash = RequestHash(body, $"\n{id}\n{format}\n{workspace}");
        using var held = await locks.Idempotency.WaitAsync($"{caller.KeyId}\n{idemKey}", Timeout.InfiniteTimeSpan, ct);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using (var c = new NpgsqlCommand("SELECT request_sha256, status_code, response_body FROM idempotency WHERE api_key_id = @k AND key = @i", conn))
        {
            c.Parameters.AddWithValue("k", caller.KeyId);
            c.Parameters.AddWithValue("i", idemKey);
            await using var r = await c.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                if (!r.GetFieldValue<byte[]>(0).AsSpan().SequenceEqual(requestHash))
                    return Problem(422, "Idempotency-Key reused", "Idempotency-Key was already used with a different document", "Idempotency-Key");
                ctx.Response.Headers["Idempotent-Replayed"] = "true";
                return Answer(r.GetInt32(1), r.GetString(2));
            }
        }
        var (answerStatus, answer, keep) = await IngestCore();
        if (keep)
        {
            await using var c = new NpgsqlCommand("""
                INSERT INTO idempotency (api_key_id, key, request_sha256, status_code, response_body, created_at)
                VALUES (@k, @i, @h, @s, @b, @t) ON CONFLICT DO NOTHING
                """, conn);
            c.Parameters.AddWithValue("k", caller.KeyId);
            c.Parameters.AddWithValue("i", idemKey);
            c.Parameters.AddWithValue("h", requestHash);
            c.Parameters.AddWithValue("s", answerStatus);
            c.Parameters.AddWithValue("b", answer);
            c.Parameters.AddWithValue("t", clock.GetUtcNow().UtcDateTime);
            await c.ExecuteNonQueryAsync(ct);
        }
        return Answer(answerStatus, answer);

        async Task<IResult> PreviewAsync()
        {
            using var slot = await gate.TryEnterAsync(caller.OrganizationId, ct);
            if (slot is null)
            {
                ctx.Response.Headers.RetryAfter = "5";
                return Problem(503, "ingest busy", $"this organization already has {gate.PerOrganizationSlots} documents ingesting (or the hub is at capacity); retry shortly");
            }
            var jurisdiction = caller.Scopes.Contains("admin") ? null : await OrganizationStore.JurisdictionAsync(db, caller.OrganizationId, ct);
            var preview = await pipeline.PreviewAsync(new IngestRequest(source, body, ctx.Request.ContentType, format, null, ApiKeyId: caller.KeyId, Workspace: workspace, Jurisdiction: jurisdiction,
                Replace: replace), ct);
            return PushPreview.Answer(preview, format);
        }

        IResult Answer(int status, string json)
        {
            if (status == 503) ctx.Response.Headers.RetryAfter = "5";
            return Results.Text(json, status >= 400 ? ProblemJson : "application/json", statusCode: status);
        }

        // Status, answer, and whether an Idempotency-Key may replay it (a 503 is worth retrying, so it is not kept).
        async Task<(int Status, string Json, bool Keep)> IngestCore()
        {
            using var slot = await gate.TryEnterAsync(caller.OrganizationId, ct);
            if (slot is null)
                return (503, JsonSerializer.Serialize(ProblemBody(503, "ingest busy",
                    $"this organization already has {gate.PerOrganizationSlots} documents ingesting (or the hub is at capacity); retry shortly")), false);

            // Admin keys act for the hub; every other key is held to its organization's jurisdiction, per feature.
            var jurisdiction = caller.Scopes.Contains("admin") ? null : await OrganizationStore.JurisdictionAsync(db, caller.OrganizationId, ct);
            var outcome = await pipeline.IngestAsync(new IngestRequest(source, body, ctx.Request.ContentType, format, null, ApiKeyId: caller.KeyId, Workspace: workspace, Jurisdiction: jurisdiction,
                Replace: replace), ct);
            var firstReason = outcome.Status == IngestStatus.Ingested ? null : outcome.Rejections.FirstOrDefault();
            if (outcome.Status == IngestStatus.WrongLayer)
            {
                await denied.RecordAsync(db, ctx, caller, source.Id, 400, "format of another layer",
                    new { format = outcome.Format, format_layer = outcome.Layer, source_layer = source.Layer }, ct);
                var problem = ProblemBody(400, "format of another layer", firstReason!.Reason, "format");
                problem["format"] = outcome.Format;
                problem["format_layer"] = outcome.Layer;
                problem["source_layer"] = source.Layer;
                return (400, JsonSerializer.Serialize(problem), true);
            }
            await AuditAsync(db, caller, ctx, "push", source.Id, new
            {
                outcome.RawDocumentId, outcome.Accepted, outcome.Rejected, outcome.Changed, not_current = outcome.NotCurrent.Count,
                status = outcome.Status.ToString(), workspace, format = outcome.Format ?? format, layer = outcome.Layer ?? source.Layer,
                reason = firstReason?.Reason, withdrawn = outcome.Replacement?.Withdrawn,
            }, clock, ct);
            var status = outcome.Status == IngestStatus.Ingested ? 200 : 400;
            var json = status == 400
                ? ProblemBody(400, outcome.Status == IngestStatus.UnknownFormat ? "format not recognised" : "document could not be parsed",
                    firstReason is null ? "document could not be parsed" : $"{firstReason.At}: {firstReason.Reason}",
                    outcome.Status == IngestStatus.UnknownFormat && format is not null ? "format" : null,
                    outcome.Status == IngestStatus.UnknownFormat ? null : firstReason?.At)
                : new Dictionary<string, object?>();
            json["format"] = outcome.Format;
            json["layer"] = outcome.Layer;
            json["accepted"] = outcome.Accepted;
            json["rejected"] = outcome.Rejected;
            json["changed"] = outcome.Changed;
            json["not_current"] = outcome.NotCurrent.Count;
            json["not_current_records"] = outcome.NotCurrent.Take(1000).Select(n => new
            {
                id = n.SourceKey,
                observed_at = n.ObservedAt,
                current_observed_at = n.CurrentObservedAt,
                reason = $"kept in history, not current: the hub holds a newer state (observed {n.CurrentObservedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})",
            });
            json["raw_document_id"] = outcome.RawDocumentId;
            // exercise/test records the source's configuration sends to a drill instead of live (ExerciseRule)
            json["routed"] = outcome.RoutedTo is null ? null : new { workspace = outcome.RoutedTo, records = outcome.Routed };
            json["rejections"] = outcome.Rejections.Take(1000).Select(r => new { at = r.At, reason = r.Reason });
            // ?replace=true: how many of the source's features the document no longer held were withdrawn, or why none was
            json["replace"] = outcome.Replacement is { } rep
                ? new { applied = rep.Applied, withdrawn = rep.Withdrawn, reason = rep.NotApplied }
                : null;
            return (status, JsonSerializer.Serialize(json), true);
        }
    }

    /// <summary>
    /// <c>Content-Encoding</c>: identity as is; gzip decompressed against the size cap and a ratio cap (a zip bomb is
    /// 413, not a full disk); any other coding 415 with the ones accepted — never stored as if it were the document.
    /// </summary>
    private static (byte[]? Body, IResult? Problem) ContentEncoding(HttpContext ctx, byte[] body, long cap, int maxRatio)
    {
        var codings = ctx.Request.Headers.ContentEncoding.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(c => !c.Equals("identity", StringComparison.OrdinalIgnoreCase)).ToList();
        if (codings.Count == 0) return (body, null);
        if (codings.Count > 1 || !(codings[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) || codings[0].Equals("x-gzip", StringComparison.OrdinalIgnoreCase)))
        {
            ctx.Response.Headers.AcceptEncoding = "gzip, identity";
            return (null, Problem(415, "unsupported content encoding", $"Content-Encoding '{string.Join(", ", codings)}' is not supported; send gzip or identity", "Content-Encoding"));
        }
        // small documents compress well beyond any sane ratio; the ratio bounds big expansions only
        var limit = Math.Min(cap, Math.Max(1024 * 1024, (long)body.Length * maxRatio));
        try
        {
            using var gz = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            var buffer = new byte[65536];
            int n;
            while ((n = gz.Read(buffer)) > 0)
            {
                if (ms.Length + n > limit)
                    return (null, Problem(413, "document too large",
                        limit == cap ? $"decompressed document larger than {cap} bytes" : $"gzip body expands more than {maxRatio}:1 (over {limit} bytes)", "Content-Encoding"));
                ms.Write(buffer, 0, n);
            }
            return (ms.ToArray(), null);
        }
        catch (InvalidDataException e)
        {
            return (null, Problem(400, "invalid gzip body", $"Content-Encoding gzip, but the body is not valid gzip: {e.Message}", "Content-Encoding"));
        }
    }

    internal static async Task AuditAsync(HubDbContext db, Caller caller, HttpContext ctx, string action, string target, object detail, TimeProvider clock, CancellationToken ct)
    {
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            OrganizationId = caller.OrganizationId,
            ApiKeyId = caller.AuditActor.ApiKeyId,
            Person = caller.AuditActor.Person,
            Action = action,
            Target = target,
            ClientAddress = ctx.Connection.RemoteIpAddress?.ToString(),
            Detail = JsonSerializer.Serialize(detail),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The body, read against a cap while it streams in (<see cref="InvalidDataException"/> past it); media uploads use it too.</summary>
    /// <summary>The body and what it was pushed to, hashed without copying the body (a national file is 100+ MB).</summary>
    private static byte[] RequestHash(byte[] body, string target)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(body);
        h.AppendData(System.Text.Encoding.UTF8.GetBytes(target));
        return h.GetHashAndReset();
    }
}
