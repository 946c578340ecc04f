using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Ingestion;

/// <summary>A create or a change of a source: the field names <c>GET /api/v1/sources</c> lists; null = not given.</summary>
/// <remarks>
/// <see cref="Credentials"/>: what the feed asks of its callers, stored encrypted and never listed; an empty object
/// removes them. <see cref="Follow"/>: the follower's settings, given fields over the stored ones ("" clears one).
/// <see cref="Companions"/>: replaces the companion files. <see cref="License"/>, <see cref="Attribution"/>,
/// <see cref="ExerciseWorkspace"/>: "" clears.
/// </remarks>
public sealed record SourceChange(string? Id = null, string? Name = null, string? Kind = null, string? Format = null, string? Layer = null,
    string? Url = null, int? ScheduleSeconds = null, int? Priority = null, string? OwnerOrg = null, bool? Internal = null, string? Workspace = null,
    int? ExpectedIntervalSeconds = null, string? License = null, string? Attribution = null, string? ExerciseWorkspace = null,
    IReadOnlyDictionary<string, string>? Companions = null, SourceFollow? Follow = null, SourceCredentials? Credentials = null,
    bool? Replaces = null);

/// <summary>Why a registry change was refused: the field (as the API names it), the reason, the HTTP status.</summary>
public sealed record RegistryError(string Field, string Detail, int Status = 422)
{
    /// <summary>
    /// Deletes a registry row, or says why not (409 with <paramref name="whyKept"/>) when rows the hub keeps still
    /// name it (a foreign key refuses: documents, history, people); nothing is left half-removed.
    /// </summary>
    public static async Task<RegistryError?> RemoveAsync<T>(HubDbContext db, T row, string whyKept, CancellationToken ct) where T : class
    {
        db.Remove(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: "23503" })
        {
            db.ChangeTracker.Clear();
            return new("id", whyKept, 409);
        }
    }
}

