using System.Text;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Cap;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Data;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// CAP for consumers that speak it: <c>GET /api/v1/cap/atom</c> (an Atom feed of the evacuation orders and warnings in
/// force, what the caller may read) and <c>GET /api/v1/cap/{id}.xml</c> (one CAP 1.2 alert). Links come from the public
/// base URL.
/// </summary>
public static class CapFeedEndpoints
{
    private static readonly string[] AlertLayers = [Layers.EvacuationOrders, Layers.Warnings];

    public static IEndpointRouteBuilder MapCapFeed(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/cap").WithTags("CAP").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("/atom", async (HttpContext ctx, HubDbContext db, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(DataServices.Read)] NpgsqlDataSource ds, TimeProvider clock, CancellationToken ct) =>
        {
            var rows = await RowsAsync(ctx, db, ds, clock, null, ct);
            var baseUrl = ctx.PublicBase();
            var workspace = ReadAccess.Workspace(ctx);
            var suffix = workspace == "live" ? "" : $"?workspace={Uri.EscapeDataString(workspace)}";
            var feed = CapWriter.Feed(rows, $"{baseUrl}/api/v1/cap/atom{suffix}", r => $"{baseUrl}/api/v1/cap/{r.Id}.xml{suffix}", clock.GetUtcNow());
            return Results.Text(feed.Declaration + "\n" + feed.Root, "application/atom+xml", Encoding.UTF8);
        });
        g.MapGet("/{id:guid}.xml", async (Guid id, HttpContext ctx, HubDbContext db, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(DataServices.Read)] NpgsqlDataSource ds, TimeProvider clock, CancellationToken ct) =>
        {
            var rows = await RowsAsync(ctx, db, ds, clock, id, ct);
            if (rows.Count == 0) return Results.Problem(statusCode: 404, detail: "no evacuation order or warning in force with that id");
            var alert = CapWriter.Alert(rows[0], new Uri(ctx.PublicBase()).Host);
            return Results.Text(alert.Declaration + "\n" + alert.Root, "application/cap+xml", Encoding.UTF8);
        });
        return app;
    }

    private static async Task<List<CapAlertRow>> RowsAsync(HttpContext ctx, HubDbContext db, NpgsqlDataSource ds, TimeProvider clock, Guid? id, CancellationToken ct)
    {
        var levels = await ReadAccess.LevelsAsync(ctx, db, ct);
        var scope = new ReadScope(RowSet.Merged, AlertLayers, ReadAccess.Workspace(ctx), levels, clock.GetUtcNow());
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var c = new NpgsqlCommand(SqlFiles.Get("cap_alerts").Replace("{rows}", scope.RowsSql(), StringComparison.Ordinal), conn);
        scope.Bind(c);
        c.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = (object?)id ?? DBNull.Value });
        var list = new List<CapAlertRow>();
        await using var r = await c.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new CapAlertRow(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetInt16(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
                r.IsDBNull(10) ? [] : r.GetFieldValue<string[]>(10), r.GetFieldValue<byte[]>(11)));
        return list;
    }
}
