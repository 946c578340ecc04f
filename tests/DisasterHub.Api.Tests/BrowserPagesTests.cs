using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14 §3 and §7 in a real browser through the real server: the municipality page (tools/e2e-city.mjs in headless
/// chromium at 375×667) — a clerk signs in, opens a shelter and sets evacuees by keyboard only, and the officer reads it
/// within a second; a CSV with one bad row is previewed (line and reason) with nothing stored until Commit; a change
/// made offline arrives exactly once when the connection is back; no horizontal scroll on a phone.
/// </summary>
public sealed class browser_pages_should(ITestOutputHelper output) : IAsyncLifetime
{
    private HubServer _hub = null!;

    private const string Shelter = "御祓地区コミュニティセンター";

    public async Task InitializeAsync()
    {
        var s = sign_in_should.Settings();
        s.Remove("Hub:Classification:Layers:shelters"); // shelters public here, as in the demo
        _hub = await HubServer.StartAsync(s);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task let_a_clerk_set_evacuees_upload_with_preview_and_work_offline_on_a_phone()
    {
        // the city's registry, as a key of the city pushes it: three shelters, none open yet
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var seed = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"2026-01-01T09:00:00+09:00","shelters":[
              {"id":"S1","name":"{{Shelter}}","status":"未開設","evacuees":0,"capacity":191,"lat":37.04826,"lon":136.96136},
              {"id":"S2","name":"七尾市立東部中学校","status":"未開設","lat":37.0502,"lon":136.9872},
              {"id":"S3","name":"和倉温泉総湯前広場","status":"閉鎖","lat":37.0894,"lon":136.9131}
            ]}
            """);
        var pushed = await _hub.PushAsync("nanao-status", key, seed);
        Assert.True(pushed.StatusCode == HttpStatusCode.OK, await pushed.Content.ReadAsStringAsync());

        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it)");
        var root = browser_map_should.RepoRoot();
        var shot = Environment.GetEnvironmentVariable("HUB_SCREENSHOT_CITY"); // docs/page-city.png when refreshing the README's picture
        string[] args = [Path.Combine(root, "tools", "e2e-city.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), Shelter, .. shot is null ? Array.Empty<string>() : [shot]];
        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root, args);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-city.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-city.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}");
        Assert.True(result.GetProperty("steps").GetProperty("officerSeenMs").GetInt32() < 1000, $"the officer read the change after {result.GetProperty("steps").GetProperty("officerSeenMs")} ms");

        // what the page sent, read back from the store: the clerk's pushes, audited with the clerk's email
        Assert.Equal(7, await _hub.Db.ScalarAsync($"SELECT (attrs ->> 'evacuees')::int FROM feature WHERE source_id = 'nanao-status' AND source_key = 'S1'"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'S1' AND attrs -> 'needed_supplies' ? '水'"));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key IN ('U1', 'U3')"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'U2'"));
        Assert.Equal(3, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'push' AND person = 'clerk@nanao.example'"));
    }
}
