using Npgsql;

namespace DisasterHub.Api.Endpoints;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Json(new { status = "live" })).WithTags("Health");
        app.MapGet("/health/ready", async (NpgsqlDataSource db, CancellationToken ct) =>
        {
            try
            {
                await using var c = db.CreateCommand("SELECT 1");
                await c.ExecuteScalarAsync(ct);
                return Results.Json(new { status = "ready", database = "ok" });
            }
            catch (NpgsqlException)
            {
                return Results.Json(new { status = "not ready", database = "unreachable" }, statusCode: 503);
            }
        }).WithTags("Health");
        return app;
    }
}
