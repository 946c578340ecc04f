using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Restoration estimates as history (issue 12 item 5): <c>GET /api/v1/lifelines/{layer}/{entity}/estimates</c> lists each
/// revision of a lifeline entity's restoration estimate (power, water, gas, telecom: catalogue layers marked
/// <c>lifeline</c>) with the source and organization that posted it and when, and flags the estimate that has passed
/// without restoration (<c>overdue</c>) or slipped more than <c>Hub:Lifelines:SlipMarginMinutes</c> (default 120) past
/// the first one (<c>slipped</c>). Same sharing rules as every read.
/// </summary>
public static class LifelinesEndpoints
{
    private static readonly string[] Restored = ["復旧", "解除"];

    public static IEndpointRouteBuilder MapLifelines(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/lifelines/{layer}/{entity}/estimates", Estimates).WithTags("Lifelines").RequireRateLimiting(RateLimits.Read).RequireAuthorization(HubPolicies.PublicRead);
        return app;
    }

    private sealed record Revision(string SourceId, string SourceName, string? Organization, string? ApiKeyId, DateTimeOffset ObservedAt,
        DateTimeOffset ReceivedAt, string? Status, string EtaText, DateTimeOffset? Eta);

    private static async Task<IResult> Estimates(string layer, string entity, HttpContext ctx, HubDbContext db, LayerCatalogue catalogue,
        NpgsqlDataSource data, IConfiguration config, TimeProvider clock, CancellationToken ct)
    {
        if (catalogue.Find(layer) is not { Lifeline: true })
            return Results.Problem(statusCode: 404, detail: $"'{layer}' is not a lifeline layer (lifeline layers: {string.Join(", ", catalogue.Layers.Where(l => l.Lifeline).Select(l => l.Id))})",
                extensions: new Dictionary<string, object?> { ["parameter"] = "layer" });
        var clearance = await ReadAccess.LevelsAsync(ctx, db, ct);
        var rows = new List<Revision>();
        await using (var c = data.CreateCommand(SqlFiles.Get("lifeline_estimates")))
        {
            c.Parameters.AddWithValue("workspace", ReadAccess.Workspace(ctx));
            c.Parameters.AddWithValue("layer", layer);
            c.Parameters.AddWithValue("entity", entity);
            c.Parameters.AddWithValue("levels", clearance.Levels);
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                rows.Add(new Revision(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7),
                    r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8)));
        }
        if (rows.Count == 0) return Results.Problem(statusCode: 404, detail: $"no restoration estimates for {layer} entity '{entity}'", extensions: new Dictionary<string, object?> { ["parameter"] = "entity" });

        // a revision is a change of the estimate (per source): repeats of the same estimate are the same revision
        var lastBySource = new Dictionary<string, string>(StringComparer.Ordinal);
        var revisions = new List<Revision>();
        foreach (var row in rows)
        {
            if (lastBySource.TryGetValue(row.SourceId, out var previous) && previous == row.EtaText) continue;
            revisions.Add(row);
            lastBySource[row.SourceId] = row.EtaText;
        }
        var first = revisions.FirstOrDefault(x => x.Eta is not null)?.Eta;
        var latest = rows[^1];
        var margin = TimeSpan.FromMinutes(config.GetValue("Hub:Lifelines:SlipMarginMinutes", 120));
        var now = clock.GetUtcNow();
        var restored = latest.Status is { } s && Restored.Contains(s);
        var overdue = !restored && latest.Eta is { } eta && eta < now;
        var slip = first is { } f && latest.Eta is { } l ? l - f : (TimeSpan?)null;
        return Results.Json(new
        {
            layer,
            entity,
            current = new { restoration_eta = latest.Eta, status = latest.Status, observed_at = latest.ObservedAt, source = latest.SourceId },
            overdue,
            slipped = slip > margin,
            slip_minutes = slip is { } d ? (long?)Math.Round(d.TotalMinutes) : null,
            slip_margin_minutes = (long)margin.TotalMinutes,
            revisions = revisions.Select(x => new
            {
                restoration_eta = x.Eta,
                restoration_eta_text = x.Eta is null ? x.EtaText : null,
                status = x.Status,
                observed_at = x.ObservedAt,
                received_at = x.ReceivedAt,
                source = x.SourceId,
                source_name = x.SourceName,
                organization = x.Organization,
                api_key_id = x.ApiKeyId,
            }),
        });
    }
}
