using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Hangfire.Storage;

namespace DisasterHub.Api.Tests;

/// <summary>The registry in the database: a pull source created through the API is fetched on its schedule, no restart.</summary>
public sealed class source_registry_should
{
    private static HttpRequestMessage Post(string? token, object body)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources") { Content = JsonContent.Create(body) };
        if (token is not null) req.Headers.Authorization = new("Bearer", token);
        return req;
    }

    [Fact]
    public async Task refuse_anonymous_and_non_admin_callers_and_name_the_bad_field()
    {
        await using var hub = await HubServer.StartAsync();
        var admin = await hub.CreateKeyAsync("ops", "admin");
        var reader = await hub.CreateKeyAsync("city", "read");
        var good = new { id = "x-feed", format = "da-shelter-csv", layer = "shelters", url = "http://127.0.0.1:9/x.csv", schedule_seconds = 60 };
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Http.SendAsync(Post(null, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Http.SendAsync(Post(reader, good))).StatusCode);
        foreach (var (body, field) in new (object, string)[]
        {
            (new { id = "x-feed", format = "no-such-format", layer = "shelters", url = "http://127.0.0.1:9/x.csv" }, "format"),
            (new { id = "x-feed", format = "da-shelter-csv", layer = "no-such-layer", url = "http://127.0.0.1:9/x.csv" }, "layer"),
            (new { id = "x-feed", format = "da-shelter-csv", layer = "shelters", url = "file:///etc/passwd" }, "url"),
            (new { id = "x-feed", format = "da-shelter-csv", layer = "shelters", url = "http://127.0.0.1:9/x.csv", schedule_seconds = 1 }, "schedule_seconds"),
        })
        {
            var res = await hub.Http.SendAsync(Post(admin, body));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, res.StatusCode);
            Assert.Contains(field, await res.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Created, (await hub.Http.SendAsync(Post(admin, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Post(admin, good))).StatusCode);
    }

    [Fact]
    public async Task fetch_a_pull_source_created_through_the_api_without_a_restart()
    {
        var sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await sim.StartAsync();
        var simUrl = sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        // the watchdog off: it would schedule a missing job too, later; this shows the create itself schedules it
        await using var hub = await HubServer.StartAsync(new() { ["Hub:Scheduler"] = "true", ["Hub:WatchdogSeconds"] = "0" });
        try
        {
            var admin = await hub.CreateKeyAsync("ops", "admin");
            var res = await hub.Http.SendAsync(Post(admin, new
            {
                id = "api-shelters", name = "Shelters added live", kind = "pull", format = "da-shelter-csv", layer = "shelters",
                url = simUrl + "/feeds/shelters.csv", schedule_seconds = 5, @internal = true,
            }));
            Assert.Equal(HttpStatusCode.Created, res.StatusCode);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            long n = 0;
            while (DateTime.UtcNow < deadline && (n = await hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'api-shelters'")) == 0)
                await Task.Delay(500);
            Assert.Equal(Scenario.Sites.Count, n);
            using var list = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/sources"));
            Assert.Contains(list.RootElement.GetProperty("sources").EnumerateArray(), s => s.GetProperty("id").GetString() == "api-shelters");

            // disabled: no node fires it any more
            using var disable = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/api-shelters/disable");
            disable.Headers.Authorization = new("Bearer", admin);
            Assert.Equal(HttpStatusCode.NoContent, (await hub.Http.SendAsync(disable)).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(3)); // a pull already running finishes
            var attempt = await hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'api-shelters' AND last_attempt_at IS NOT NULL");
            Assert.Equal(1, attempt);
            var before = await hub.Db.ScalarAsync("SELECT extract(epoch FROM last_attempt_at)::bigint FROM source WHERE id = 'api-shelters'");
            await Task.Delay(TimeSpan.FromSeconds(12)); // two periods
            Assert.Equal(before, await hub.Db.ScalarAsync("SELECT extract(epoch FROM last_attempt_at)::bigint FROM source WHERE id = 'api-shelters'"));
        }
        finally
        {
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    /// <summary>
    /// A source added and disabled through the CLI (no scheduler in that process) takes effect on the running node at
    /// once — NOTIFY hub_registry wakes its schedule watchdog — not at the watchdog's next periodic check (an hour here),
    /// and the schedule written for it is not reported as a repair (no error on the source).
    /// </summary>
    [Fact]
    public async Task schedule_a_source_the_cli_adds_at_once_on_a_running_node()
    {
        var sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await sim.StartAsync();
        var simUrl = sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        await using var hub = await HubServer.StartAsync(new() { ["Hub:Scheduler"] = "true", ["Hub:WatchdogSeconds"] = "3600" });
        try
        {
            var db = new[] { "--db", hub.Db.ConnectionString };
            Assert.Equal(0, await HubCli.SourcesAsync(["add", "cli-feed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "shelters",
                "--url", simUrl + "/feeds/shelters.csv", "--schedule", "5", "--internal", .. db], TextReader.Null, new StringWriter()));
            Assert.True(await AttemptedAfterAsync(hub, "cli-feed", 0, TimeSpan.FromSeconds(30)), "the running node never fetched the CLI's source");
            Assert.Equal(0L, await hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'cli-feed' AND last_error IS NOT NULL"));

            Assert.Equal(0, await HubCli.SourcesAsync(["disable", "cli-feed", .. db], TextReader.Null, new StringWriter()));
            await Task.Delay(TimeSpan.FromSeconds(3)); // a pull already running finishes
            var before = await LastAttemptAsync(hub, "cli-feed");
            Assert.False(await AttemptedAfterAsync(hub, "cli-feed", before, TimeSpan.FromSeconds(12)), "still fetched after the CLI disabled it");
        }
        finally
        {
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    private static HttpRequestMessage Send(HttpMethod method, string path, string token, object? body = null)
    {
        var req = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        req.Headers.Authorization = new("Bearer", token);
        return req;
    }

    private static Task<long> LastAttemptAsync(HubServer hub, string id) =>
        hub.Db.ScalarAsync("SELECT coalesce(extract(epoch FROM last_attempt_at) * 1000, 0)::bigint FROM source WHERE id = @id", ("id", id));

    private static async Task<bool> AttemptedAfterAsync(HubServer hub, string id, long after, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await LastAttemptAsync(hub, id) > after) return true;
            await Task.Delay(300);
        }
        return false;
    }

    [Fact]
    public async Task let_a_change_made_on_one_node_take_effect_on_every_node_without_a_restart()
    {
        var sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await sim.StartAsync();
        var simUrl = sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        // the watchdog off: only the change itself (in Hangfire's shared storage, read from the registry) may move schedules
        var settings = new Dictionary<string, string?> { ["Hub:Scheduler"] = "true", ["Hub:WatchdogSeconds"] = "0" };
        await using var a = await HubServer.StartAsync(settings);
        await using var b = await HubServer.StartAsync(settings, sharedDb: a.Db);
        try
        {
            var admin = await a.CreateKeyAsync("ops", "admin");
            Assert.Equal(HttpStatusCode.Created, (await a.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/sources", admin, new
            {
                id = "live-feed", kind = "pull", format = "da-shelter-csv", layer = "shelters", url = simUrl + "/feeds/shelters.csv",
                schedule_seconds = 5, @internal = true,
            }))).StatusCode);
            Assert.True(await AttemptedAfterAsync(a, "live-feed", 0, TimeSpan.FromSeconds(60)), "never fetched");

            // node A gone: node B, which was running before the source existed, keeps fetching it on its schedule
            await a.App.StopAsync();
            Assert.True(await AttemptedAfterAsync(b, "live-feed", await LastAttemptAsync(b, "live-feed"), TimeSpan.FromSeconds(30)), "node B did not fetch it");
            Assert.Equal(Scenario.Sites.Count, await b.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'live-feed'"));

            // a bad change is refused naming the field, and changes nothing
            var bad = await b.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/sources/live-feed", admin, new { layer = "no-such-layer" }));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            Assert.Contains("layer", await bad.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, (await b.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/sources/no-such", admin, new { name = "x" }))).StatusCode);

            // changed through node B to once a day: no node fires it any more within a few periods of the old schedule
            Assert.Equal(HttpStatusCode.NoContent, (await b.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/sources/live-feed", admin,
                new { schedule_seconds = 86400, name = "Daily now" }))).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(3)); // a pull already running finishes
            var before = await LastAttemptAsync(b, "live-feed");
            Assert.False(await AttemptedAfterAsync(b, "live-feed", before, TimeSpan.FromSeconds(12)), "still fetched every 5 s after the change");

            // a node started after the change schedules what the registry says, not what it was
            await using var c = await HubServer.StartAsync(settings, sharedDb: a.Db);
            Assert.False(await AttemptedAfterAsync(c, "live-feed", before, TimeSpan.FromSeconds(10)), "a new node went back to the old schedule");
            using var list = JsonDocument.Parse(await c.Http.GetStringAsync("/api/v1/sources"));
            var row = list.RootElement.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "live-feed");
            Assert.Equal(86400, row.GetProperty("schedule_seconds").GetInt32());
            Assert.Equal("Daily now", row.GetProperty("name").GetString());

            // run now through node C: fetched at once by whichever node takes the job
            Assert.Equal(HttpStatusCode.Accepted, (await c.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/sources/live-feed/run", admin))).StatusCode);
            Assert.True(await AttemptedAfterAsync(c, "live-feed", before, TimeSpan.FromSeconds(30)), "run now did not fetch");

            // a source with current features is not deleted (disable it instead); one without is, and its schedule with it
            Assert.Equal(HttpStatusCode.Conflict, (await c.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/sources/live-feed", admin))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await c.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/sources", admin, new
            {
                id = "short-lived", kind = "pull", format = "da-shelter-csv", layer = "shelters", url = "http://127.0.0.1:9/none.csv", schedule_seconds = 3600,
            }))).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await c.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/sources/short-lived", admin))).StatusCode);
            Assert.Equal(0, await c.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'short-lived'"));
            using (var storage = c.App.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection())
                Assert.DoesNotContain(storage.GetRecurringJobs(), j => j.Id == "pull-short-lived");
            Assert.Equal(4, await c.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action IN ('sources.create', 'sources.update', 'sources.delete') AND target IN ('live-feed', 'short-lived')"));
        }
        finally
        {
            await sim.StopAsync();
            await sim.DisposeAsync();
        }
    }

    [Fact]
    public async Task let_configuration_seed_a_source_but_never_overwrite_a_change_made_through_the_api()
    {
        var settings = TestSettings.AddPushSources([], 20, "registry", ("seeded-feed", "shelter-status-json", "shelters"));
        await using var a = await HubServer.StartAsync(settings);
        var admin = await a.CreateKeyAsync("ops", "admin");
        Assert.Equal(HttpStatusCode.NoContent, (await a.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/sources/seeded-feed", admin, new { priority = 7 }))).StatusCode);

        // a node starting with the same configuration (a restart, another node) leaves the changed row as the API left it
        var renamed = new Dictionary<string, string?>(settings) { ["Hub:Sources:20:Name"] = "renamed in configuration", ["Hub:Sources:21:Id"] = "seeded-later",
            ["Hub:Sources:21:Kind"] = "push", ["Hub:Sources:21:Format"] = "shelter-status-json", ["Hub:Sources:21:Layer"] = "shelters", ["Hub:Sources:21:Name"] = "first name" };
        await using (var b = await HubServer.StartAsync(renamed, sharedDb: a.Db)) { }
        Assert.Equal(7, await a.Db.ScalarAsync("SELECT priority FROM source WHERE id = 'seeded-feed'"));
        Assert.Equal(0, await a.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'seeded-feed' AND name = 'renamed in configuration'"));
        // a row configuration wrote and nobody changed still follows configuration; a new one is seeded
        renamed["Hub:Sources:21:Name"] = "second name";
        await using (var c = await HubServer.StartAsync(renamed, sharedDb: a.Db)) { }
        Assert.Equal(1, await a.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'seeded-later' AND name = 'second name'"));
    }
}
