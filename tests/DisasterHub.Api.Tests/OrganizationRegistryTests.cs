using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>Organizations and sources changed through the API and the CLI, one set of checks for both.</summary>
public sealed class organization_registry_should
{
    private static HttpRequestMessage Send(HttpMethod method, string path, string? token, object? body = null)
    {
        var req = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null) req.Headers.Authorization = new("Bearer", token);
        return req;
    }

    [Fact]
    public async Task create_change_and_delete_an_organization_naming_each_bad_field()
    {
        await using var hub = await HubServer.StartAsync();
        var admin = await hub.CreateKeyAsync("ops", "admin");
        var reader = await hub.CreateKeyAsync("viewer", "read:public");
        var good = new { id = "wajima-city", name = "輪島市", kind = "municipality", jurisdiction = new[] { "172049" } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", null, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", reader, good))).StatusCode);

        var badCode = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "x-city", kind = "municipality", jurisdiction = new[] { "172022", "999999" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badCode.StatusCode);
        Assert.Contains("/jurisdiction/1", await badCode.Content.ReadAsStringAsync());
        var badKind = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "x-city", kind = "club" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badKind.StatusCode);
        Assert.Contains("kind", await badKind.Content.ReadAsStringAsync());
        var badArea = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "x-grid", kind = "public_institution", service_area = new { type = "Point", coordinates = new[] { 137.0, 37.0 } } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badArea.StatusCode);
        Assert.Contains("service_area", await badArea.Content.ReadAsStringAsync());
        Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM organization WHERE id IN ('x-city', 'x-grid')"));

        Assert.Equal(HttpStatusCode.Created, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, good))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hub.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/organizations/wajima-city", admin, new
        {
            service_area = new { type = "Polygon", coordinates = new[] { new[] { new[] { 136.8, 37.3 }, new[] { 137.1, 37.3 }, new[] { 137.1, 37.5 }, new[] { 136.8, 37.3 } } } },
        }))).StatusCode);
        using (var one = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/organizations/wajima-city")))
        {
            Assert.Equal("172049", one.RootElement.GetProperty("jurisdiction")[0].GetString());
            Assert.Equal("MultiPolygon", one.RootElement.GetProperty("service_area").GetProperty("type").GetString());
        }

        // a source it owns keeps it from being deleted; without, it goes
        Assert.Equal(HttpStatusCode.Created, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/sources", admin, new
        {
            id = "wajima-status", kind = "push", format = "shelter-status-json", layer = "shelters", owner_org = "wajima-city",
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/organizations/wajima-city", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/sources/wajima-status", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/organizations/wajima-city", admin))).StatusCode);
        Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM organization WHERE id = 'wajima-city'"));
        Assert.Equal(2, await hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action IN ('organizations.create', 'organizations.delete') AND target = 'wajima-city'"));
    }

    [Fact]
    public async Task add_list_and_disable_through_the_cli_with_the_apis_checks()
    {
        await using var hub = await HubServer.StartAsync();
        var db = new[] { "--db", hub.Db.ConnectionString };
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.OrgsAsync([.. new[] { "add", "suzu-city", "--name", "珠洲市", "--kind", "municipality", "--jurisdiction", "172057" }, .. db], output));
        var bad = await Assert.ThrowsAsync<HubCli.CliException>(() => HubCli.OrgsAsync([.. new[] { "add", "nowhere", "--kind", "municipality", "--jurisdiction", "000000" }, .. db], output));
        Assert.Contains("/jurisdiction/0", bad.Message);
        var badLayer = await Assert.ThrowsAsync<HubCli.CliException>(() => HubCli.SourcesAsync([.. new[] { "add", "suzu-feed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "no-such-layer", "--url", "http://127.0.0.1:9/x.csv" }, .. db], output));
        Assert.Contains("layer", badLayer.Message);
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "add", "suzu-feed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "shelters", "--url", "http://127.0.0.1:9/x.csv", "--schedule", "60", "--owner", "suzu-city" }, .. db], output));
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "disable", "suzu-feed" }, .. db], output));
        var list = new StringWriter();
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "list" }, .. db], list));
        Assert.Matches(@"suzu-feed\s+pull\s+no\s+da-shelter-csv\s+shelters\s+60s\s+suzu-city", list.ToString());
        var orgs = new StringWriter();
        Assert.Equal(0, await HubCli.OrgsAsync([.. new[] { "list" }, .. db], orgs));
        Assert.Contains("suzu-city", orgs.ToString());
        // what the CLI wrote is what the API lists
        using var api = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/sources"));
        Assert.Contains(api.RootElement.GetProperty("sources").EnumerateArray(), s => s.GetProperty("id").GetString() == "suzu-feed" && s.GetProperty("owner_org").GetString() == "suzu-city");
    }
}
