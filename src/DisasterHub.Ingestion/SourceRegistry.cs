using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Data;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Ingestion;

/// <summary>A create or a change of a source: the field names <c>GET /api/v1/sources</c> lists; null = not given.</summary>
public sealed record SourceChange(string? Id = null, string? Name = null, string? Kind = null, string? Format = null, string? Layer = null,
    string? Url = null, int? ScheduleSeconds = null, int? Priority = null, string? OwnerOrg = null, bool? Internal = null, string? Workspace = null);

/// <summary>Why a registry change was refused: the field (as the API names it), the reason, the HTTP status.</summary>
public sealed record RegistryError(string Field, string Detail, int Status = 422);

/// <summary>
/// The one path that creates and changes sources, shared by the API (<c>POST/PATCH/DELETE /api/v1/sources</c>) and the
/// CLI (<c>./hub sources</c>): the same checks, the same row, and a change made here is no longer overwritten by
/// configuration (<see cref="Source.ConfigManaged"/>). Schedules live in Hangfire's shared storage, so what one node
/// writes every node fires; the CLI, which has no scheduler, leaves the schedule to every node's
/// <see cref="ScheduleWatchdog"/> (a missing job is written, a disabled source's is removed, within WatchdogSeconds).
/// </summary>
public sealed class SourceRegistry(HubDbContext db, FormatRegistry formats, LayerCatalogue catalogue, TimeProvider clock, IRecurringJobManager? recurring = null)
{
    private static readonly Regex IdPattern = new("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    public async Task<(Source? Row, RegistryError? Error)> CreateAsync(SourceChange input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(input.Id) || !IdPattern.IsMatch(input.Id))
            return (null, new("id", "id must be 1–64 characters of a-z, 0-9, '.', '_', '-'"));
        var row = new Source
        {
            Id = input.Id, Name = input.Name ?? input.Id, Kind = input.Kind ?? "pull", Format = input.Format ?? "", Layer = input.Layer ?? "",
            CreatedAt = clock.GetUtcNow(),
        };
        Apply(row, input with { Kind = row.Kind });
        if (await CheckAsync(row, ct) is { } error) return (null, error);
        if (await db.Sources.AnyAsync(s => s.Id == input.Id, ct)) return (null, new("id", $"a source '{input.Id}' exists", 409));
        db.Sources.Add(row);
        await db.SaveChangesAsync(ct);
        Reschedule(row);
        return (row, null);
    }

    public async Task<(Source? Row, RegistryError? Error)> UpdateAsync(string id, SourceChange change, CancellationToken ct)
    {
        if (change.Id is { } newId && newId != id) return (null, new("id", "a source's id cannot change"));
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return (null, new("id", $"no source '{id}'", 404));
        Apply(row, change);
        if (await CheckAsync(row, ct) is { } error)
        {
            db.ChangeTracker.Clear();
            return (null, error);
        }
        row.ConfigManaged = false;
        await db.SaveChangesAsync(ct);
        Reschedule(row);
        return (row, null);
    }

    public async Task<(Source? Row, RegistryError? Error)> SetEnabledAsync(string id, bool enabled, CancellationToken ct)
    {
        var row = await db.Sources.SingleOrDefaultAsync(s => s.Id == id, ct);
        if (row is null) return (null, new("id", $"no source '{id}'", 404));
        row.Enabled = enabled;
        row.ConfigManaged = false;
        await db.SaveChangesAsync(ct);
        Reschedule(row);
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
        var current = await db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM feature WHERE source_id = {id}").SingleAsync(ct);
        if (current > 0) return new("id", $"source '{id}' still has {current} current features: disable it instead, or withdraw them first", 409);
        db.Sources.Remove(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: "23503" })
        {
            db.ChangeTracker.Clear();
            return new("id", $"source '{id}' has documents or history the hub keeps: disable it instead", 409);
        }
        recurring?.RemoveIfExists(ScheduleSetup.JobId(id));
        return null;
    }

    private static void Apply(Source row, SourceChange c)
    {
        if (c.Name is not null) row.Name = c.Name;
        if (c.Kind is not null) row.Kind = c.Kind;
        if (c.Format is not null) row.Format = c.Format;
        if (c.Layer is not null) row.Layer = c.Layer;
        if (c.Url is not null) row.Url = c.Url;
        if (c.ScheduleSeconds is not null) row.ScheduleSeconds = c.ScheduleSeconds;
        if (c.Priority is not null) row.Priority = c.Priority.Value;
        if (c.OwnerOrg is not null) row.OwnerOrgId = c.OwnerOrg.Length == 0 ? null : c.OwnerOrg;
        if (c.Internal is not null) row.Internal = c.Internal.Value; // true lets the feed client reach private addresses
        if (c.Workspace is not null) row.Workspace = c.Workspace;
    }

    /// <summary>The row as it would be stored, checked field by field.</summary>
    private async Task<RegistryError?> CheckAsync(Source row, CancellationToken ct)
    {
        if (row.Kind is not ("pull" or "push")) return new("kind", "kind must be 'pull' or 'push'");
        if (string.IsNullOrWhiteSpace(row.Format) || formats.Find(row.Format) is null) return new("format", $"unknown format '{row.Format}'");
        if (string.IsNullOrWhiteSpace(row.Layer) || !catalogue.IsKnown(row.Layer)) return new("layer", $"unknown layer '{row.Layer}'");
        if (row.Kind == "pull" && (!Uri.TryCreate(row.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            return new("url", "a pull source needs an absolute http(s) url");
        if (row.ScheduleSeconds is { } every && every is < 5 or > 86400) return new("schedule_seconds", "schedule_seconds must be between 5 and 86400");
        if (row.Priority is < 0 or > 10000) return new("priority", "priority must be between 0 and 10000");
        if (row.OwnerOrgId is { } org && !await db.Organizations.AnyAsync(o => o.Id == org, ct)) return new("owner_org", $"no organization '{org}'");
        if (row.Workspace != "live" && !await db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM workspace WHERE name = {row.Workspace}").AnyAsync(n => n > 0, ct))
            return new("workspace", $"no workspace '{row.Workspace}'");
        return null;
    }

    /// <summary>An enabled pull source is scheduled (a changed interval rewritten); anything else is not.</summary>
    private void Reschedule(Source row)
    {
        if (recurring is null) return;
        if (row.Kind == "pull" && row.Enabled && row.Url is not null) ScheduleSetup.Schedule(recurring, row);
        else recurring.RemoveIfExists(ScheduleSetup.JobId(row.Id));
    }
}
