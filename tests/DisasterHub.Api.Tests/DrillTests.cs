using System.Net;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>Drills (訓練): workspaces other than live; replay of live history; nothing ever leaks into live.</summary>
public sealed class drills_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<int> Cli(params string[] args)
    {
        var output = new StringWriter();
        return args[0] == "drill" ? await HubCli.DrillAsync([.. args[1..], "--db", _hub.Db.ConnectionString], output) : throw new ArgumentException(args[0]);
    }

    private async Task<int> Count(string collection, string workspace)
    {
        var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync($"/ogc/collections/{collection}/items?workspace={workspace}")).RootElement;
        return fc.GetProperty("numberReturned").GetInt32();
    }

    [Fact]
    public async Task replay_live_history_into_a_drill_without_touching_live()
    {
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(evacuees: 10, observedAt: "2026-11-22T09:00:00+09:00"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", _key, push_endpoint_should.StatusDoc(evacuees: 20, observedAt: "2026-11-22T09:10:00+09:00", id: "CC0000000505"))).StatusCode);
        var liveBefore = await _hub.Db.RowsAsync("SELECT count(*), sum(version) FROM feature WHERE workspace = 'live'");

        Assert.Equal(0, await Cli("drill", "create", "noto-2026"));
        Assert.Equal(0, await Cli("drill", "replay", "noto-2026", "--from", "2000-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z", "--speed", "1000000"));

        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE workspace = 'noto-2026'"));
        // both records name the same shelter (same municipality + name, same place): one merged entity, as in live
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE workspace = 'noto-2026'"));
        Assert.Equal(liveBefore[0], (await _hub.Db.RowsAsync("SELECT count(*), sum(version) FROM feature WHERE workspace = 'live'"))[0]);
        Assert.Equal(1, await Count("merged_shelters", "noto-2026"));
        Assert.Equal(2, await Count("shelters", "noto-2026"));

        // a push into the drill stays in the drill
        var drillDoc = push_endpoint_should.StatusDoc(evacuees: 999, observedAt: "2026-11-22T12:00:00+09:00", id: "DRILL-ONLY");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?workspace=noto-2026") { Content = new ByteArrayContent(drillDoc) };
        req.Content.Headers.ContentType = new("application/json");
        req.Headers.Authorization = new("Bearer", _key);
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.SendAsync(req)).StatusCode);
        Assert.Equal(3, await Count("shelters", "noto-2026"));
        Assert.Equal(2, await Count("shelters", "live"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE workspace = 'live' AND source_key = 'DRILL-ONLY'"));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE workspace = 'live' AND (attrs->>'evacuees')::int = 999"));
    }

    [Fact]
    public async Task refuse_pushes_into_an_unknown_workspace_and_bad_drill_names()
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?workspace=nope") { Content = new ByteArrayContent(push_endpoint_should.StatusDoc()) };
        req.Content.Headers.ContentType = new("application/json");
        req.Headers.Authorization = new("Bearer", _key);
        var r = await _hub.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("workspace", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, await HubCli.RunAsync(["drill", "create", "Bad Name!", "--db", _hub.Db.ConnectionString]));
        Assert.Equal(2, await HubCli.RunAsync(["drill", "replay", "missing", "--from", "2026-01-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--db", _hub.Db.ConnectionString]));
    }
}
