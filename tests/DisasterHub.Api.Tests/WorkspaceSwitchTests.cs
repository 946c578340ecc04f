using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests;

/// <summary>
/// The map's workspace switch: exercises never reach live (they go to the drill their source names), so an officer
/// must be able to look at a drill on the map — every request of the page then carries <c>workspace=</c>, and live
/// is one choice away. <c>GET /api/v1/workspaces</c> lists what can be chosen.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class workspace_switch_should(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Drill = "noto-drill";
    private const string ShelterName = "訓練専用避難所";
    private const double Lon = 136.96136, Lat = 37.04826;
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync();

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task list_live_and_the_drills()
    {
        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Drill, "--db", _hub.Db.ConnectionString]));
        var list = JsonDocument.Parse(await _hub.Http.GetStringAsync("/api/v1/workspaces")).RootElement.GetProperty("workspaces")
            .EnumerateArray().Select(w => (w.GetProperty("name").GetString(), w.GetProperty("kind").GetString())).ToList();
        Assert.Equal(("live", "live"), list[0]);
        Assert.Contains((Drill, "drill"), list);
    }

    [Fact]
    public async Task show_a_drill_on_the_map_and_switch_back_to_live_in_chromium()
    {
        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it for the npm assets)");
        var root = browser_map_should.RepoRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")), $"run `npm ci` in {root} (./hub does)");

        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Drill, "--db", _hub.Db.ConnectionString]));
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var observed = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sources/nanao-status/documents?workspace={Drill}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""
                {"municipality_code":"172022","observed_at":"{{observed}}","shelters":[
                  {"id":"D1","name":"{{ShelterName}}","status":"開設","evacuees":40,"capacity":100,"lat":{{Lat}},"lon":{{Lon}}}
                ]}
                """)),
        };
        req.Content.Headers.ContentType = new("application/json");
        req.Headers.Authorization = new("Bearer", key);
        var push = await _hub.Http.SendAsync(req);
        Assert.True(push.StatusCode == HttpStatusCode.OK, await push.Content.ReadAsStringAsync());

        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root,
            [Path.Combine(root, "tools", "e2e-workspace.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), Drill, ShelterName,
             string.Create(CultureInfo.InvariantCulture, $"{Lon},{Lat}")]);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-workspace.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-workspace.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}");
        var steps = result.GetProperty("steps");
        Assert.Equal(Drill, steps.GetProperty("drill").GetProperty("selected").GetString());
        Assert.Contains(ShelterName, steps.GetProperty("drill").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.DoesNotContain(ShelterName, steps.GetProperty("live").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("live", steps.GetProperty("live").GetProperty("bodyWorkspace").GetString());
        Assert.Empty(result.GetProperty("pageErrors").EnumerateArray());
    }
}
