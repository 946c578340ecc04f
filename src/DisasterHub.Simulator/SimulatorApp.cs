using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace DisasterHub.Simulator;

/// <summary>Serves the scenario's feeds over HTTP with ETag / Last-Modified, as a well-behaved publisher would.</summary>
public static class SimulatorApp
{
    /// <summary>Every feed path (for the index and the README); {time} is a yyyyMMddHHmmss JST step time.</summary>
    public static readonly IReadOnlyList<(string Path, string Format, string Layer)> Feeds =
    [
        ("/feeds/shelters.csv", "da-shelter-csv", "shelters"),
        ("/feeds/warnings.xml", "jma-vpww", "warnings"),
        ("/feeds/evacuation.cap", "cap", "evacuation_orders"),
        ("/feeds/sta/v1.1/Things", "sensorthings", "sensors"),
        ("/feeds/amedas/latest.json", "jma-amedas", "sensors"),
        ("/feeds/amedas/map/{time}.json", "jma-amedas", "sensors"),
        ("/feeds/amedas/latest_time.txt", "text", "sensors"),
        ("/feeds/amedastable.json", "jma-amedas-table", "sensors"),
        ("/feeds/power.json", "power-push-json", "power_outages"),
        ("/feeds/power/currentState", "json", "power_outages"),
        ("/feeds/power/data/{state}/outages.json", "power-push-json", "power_outages"),
        ("/feeds/damage.json", "fdma-damage-json", "damage"),
        ("/feeds/eei/{layer}.geojson", "{layer}.geojson", "road_closures, isolated_communities, water/telecom/gas outages, medical and welfare facilities, supply depots, disaster HQ"),
        ("/feeds/jma/extra.xml", "jma-atom", "warnings"),
        ("/feeds/jma/extra_l.xml", "jma-atom", "warnings"),
        ("/feeds/jma/eqvol.xml", "jma-atom", "sensors"),
        ("/feeds/jma/data/{name}", "jma-vpww", "warnings"),
    ];

