using System.Security.Cryptography;

namespace DisasterHub.Simulator;

/// <summary>Serves the scenario's feeds over HTTP with ETag / Last-Modified, as a well-behaved publisher would.</summary>
public static class SimulatorApp
{
    public static WebApplication Build(string[] args, TimeProvider? clock = null, TimeSpan? step = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("SIM_PORT") ?? "8091"}");
        var time = clock ?? TimeProvider.System;
        var stepLength = step ?? TimeSpan.FromSeconds(builder.Configuration.GetValue("StepSeconds", 30));
        builder.Services.AddSingleton(new Scenario(time, stepLength));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();

        DateTimeOffset? lastChange = null;
        string? lastEtag = null;
        app.MapGet("/feeds/shelters.csv", (HttpContext ctx, Scenario scenario) =>
        {
            var body = scenario.SheltersCsv();
            var etag = $"\"{Convert.ToHexString(SHA256.HashData(body))[..16]}\"";
            if (etag != lastEtag)
            {
                lastEtag = etag;
                lastChange = time.GetUtcNow();
            }
            var conditional = ctx.Request.Query["conditional"] != "false";
            if (conditional)
            {
                ctx.Response.Headers.ETag = etag;
                ctx.Response.Headers.LastModified = lastChange!.Value.ToString("R");
                if (ctx.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(304);
            }
            return Results.Bytes(body, "text/csv; charset=utf-8");
        });
        app.MapPost("/control/advance", (Scenario scenario, int? steps) =>
        {
            scenario.ExtraSteps += steps ?? 1;
            return Results.Json(new { step = scenario.Step });
        });
        app.MapGet("/", (Scenario s) => Results.Json(new { scenario = "nanao-earthquake-drill", step = s.Step, feeds = new[] { "/feeds/shelters.csv" } }));
        return app;
    }
}
