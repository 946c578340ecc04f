using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

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
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
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
}
