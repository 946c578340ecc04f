using DisasterHub.Api.Http;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Auth;

/// <summary>
/// Who may open a drill: every request naming <c>?workspace=</c> — reads, tiles, events, exports, pushes — passes here
/// once, after authentication. A members-only drill (<c>workspace_member</c> rows) answers 404, as if it did not exist,
/// to callers outside its organizations; admins and open drills pass.
/// </summary>
/// <remarks>
/// One gate for every path instead of a check per endpoint (as <see cref="QueryGuard"/> does for malformed
/// parameters), so an endpoint added later cannot forget it. 404 rather than 403: a drill's name (often the scenario)
/// is itself not for outsiders. Anonymous callers and keys are judged by the same rule: if only people were checked,
/// signing in would show less than staying anonymous.
/// </remarks>
public static class WorkspaceGate
{
    public static IApplicationBuilder UseWorkspaceGate(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (ctx.Request.Query.One("workspace") is { Length: > 0 } name && name != "live")
        {
            var access = await DrillStore.AccessAsync(ctx.RequestServices.GetRequiredService<NpgsqlDataSource>(), name, ctx.RequestAborted);
            ctx.Items[LookedUp] = (name, access?.Kind); // what the endpoint would ask again (KindAsync)
            var caller = CallerOf(ctx);
            if (access is { } a && !DrillStore.MayOpen(a.Members, caller?.OrganizationId, caller?.Scopes.Contains("admin") == true))
            {
                ctx.Response.Headers.Vary = "Authorization, Cookie";
                await ParameterProblem.For("workspace", $"no workspace '{name}' this caller may open", 404).ExecuteAsync(ctx);
                return;
            }
        }
        await next(ctx);
    });

    private static readonly object LookedUp = new();

    /// <summary>
    /// The workspace's kind ('live', 'drill'; null: none) — from the gate's own lookup of this request when it named the
    /// same workspace, so a push or HQ entry into a drill does not query the workspace table twice.
    /// </summary>
    public static async Task<string?> KindAsync(HttpContext ctx, NpgsqlDataSource db, string name, CancellationToken ct) =>
        ctx.Items.TryGetValue(LookedUp, out var v) && v is ValueTuple<string, string?> looked && looked.Item1 == name ? looked.Item2 : await DrillStore.KindAsync(db, name, ct);

    /// <summary>The key the resolution middleware verified, else the signed-in person, else null (anonymous).</summary>
    public static Caller? CallerOf(HttpContext ctx) =>
        ctx.Resolved() is { Presented: true } r ? r.Caller : People.CallerOf(ctx.User);
}