/// <summary>
/// The one path that creates and changes sources, shared by the API (<c>POST/PATCH/DELETE /api/v1/sources</c>) and the
/// CLI (<c>./hub sources</c>): the same checks, the same row, and a change made here is no longer overwritten by
/// configuration (<see cref="Source.ConfigManaged"/>). Schedules live in Hangfire's shared storage, so what one node
/// writes every node fires; the CLI, which has no scheduler, leaves the schedule to every node's
/// <see cref="ScheduleWatchdog"/> (a missing job is written, a disabled source's is removed, within WatchdogSeconds).
/// </summary>
public sealed class SourceRegistry(HubDbContext db, FormatRegistry formats, LayerCatalogue catalogue, TimeProvider clock,
    SourceCredentialProtector protector, IRecurringJobManager? recurring = null)
{
    private static readonly Regex IdPattern = new("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);
    private static readonly Regex TokenPattern = new("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$", RegexOptions.CultureInvariant);
    private static readonly Regex TelegramPattern = new(@"^[A-Z]{4}[0-9]{0,2}\*?$", RegexOptions.CultureInvariant);

    public async Task<(Source? Row, RegistryError? Error)> CreateAsync(SourceChange input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Id) || !IdPattern.IsMatch(input.Id))
            return (null, new("id", "id must be 1–64 characters of a-z, 0-9, '.', '_', '-'"));
        var row = new Source
        {
            Id = input.Id, Name = input.Name ?? input.Id, Kind = input.Kind ?? "pull", Format = input.Format ?? "", Layer = input.Layer ?? "",
            CreatedAt = clock.GetUtcNow(),
        };
        if (CheckGiven(input) is { } given) return (null, given);
        Apply(row, input with { Kind = row.Kind });
        if (await CheckAsync(row, ct) is { } error) return (null, error);
        if (await db.Sources.AnyAsync(s => s.Id == input.Id, ct)) return (null, new("id", $"a source '{input.Id}' exists", 409));
        db.Sources.Add(row);
        await db.SaveChangesAsync(ct);
        await RescheduleAsync(row, ct);
        return (row, null);
    }

    public async Task<(Source? Row, RegistryError? Error)> UpdateAsync(string id, SourceChange change, CancellationToken ct)
    {
        if (change.Id is { } newId && newId != id) return (null, new("id", "a source's id cannot change"));
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return (null, new("id", $"no source '{id}'", 404));
        if (CheckGiven(change) is { } given) return (null, given);
        Apply(row, change);
        if (await CheckAsync(row, ct) is { } error)
        {
            db.ChangeTracker.Clear();
            return (null, error);
        }
        row.ConfigManaged = false;
        await db.SaveChangesAsync(ct);
        await RescheduleAsync(row, ct);
        return (row, null);
    }

    public async Task<(Source? Row, RegistryError? Error)> SetEnabledAsync(string id, bool enabled, CancellationToken ct)
    {
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return (null, new("id", $"no source '{id}'", 404));
        row.Enabled = enabled;
        row.ConfigManaged = false;
        await db.SaveChangesAsync(ct);
        await RescheduleAsync(row, ct);
        return (row, null);
    }

    /// <summary>
    /// Deletes a source that holds no current features (withdraw or disable it first: what it reported stays
    /// explainable), nor any history other tables keep (then disabling is the way: 409 says so).
    /// </summary>
    public async Task<RegistryError?> DeleteAsync(string id, CancellationToken ct)
    {
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return new("id", $"no source '{id}'", 404);
        var current = await db.Database.SqlQueryRaw<long>(SqlFiles.Get("source_current_count"), id).SingleAsync(ct);
        if (current > 0) return new("id", $"source '{id}' still has {current} current features: disable it instead (POST /api/v1/sources/{id}/disable), or withdraw them first (POST /api/v1/sources/{id}/withdraw)", 409);
        if (await RegistryError.RemoveAsync(db, row, $"source '{id}' has documents or history the hub keeps: disable it instead", ct) is { } kept) return kept;
        if (recurring is null) await NotifyAsync(id, ct);
        else recurring.RemoveIfExists(ScheduleSetup.JobId(id));
        return null;
    }

    private void Apply(Source row, SourceChange c)
    {
        if (c.Name is not null) row.Name = c.Name;
        if (c.Kind is not null) row.Kind = c.Kind;
        if (c.Format is not null) row.Format = c.Format;
        if (c.Layer is not null) row.Layer = c.Layer;
        if (c.Url is not null) row.Url = c.Url;
        if (c.ScheduleSeconds is not null) row.ScheduleSeconds = c.ScheduleSeconds;
        if (c.Priority is not null) row.Priority = c.Priority.Value;
        if (c.Replaces is not null) row.Replaces = c.Replaces.Value;
        if (c.OwnerOrg is not null) row.OwnerOrgId = c.OwnerOrg.Length == 0 ? null : c.OwnerOrg;
        if (c.Internal is not null) row.Internal = c.Internal.Value; // true lets the feed client reach private addresses
        if (c.Workspace is not null) row.Workspace = c.Workspace;
        if (c.ExpectedIntervalSeconds is not null) row.ExpectedIntervalSeconds = c.ExpectedIntervalSeconds.Value;
        if (c.License is not null) row.License = c.License.Length == 0 ? null : c.License;
        if (c.Attribution is not null) row.Attribution = c.Attribution.Length == 0 ? null : c.Attribution;
        if (c.ExerciseWorkspace is not null) row.ExerciseWorkspace = c.ExerciseWorkspace.Length == 0 ? null : c.ExerciseWorkspace;
        if (c.Companions is not null) row.Companions = System.Text.Json.JsonSerializer.Serialize(c.Companions);
        if (c.Follow is not null) row.Follow = SourceFollow.Of(row).Over(c.Follow).ToJson();
        // encrypted at rest with the hub's Data Protection key ring; an empty object removes them
        if (c.Credentials is not null) row.Credentials = c.Credentials.IsEmpty ? null : protector.Protect(c.Credentials);
    }

    /// <summary>What only the change carries (the credentials' shape, the companions' and follower's URLs), field by field.</summary>
    private static RegistryError? CheckGiven(SourceChange c)
    {
        if (c.Credentials is { IsEmpty: false } k)
        {
            var kinds = (k.Header is not null ? 1 : 0) + (k.Query is not null ? 1 : 0) + (k.Username is not null ? 1 : 0);
            if (kinds > 1) return new("credentials", "credentials take one of header, query or username");
            if (k.Header is { } h && !TokenPattern.IsMatch(h)) return new("credentials/header", "header must be an HTTP header name");
            if (k.Query is { } q && (q.Length is 0 or > 64 || q.Any(char.IsWhiteSpace))) return new("credentials/query", "query must be a parameter name");
            if (k.Username is { } u && (u.Length is 0 or > 256 || u.Contains(':'))) return new("credentials/username", "username must be 1–256 characters without ':'");
            if ((k.Header ?? k.Query) is not null && string.IsNullOrEmpty(k.Value)) return new("credentials/value", "a header or query credential needs its value");
            if (k.Value is { } v && (v.Length > 4096 || v.Any(char.IsControl))) return new("credentials/value", "value must be at most 4096 characters without control characters");
        }
        foreach (var (name, url) in c.Companions ?? new Dictionary<string, string>())
        {
            if (!TokenPattern.IsMatch(name)) return new("companions", $"companion name '{name}' must be 1–64 characters of a-z, 0-9, '.', '_', '-'");
            if (!IsHttpUrl(url)) return new($"companions/{name}", "a companion needs an absolute http(s) url");
        }
        if (c.Follow is { } f)
        {
            if (f.PointerUrl is { Length: > 0 } p && !IsHttpUrl(p)) return new("follow/pointer_url", "pointer_url must be an absolute http(s) url");
            if (f.BackfillUrl is { Length: > 0 } b && !IsHttpUrl(b)) return new("follow/backfill_url", "backfill_url must be an absolute http(s) url");
            if (f.PointerStepSeconds is < 0 or > 86400) return new("follow/pointer_step_seconds", "pointer_step_seconds must be between 1 and 86400 (0 clears it)");
            if (f.Telegrams?.FirstOrDefault(t => !TelegramPattern.IsMatch(t)) is { } bad)
                return new("follow/telegrams", $"'{bad}' is not a JMA telegram type (e.g. VPWW54, or a prefix VXSE5*)");
        }
        if (c.ExpectedIntervalSeconds is < 5 or > 30 * 86400) return new("expected_interval_seconds", "expected_interval_seconds must be between 5 and 2592000");
        return null;
    }

    private static bool IsHttpUrl(string? s) => Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https";

    /// <summary>The row as it would be stored, checked field by field.</summary>
    private async Task<RegistryError?> CheckAsync(Source row, CancellationToken ct)
    {
        if (row.Kind is not ("pull" or "push")) return new("kind", "kind must be 'pull' or 'push'");
        // a JMA Atom feed is not a document format but a follower's: each telegram it lists is parsed by its own format
        var followed = row.Format == JmaAtomFollower.Format && row.Kind == "pull";
        if (string.IsNullOrWhiteSpace(row.Format) || (formats.Find(row.Format) is null && !followed)) return new("format", $"unknown format '{row.Format}'");
        if (string.IsNullOrWhiteSpace(row.Layer) || !catalogue.IsKnown(row.Layer)) return new("layer", $"unknown layer '{row.Layer}'");
        if (row.Kind == "pull" && !IsHttpUrl(row.Url)) return new("url", "a pull source needs an absolute http(s) url");
        if (row.Kind == "push" && row.Credentials is not null) return new("credentials", "a push source has no feed to sign in to: credentials are for pull sources");
        if (SourceFollow.Of(row) is { PointerField.Length: > 0, PointerUrl: null }) return new("follow/pointer_field", "pointer_field needs pointer_url");
        if (row.ScheduleSeconds is { } every && every is < 5 or > 86400) return new("schedule_seconds", "schedule_seconds must be between 5 and 86400");
        if (row.Priority is < 0 or > 10000) return new("priority", "priority must be between 0 and 10000");
        if (row.OwnerOrgId is { } org && !await db.Organizations.AnyAsync(o => o.Id == org, ct)) return new("owner_org", $"no organization '{org}'");
        if (row.Workspace != "live" && !await WorkspaceExistsAsync(row.Workspace, ct)) return new("workspace", $"no workspace '{row.Workspace}'");
        if (row.ExerciseWorkspace is { } drill && (drill == "live" || !await WorkspaceExistsAsync(drill, ct)))
            return new("exercise_workspace", $"no drill workspace '{drill}'");
        return null;
    }

    private Task NotifyAsync(string id, CancellationToken ct) => db.Database.ExecuteSqlRawAsync(SqlFiles.Get("registry_changed"), [id], ct);

    private async Task<bool> WorkspaceExistsAsync(string name, CancellationToken ct) =>
        await db.Database.SqlQueryRaw<long>(SqlFiles.Get("workspace_exists"), name).SingleAsync(ct) > 0;

    /// <summary>
    /// An enabled pull source is scheduled (a changed interval rewritten); anything else is not. Without a scheduler
    /// (the CLI) every node is told instead, and its <see cref="ScheduleWatchdog"/> does it at once.
    /// </summary>
    private async Task RescheduleAsync(Source row, CancellationToken ct)
    {
        if (recurring is null)
        {
            await NotifyAsync(row.Id, ct);
            return;
        }
        if (row.Kind == "pull" && row.Enabled && row.Url is not null) ScheduleSetup.Schedule(recurring, row);
        else recurring.RemoveIfExists(ScheduleSetup.JobId(row.Id));
    }
}
