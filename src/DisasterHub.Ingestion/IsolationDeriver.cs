using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Derived isolation candidates (issue 12): places people are (open shelters) that an active road closure, a telecom
/// outage and a power outage cut off together (<c>Sql/derived_isolation.sql</c>) become records of the
/// <c>isolated_communities</c> layer from the hub's own source <see cref="SourceId"/> — status 孤立のおそれ,
/// <c>attrs.derived = true</c> and <c>attrs.derived_from</c> naming the closures and outages, never a report. A
/// candidate that no longer holds is written again as 解消 (resolved). Written through the normal pipeline (history,
/// merge, events, sharing rules); one node at a time (advisory lock); every <c>Hub:Derived:IsolationSeconds</c> (60;
/// 0 turns it off).
/// </summary>
public sealed class IsolationDeriver(NpgsqlDataSource db, IServiceScopeFactory scopes, TimeProvider clock, IConfiguration config,
    ILogger<IsolationDeriver> log) : BackgroundService
{
    public const string SourceId = "hub-derived-isolation";
    private const long LockKey = 0x4855_4249_534F_4C00; // "HUBISOL"

    /// <summary>One pass over a workspace: the candidates now, and how many earlier ones were resolved.</summary>
    public async Task<(int Candidates, int Resolved)> RunOnceAsync(string workspace, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var l = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k)", conn))
        {
            l.Parameters.AddWithValue("k", LockKey);
            if (!(bool)(await l.ExecuteScalarAsync(ct))!) return (0, 0); // another node is at it
        }
        try
        {
            var now = clock.GetUtcNow();
            var features = new JsonArray();
            var current = new HashSet<string>(StringComparer.Ordinal);
            await using (var c = new NpgsqlCommand(SqlFiles.Get("derived_isolation"), conn))
            {
                c.Parameters.AddWithValue("workspace", workspace);
                c.Parameters.AddWithValue("now", now.UtcDateTime);
                c.Parameters.AddWithValue("closure_metres", config.GetValue("Hub:Derived:ClosureMetres", 1500.0));
                await using var r = await c.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    var key = "derived:" + r.GetString(0);
                    current.Add(key);
                    features.Add(Feature(key, r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetDouble(3), r.GetDouble(4), now,
                        "孤立のおそれ", 2, [.. r.GetFieldValue<string[]>(5).Select(k => "road_closures:" + k), .. r.GetFieldValue<string[]>(6).Select(k => "telecom_outages:" + k),
                            .. r.GetFieldValue<string[]>(7).Select(k => "power_outages:" + k)]));
                }
            }
            // earlier candidates that no longer hold: resolved (the record stays, in history and on the map as 解消)
            var resolved = 0;
            await using (var c = new NpgsqlCommand("""
                SELECT f.source_key, f.name, f.municipality_code, ST_X(ST_PointOnSurface(f.geom)), ST_Y(ST_PointOnSurface(f.geom))
                FROM feature f WHERE f.workspace = @workspace AND f.source_id = @source AND f.status IS DISTINCT FROM '解消'
                """, conn))
            {
                c.Parameters.AddWithValue("workspace", workspace);
                c.Parameters.AddWithValue("source", SourceId);
                await using var r = await c.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    if (current.Contains(r.GetString(0))) continue;
                    features.Add(Feature(r.GetString(0), null, r.IsDBNull(2) ? null : r.GetString(2), r.GetDouble(3), r.GetDouble(4), now, "解消", 0, [],
                        name: r.IsDBNull(1) ? null : r.GetString(1)));
                    resolved++;
                }
            }
            if (features.Count == 0) return (0, 0);

            using var scope = scopes.CreateScope();
            var hubDb = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var source = await EnsureSourceAsync(hubDb, ct);
            var document = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = "FeatureCollection", ["features"] = features });
            var outcome = await scope.ServiceProvider.GetRequiredService<IngestPipeline>().IngestAsync(
                new IngestRequest(source, document, "application/geo+json", "isolated_communities.geojson", null, Workspace: workspace), ct);
            if (outcome.Rejected > 0) log.LogWarning("Derived isolation: {Count} candidates rejected, first: {Reason}", outcome.Rejected, outcome.Rejections.FirstOrDefault()?.Reason);
            return (current.Count, resolved);
        }
        finally
        {
            await using var u = new NpgsqlCommand("SELECT pg_advisory_unlock(@k)", conn);
            u.Parameters.AddWithValue("k", LockKey);
            await u.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private static JsonObject Feature(string key, string? placeName, string? code, double lon, double lat, DateTimeOffset now, string status, int severity,
        string[] derivedFrom, string? name = null)
    {
        var properties = new JsonObject
        {
            ["name"] = name ?? $"{placeName ?? "?"} 周辺 (推定)",
            ["status"] = status,
            ["severity"] = severity,
            ["observed_at"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["cause"] = "複合",
            ["derived"] = true,
            ["derived_from"] = new JsonArray([.. derivedFrom.Select(d => (JsonNode?)d)]),
        };
        // absent, not null: the layer's schema types these as strings
        if (code is not null) properties["municipality_code"] = code;
        if (placeName is not null) properties["community"] = placeName;
        return new JsonObject
        {
            ["type"] = "Feature",
            ["id"] = key,
            ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(lon, lat) },
            ["properties"] = properties,
        };
    }

    /// <summary>The hub's own source of derived candidates (created on first use: no configuration names it).</summary>
    private static async Task<Source> EnsureSourceAsync(HubDbContext db, CancellationToken ct)
    {
        if (await db.Sources.AsNoTracking().SingleOrDefaultAsync(s => s.Id == SourceId, ct) is { } s) return s;
        db.Sources.Add(new Source
        {
            Id = SourceId, Name = "DisasterHub: derived isolation candidates (closures × telecom × power outages)", Kind = "push", // the hub pushes them to itself
            Format = "isolated_communities.geojson", Layer = "isolated_communities", Priority = 200, ExpectedIntervalSeconds = 3600,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // created by another node meanwhile
        }
        db.ChangeTracker.Clear();
        return await db.Sources.AsNoTracking().SingleAsync(x => x.Id == SourceId, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromSeconds(config.GetValue("Hub:Derived:IsolationSeconds", 60));
        if (every <= TimeSpan.Zero) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, clock, stoppingToken);
                await RunOnceAsync("live", stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return; // stopping (also when the host stops before it has started, e.g. a port taken)
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException or DbUpdateException)
            {
                log.LogWarning("Derived isolation pass failed ({Message}); the next pass tries again", e.Message);
            }
        }
    }
}