    public static WebApplication Build(string[] args, TimeProvider? clock = null, TimeSpan? step = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("SIM_PORT") ?? "8091"}");
        var time = clock ?? TimeProvider.System;
        var stepLength = step ?? TimeSpan.FromSeconds(builder.Configuration.GetValue("StepSeconds", 30));
        var scenario = new Scenario(time, stepLength);
        builder.Services.AddSingleton(scenario);
        builder.Services.AddSingleton(new JmaFeeds(scenario, time, builder.Configuration["JmaSamples"], builder.Configuration.GetValue("JmaFeedSize", 10)));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical); // Program reports a failed start once
        var app = builder.Build();

        var validators = new ConcurrentDictionary<string, (string Etag, DateTimeOffset Changed)>(StringComparer.Ordinal);

        // One document of a feed: a strong ETag from its bytes, Last-Modified = when those bytes were first served,
        // 304 on a matching If-None-Match; ?conditional=false serves it bare (a publisher without validators).
        IResult Serve(HttpContext ctx, string key, byte[] body, string contentType)
        {
            var etag = $"\"{Convert.ToHexString(SHA256.HashData(body))[..16]}\"";
            var state = validators.AddOrUpdate(key, _ => (etag, time.GetUtcNow()), (_, old) => old.Etag == etag ? old : (etag, time.GetUtcNow()));
            if (ctx.Request.Query["conditional"] != "false")
            {
                ctx.Response.Headers.ETag = etag;
                ctx.Response.Headers.LastModified = state.Changed.ToString("R", CultureInfo.InvariantCulture);
                if (ctx.Request.Headers.IfNoneMatch.ToString() == etag) return Results.StatusCode(304);
            }
            return Results.Bytes(body, contentType);
        }

        app.MapGet("/feeds/shelters.csv", (HttpContext ctx, Scenario s) => Serve(ctx, "shelters", s.SheltersCsv(), "text/csv; charset=utf-8"));
        app.MapGet("/feeds/warnings.xml", (HttpContext ctx, Scenario s) => Serve(ctx, "warnings", s.WarningsXml(s.Step), "application/xml"));
        app.MapGet("/feeds/evacuation.cap", (HttpContext ctx, Scenario s) => Serve(ctx, "cap", s.EvacuationCap(s.Step), "application/cap+xml"));

        // SensorThings: page 1 at the source URL, page 2 by @iot.nextLink ($skip).
        app.MapGet("/feeds/sta/v1.1/Things", (HttpContext ctx, Scenario s) =>
        {
            var skip = int.TryParse(ctx.Request.Query["$skip"], CultureInfo.InvariantCulture, out var k) ? k : 0;
            var top = int.TryParse(ctx.Request.Query["$top"], CultureInfo.InvariantCulture, out var t) ? t : Scenario.SensorThingsPageSize;
            var root = $"{ctx.Request.Scheme}://{ctx.Request.Host}/feeds/sta/v1.1";
            return Serve(ctx, $"sta:{skip}:{top}", s.SensorThingsPage(s.Step, root, skip, top), "application/json");
        });

        // AMeDAS, as JMA's bosai site lays it out: a station table, a map per observation time, and the latest time.
        app.MapGet("/feeds/amedastable.json", (HttpContext ctx) => Serve(ctx, "amedastable", Scenario.AmedasTable(), "application/json"));
        app.MapGet("/feeds/amedas/latest_time.txt", (Scenario s) =>
            Results.Text(s.StepTime.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture)));
        app.MapGet("/feeds/amedas/latest.json", (HttpContext ctx, Scenario s) => Serve(ctx, "amedas", Scenario.AmedasMap(s.Step), "application/json"));
        app.MapGet("/feeds/amedas/map/{name}", (HttpContext ctx, Scenario s, string name) =>
        {
            // Only past and current steps exist, and only under their exact step time.
            if (!DateTime.TryParseExact(Path.GetFileNameWithoutExtension(name), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
                || !name.EndsWith(".json", StringComparison.Ordinal))
                return Results.NotFound();
            var at = new DateTimeOffset(local, TimeSpan.FromHours(9));
            var step = s.StepAt(at);
            if (step < 0 || step > s.Step || s.AmedasMapName(step) != name) return Results.NotFound();
            return Serve(ctx, "amedas:" + name, Scenario.AmedasMap(step), "application/json");
        });

        app.MapGet("/feeds/power.json", (HttpContext ctx, Scenario s) => Serve(ctx, "power", s.PowerJson(s.Step), "application/json"));
        // the same outages as an outage map publishes them (Kubra-style): a current-state pointer naming the state's files
        app.MapGet("/feeds/power/currentState", (Scenario s) => Results.Json(new
        {
            data = new { interval_generation_data = $"data/{s.StepTime.UtcDateTime:yyyyMMddHHmmss}" },
            stormcenterDeploymentId = "sim-nanao",
        }));
        app.MapGet("/feeds/power/data/{state}/outages.json", (HttpContext ctx, Scenario s, string state) =>
            DateTime.TryParseExact(state, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            && s.StepAt(new DateTimeOffset(at, TimeSpan.Zero)) is var step && step >= 0 && step <= s.Step
                ? Serve(ctx, "power:" + state, s.PowerJson(step), "application/json")
                : Results.NotFound());
        app.MapGet("/feeds/damage.json", (HttpContext ctx, Scenario s) => Serve(ctx, "damage", s.DamageJson(s.Step), "application/json"));
        app.MapGet("/feeds/eei/{layer}.geojson", (HttpContext ctx, Scenario s, string layer) =>
            s.EeiGeoJson(layer, s.Step) is { } doc ? Serve(ctx, "eei-" + layer, doc, "application/geo+json") : Results.NotFound());

        // JMA 防災情報XML as JMA serves it: Atom feeds (regular, extra, eqvol, other; {feed}_l the long-period ones) of telegram links
        app.MapGet("/feeds/jma/{name}.xml", (HttpContext ctx, JmaFeeds jma, string name) =>
            jma.Feed(name, $"{ctx.Request.Scheme}://{ctx.Request.Host}") is { } feed ? Serve(ctx, "jma:" + name, feed, "application/atom+xml") : Results.NotFound());
        app.MapGet("/feeds/jma/data/{name}", (HttpContext ctx, JmaFeeds jma, string name) =>
            jma.Find(name) is { } entry ? Serve(ctx, "jma-data:" + name, entry.Body(), "application/xml") : Results.NotFound());
        app.MapPost("/control/jma/burst", (JmaFeeds jma, int? count) => Results.Json(new { published = jma.Burst(Math.Clamp(count ?? 50, 1, 1000)) }));

        app.MapPost("/control/advance", (Scenario scenario, int? steps) =>
        {
            scenario.ExtraSteps += steps ?? 1;
            return Results.Json(new { step = scenario.Step });
        });
        app.MapGet("/", (Scenario s) => Results.Json(new
        {
            scenario = "nanao-earthquake-drill",
            step = s.Step,
            amedasMap = "/feeds/amedas/map/" + s.AmedasMapName(s.Step),
            feeds = Feeds.Select(f => new { path = f.Path, format = f.Format, layer = f.Layer }),
        }));
        return app;
    }
}
