using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.Extensions.Options;

namespace DisasterHub.Api.Push;

/// <summary>
/// Audit of refused pushes (401, 403, 404, a format of another layer): who tried what, from where — without letting a
/// flood of refused requests flood the audit table. In a fixed window (<c>Hub:Retention:DeniedAuditWindowSeconds</c>)
/// one entry is written per client address, presented key, source and reason, the repeats are counted into the next
/// entry of that kind, and at most <c>DeniedAuditMaxPerWindow</c> entries are written on this node per window.
/// </summary>
public sealed class DeniedPushAudit(IOptions<HubOptions> options, TimeProvider clock)
{
    private readonly RetentionOptions _o = options.Value.Retention;
    private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _written;
    private long _dropped;

    /// <summary>Whether to write an entry for this partition now, and how many were suppressed before it.</summary>
    public bool ShouldWrite(string partition, out long suppressed)
    {
        var now = clock.GetUtcNow();
        lock (_sync)
        {
            if (now - _windowStart >= TimeSpan.FromSeconds(Math.Max(1, _o.DeniedAuditWindowSeconds)))
            {
                _windowStart = now;
                _seen.Clear();
                _written = 0;
            }
            if (_seen.TryGetValue(partition, out var repeats))
            {
                _seen[partition] = repeats + 1;
                _dropped++;
                suppressed = 0;
                return false;
            }
            if (_written >= _o.DeniedAuditMaxPerWindow)
            {
                _dropped++;
                suppressed = 0;
                return false;
            }
            _seen[partition] = 0;
            _written++;
            suppressed = _dropped;
            _dropped = 0;
            return true;
        }
    }

    /// <summary>As below, for a known caller: a key by its id, a signed-in person by email.</summary>
    public Task RecordAsync(HubDbContext db, HttpContext ctx, DisasterHub.Api.Auth.Caller caller, string target, int status, string reason,
        object? extra, CancellationToken ct) =>
        RecordAsync(db, ctx, caller.OrganizationId, caller.AuditActor.ApiKeyId, target, status, reason, extra, ct, caller.AuditActor.Person);

    /// <summary>Writes the entry when the window allows it.</summary>
    public async Task RecordAsync(HubDbContext db, HttpContext ctx, string? organizationId, string? keyId, string target, int status, string reason,
        object? extra, CancellationToken ct, string? person = null)
    {
        var address = ctx.Connection.RemoteIpAddress?.ToString();
        if (!ShouldWrite($"{address}\n{keyId ?? person}\n{target}\n{status}\n{reason}", out var suppressed)) return;
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            OrganizationId = organizationId,
            ApiKeyId = keyId,
            Person = person,
            Action = "push_denied",
            Target = target,
            ClientAddress = address,
            Detail = System.Text.Json.JsonSerializer.Serialize(new { status, reason, detail = extra, suppressed_before = suppressed }),
        });
        await db.SaveChangesAsync(ct);
    }
}
