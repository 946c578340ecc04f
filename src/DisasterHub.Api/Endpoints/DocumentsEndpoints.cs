using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using DisasterHub.Api.Auth;
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
/// </summary>
public static class DocumentsEndpoints
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> IdempotencyLocks = new();

    /// <summary>
    /// Backpressure: at most this many documents ingest at once; a push that cannot get a slot within a short wait is
    /// told 503 + Retry-After instead of queueing without bound (memory stays bounded, nothing hangs).
    /// </summary>
    private static readonly SemaphoreSlim IngestSlots = new(Math.Max(2, Environment.ProcessorCount * 2));

    public static IEndpointRouteBuilder MapDocuments(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/sources/{id}/documents", Push).WithTags("Push").DisableAntiforgery().RequireRateLimiting(RateLimits.Push);
        return app;
    }

    private static IResult Error(int status, string message, string? field = null) =>
        Results.Json(new { error = message, field }, statusCode: status);

    private static async Task<IResult> Push(string id, HttpContext ctx, HubDbContext db, IngestPipeline pipeline, NpgsqlDataSource dataSource,
        IOptions<HubOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var caller = await ApiKeys.AuthenticateAsync(db, ctx.Request.Headers.Authorization, ct);
        if (caller is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Error(401, "a valid API key is required (Authorization: Bearer ...)", "Authorization");
        }
        var source = await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct);
        if (source is null) return Error(404, $"no source '{id}'");
        var mayWrite = caller.Scopes.Contains("admin")
            || (caller.Scopes.Contains($"push:{source.Layer}") && source.Kind == "push" && source.OwnerOrgId == caller.OrganizationId);
        if (!mayWrite) return Error(403, $"this key may not push to source '{id}'");

        var cap = options.Value.MaxPushBytes;
        if (ctx.Request.ContentLength > cap) return Error(413, $"document larger than {cap} bytes");
        var sizeFeature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = cap + 1;
        byte[] body;
        try
        {
            body = await ReadCappedAsync(ctx.Request.Body, cap, ct);
        }
        catch (InvalidDataException)
        {
            return Error(413, $"document larger than {cap} bytes");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            return Error(413, $"document larger than {cap} bytes");
        }

        var format = ctx.Request.Query["format"].ToString() is { Length: > 0 } f ? f : null;
        var workspace = ReadAccess.Workspace(ctx);
        if (workspace != "live" && await DrillStore.KindAsync(dataSource, workspace, ct) is null)
            return Error(400, $"no workspace '{workspace}' (create a drill with ./hub drill create)", "workspace");
        var idemKey = ctx.Request.Headers["Idempotency-Key"].ToString();
        if (idemKey.Length > 200) return Error(400, "Idempotency-Key longer than 200 characters", "Idempotency-Key");
        if (idemKey.Length == 0) return await IngestAndAnswer();

        var requestHash = SHA256.HashData([.. body, .. System.Text.Encoding.UTF8.GetBytes($"\n{id}\n{format}\n{workspace}")]);
        var gate = IdempotencyLocks.GetOrAdd($"{caller.KeyId}\n{idemKey}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using (var c = new NpgsqlCommand("SELECT request_sha256, status_code, response_body FROM idempotency WHERE api_key_id = @k AND key = @i", conn))
            {
                c.Parameters.AddWithValue("k", caller.KeyId);
                c.Parameters.AddWithValue("i", idemKey);
                await using var r = await c.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                {
                    if (!r.GetFieldValue<byte[]>(0).AsSpan().SequenceEqual(requestHash))
                        return Error(422, "Idempotency-Key was already used with a different document", "Idempotency-Key");
                    ctx.Response.Headers["Idempotent-Replayed"] = "true";
                    return Results.Text(r.GetString(2), "application/json", statusCode: r.GetInt32(1));
                }
            }
            var (status, json) = await IngestCore();
            await using (var c = new NpgsqlCommand("""
                INSERT INTO idempotency (api_key_id, key, request_sha256, status_code, response_body, created_at)
                VALUES (@k, @i, @h, @s, @b, @t) ON CONFLICT DO NOTHING
                """, conn))
            {
                c.Parameters.AddWithValue("k", caller.KeyId);
                c.Parameters.AddWithValue("i", idemKey);
                c.Parameters.AddWithValue("h", requestHash);
                c.Parameters.AddWithValue("s", status);
                c.Parameters.AddWithValue("b", json);
                c.Parameters.AddWithValue("t", clock.GetUtcNow().UtcDateTime);
                await c.ExecuteNonQueryAsync(ct);
            }
            return Results.Text(json, "application/json", statusCode: status);
        }
        finally
        {
            gate.Release();
        }

        async Task<IResult> IngestAndAnswer()
        {
            var (status, json) = await IngestCore();
            return Results.Text(json, "application/json", statusCode: status);
        }

        async Task<(int Status, string Json)> IngestCore()
        {
            if (!await IngestSlots.WaitAsync(TimeSpan.FromSeconds(2), ct))
                throw new HubBusyException();
            try
            {
                return await IngestLocked();
            }
            finally
            {
                IngestSlots.Release();
            }
        }

        async Task<(int Status, string Json)> IngestLocked()
        {
            // Admin keys act for the hub; every other key is held to its organization's jurisdiction, per feature.
            var jurisdiction = caller.Scopes.Contains("admin") ? null : await OrganizationStore.JurisdictionAsync(dataSource, caller.OrganizationId, ct);
            var outcome = await pipeline.IngestAsync(new IngestRequest(source, body, ctx.Request.ContentType, format, null, ApiKeyId: caller.KeyId, Workspace: workspace, Jurisdiction: jurisdiction), ct);
            await AuditAsync(db, caller, ctx, "push", source.Id, new { outcome.RawDocumentId, outcome.Accepted, outcome.Rejected, status = outcome.Status.ToString(), workspace }, clock, ct);
            var status = outcome.Status == IngestStatus.Ingested ? 200 : 400;
            var json = JsonSerializer.Serialize(new
            {
                error = status == 400 ? (outcome.Status == IngestStatus.UnknownFormat ? "format not recognised" : "document could not be parsed") : null,
                format = outcome.Format,
                accepted = outcome.Accepted,
                rejected = outcome.Rejected,
                changed = outcome.Changed,
                raw_document_id = outcome.RawDocumentId,
                // exercise/test records the source's configuration sends to a drill instead of live (ExerciseRule)
                routed = outcome.RoutedTo is null ? null : new { workspace = outcome.RoutedTo, records = outcome.Routed },
                rejections = outcome.Rejections.Take(1000).Select(r => new { at = r.At, reason = r.Reason }),
            });
            return (status, json);
        }
    }

    internal static async Task AuditAsync(HubDbContext db, Caller caller, HttpContext ctx, string action, string target, object detail, TimeProvider clock, CancellationToken ct)
    {
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            OrganizationId = caller.OrganizationId,
            ApiKeyId = caller.KeyId,
            Action = action,
            Target = target,
            ClientAddress = ctx.Connection.RemoteIpAddress?.ToString(),
            Detail = JsonSerializer.Serialize(detail),
        });
        await db.SaveChangesAsync(ct);
    }

    private static async Task<byte[]> ReadCappedAsync(Stream s, long cap, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await s.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > cap) throw new InvalidDataException("body over cap");
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }
}
