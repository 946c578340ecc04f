using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>The organizations of the registry through <c>/api/v1/organizations</c>: checked, audited, not deleted while they own anything.</summary>
public sealed class organizations_should
{
    private static HttpRequestMessage Send(HttpMethod method, string path, string? token, object? body = null)
    {
        var req = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null) req.Headers.Authorization = new("Bearer", token);
        return req;
    }

    [Fact]
    public async Task create_change_list_and_delete_an_organization_and_name_the_bad_field()
    {
        await using var hub = await HubServer.StartAsync();
        var admin = await hub.CreateKeyAsync("ops", "admin");
        var reader = await hub.CreateKeyAsync("city", "read");
        var good = new
        {
            id = "wajima-city", name = "輪島市", kind = "municipality", jurisdiction = new[] { "172049" },
            service_area = new { type = "Polygon", coordinates = new[] { new[] { new[] { 136.8, 37.3 }, new[] { 137.0, 37.3 }, new[] { 137.0, 37.5 }, new[] { 136.8, 37.3 } } } },
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", null, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", reader, good))).StatusCode);

        // an unknown municipality code is refused naming its pointer; nothing is stored
        var bad = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "wajima-city", name = "輪島市", kind = "municipality", jurisdiction = new[] { "172049", "999999" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        using (var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()))
            Assert.Equal("/jurisdiction/1", problem.RootElement.GetProperty("parameter").GetString());
        var badArea = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "wajima-city", kind = "municipality", service_area = new { type = "Point", coordinates = new[] { 136.9, 37.4 } } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badArea.StatusCode);
        Assert.Contains("service_area", await badArea.Content.ReadAsStringAsync());
        var badKind = await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, new { id = "wajima-city", kind = "club" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badKind.StatusCode);
        Assert.Contains("kind", await badKind.Content.ReadAsStringAsync());
        Assert.Equal(0, await hub.Db.ScalarAsync("SELECT count(*) FROM organization WHERE id = 'wajima-city'"));

        Assert.Equal(HttpStatusCode.Created, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, good))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/organizations", admin, good))).StatusCode);
        Assert.Equal(1, await hub.Db.ScalarAsync("SELECT count(*) FROM organization WHERE id = 'wajima-city' AND jurisdiction_codes = ARRAY['172049'] AND ST_Covers(service_area, ST_SetSRID(ST_Point(136.9, 37.35), 4326))"));

        var patched = await hub.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/organizations/wajima-city", admin, new { name = "輪島市役所", jurisdiction = new[] { "172049", "172022" } }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        using (var one = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/organizations/wajima-city")))
        {
            Assert.Equal("輪島市役所", one.RootElement.GetProperty("name").GetString());
            Assert.Equal(["172049", "172022"], one.RootElement.GetProperty("jurisdiction").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal("MultiPolygon", one.RootElement.GetProperty("service_area").GetProperty("type").GetString());
        }
        var badPatch = await hub.Http.SendAsync(Send(HttpMethod.Patch, "/api/v1/organizations/wajima-city", admin, new { jurisdiction = new[] { "12345" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badPatch.StatusCode);
        Assert.Contains("/jurisdiction/0", await badPatch.Content.ReadAsStringAsync());
        using (var list = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/organizations")))
            Assert.Contains(list.RootElement.GetProperty("organizations").EnumerateArray(), o => o.GetProperty("id").GetString() == "wajima-city");

        // an organization that owns a source, or holds keys, is not deleted
        Assert.Equal(HttpStatusCode.Created, (await hub.Http.SendAsync(Send(HttpMethod.Post, "/api/v1/sources", admin, new
        {
            id = "wajima-status", kind = "push", format = "shelter-status-json", layer = "shelters", owner_org = "wajima-city",
        }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/organizations/wajima-city", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/organizations/city", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/sources/wajima-status", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await hub.Http.SendAsync(Send(HttpMethod.Delete, "/api/v1/organizations/wajima-city", admin))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hub.Http.SendAsync(Send(HttpMethod.Get, "/api/v1/organizations/wajima-city", null))).StatusCode);
        Assert.Equal(3, await hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action LIKE 'organizations.%' AND target = 'wajima-city'"));
    }
}
