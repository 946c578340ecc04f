using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14 §5 in a real browser through the real server (tools/e2e-operator.mjs, headless chromium at 375×667): the
/// admin signs in, sees a pull source's health, runs it now by keyboard and sees its last attempt change and the audit
/// row, disables and enables it; creates a key by keyboard only and sees its secret once; a bad organization field and a
/// 409 are said; adds a person who then signs in and, not an admin, is told the page is for operators, disables them
/// (sign-in refused), enables them and sets a new password (only that one works); filters the audit log by action.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class operator_page_should(ITestOutputHelper output) : IAsyncLifetime
{
    private HubServer _hub = null!;
    private WebApplication _sim = null!;
    private const string NewPerson = "newclerk@nanao.example";

    public async Task InitializeAsync()
    {
        _sim = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]);
        await _sim.StartAsync();
        var s = sign_in_should.Settings();
        // Hangfire's workers run here: "run now" is a job like any other; the watchdog stays out of the way
        s["Hub:Scheduler"] = "true";
        s["Hub:WatchdogSeconds"] = "0";
        _hub = await HubServer.StartAsync(s);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _sim.StopAsync();
        await _sim.DisposeAsync();
    }

    [Fact]
    public async Task let_an_operator_run_a_source_create_a_key_add_a_person_and_filter_the_audit_log_on_a_phone()
    {
        var simUrl = _sim.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources")
        {
            // once a day: nothing pulls it before the page's run now
            Content = JsonContent.Create(new { id = "op-feed", name = "避難所 (simulator)", kind = "pull", format = "da-shelter-csv", layer = "shelters", url = simUrl + "/feeds/shelters.csv", schedule_seconds = 86400, @internal = true }),
        };
        create.Headers.Authorization = new("Bearer", admin);
        var created = await _hub.Http.SendAsync(create);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it)");
        var root = browser_map_should.RepoRoot();
        var shot = Environment.GetEnvironmentVariable("HUB_SCREENSHOT_OPERATOR"); // docs/page-operator.png when refreshing the README's picture
        string[] args = [Path.Combine(root, "tools", "e2e-operator.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), "op-feed", NewPerson, .. shot is null ? Array.Empty<string>() : [shot]];
        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root, args);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-operator.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-operator.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}");
        var steps = result.GetProperty("steps");
        Assert.Equal("stale", steps.GetProperty("healthBefore").GetString());
        Assert.Equal("ok", steps.GetProperty("healthAfter").GetString());

        // what the page did, as the hub keeps it: the pull ran, each action audited with the admin's email
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'op-feed' AND last_success_at IS NOT NULL"));
        foreach (var action in new[] { "sources.run", "keys.create", "people.add" })
            Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = @a AND person = 'admin@hub.example'", ("a", action)));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'organizations.create'"));
        // the new person signed in with the first password and, after the operator's reset, with the new one
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in' AND person = @p", ("p", NewPerson)));
        // disabled, enabled, a new password: three changes, none of them carrying the password
        Assert.Equal(3, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'people.update' AND target = @p AND person = 'admin@hub.example' AND detail::text NOT LIKE '%pass-2026%'", ("p", NewPerson)));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action IN ('sources.disable', 'sources.enable') AND target = 'op-feed'"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'op-feed' AND enabled"));
        // withdraw all: what the pull brought is off the live picture, kept in history, the page said how many
        var withdrawn = steps.GetProperty("withdrawn").GetInt32();
        Assert.True(withdrawn > 0, $"the page said {withdrawn} withdrawn");
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'op-feed'"));
        Assert.Equal(withdrawn, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_past WHERE source_id = 'op-feed' AND withdrawn"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sources.withdraw' AND target = 'op-feed' AND person = 'admin@hub.example'"));
        // the key shown once is a working key of nanao-city: known (403: no admin scope), where a made-up one is not (401)
        var token = steps.GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync("/api/v1/audit", token));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/api/v1/audit", token[..^2] + "xx"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key WHERE organization_id = 'nanao-city' AND label = 'e2e key' AND scopes = ARRAY['read:responders']"));
    }

    private async Task<HttpStatusCode> StatusAsync(string path, string token)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Authorization = new("Bearer", token);
        return (await _hub.Http.SendAsync(req)).StatusCode;
    }
}
