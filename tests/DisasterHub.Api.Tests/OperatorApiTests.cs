using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14 §5, the operator's APIs: keys (<c>/api/v1/keys</c>: the secret once, only its hash stored, revocation at
/// once), people (<c>/api/v1/people</c>: add, roles, disable, a password the admin sets) and the audit log's filters
/// and keyset paging. Admin only (a key with admin or a signed-in admin), every write audited with its actor, every
/// bad field a 422 naming it.
/// </summary>
public sealed class operator_api_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private const string Admin = "admin@hub.example";
    private const string Clerk = "clerk@nanao.example";

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(sign_in_should.Settings());

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static HttpRequestMessage Send(HttpMethod method, string path, string? token, object? body = null)
    {
        var req = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null) req.Headers.Authorization = new("Bearer", token);
        return req;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var r = await _hub.Http.SendAsync(Send(method, path, token, body));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertField(HttpStatusCode status, JsonElement body, string field)
    {
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{(int)status} {body}");
        Assert.Equal(field, body.GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task create_a_key_showing_its_secret_once_store_only_its_hash_and_revoke_it_at_once()
    {
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        var adminId = admin[3..admin.IndexOf('.', StringComparison.Ordinal)];
        var (status, created) = await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "nanao-city", scopes = new[] { "push:shelters", "read:responders" }, label = "防災課の送信" });
        Assert.True(status == HttpStatusCode.Created, created.ToString());
        var token = created.GetProperty("token").GetString()!;
        var id = created.GetProperty("key").GetProperty("id").GetString()!;
        Assert.StartsWith($"dh_{id}.", token);
        // only SHA-256 of the secret is kept
        var secret = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var stored = (byte[])(await _hub.Db.RowsAsync("SELECT secret_sha256 FROM api_key WHERE id = @id", ("id", id)))[0][0]!;
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);
        // the list never shows a secret or its hash
        var list = await _hub.Http.SendAsync(Send(HttpMethod.Get, "/api/v1/keys", admin));
        var listed = await list.Content.ReadAsStringAsync();
        Assert.Contains(id, listed);
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain("secret", listed);
        // the key works: the shelters layer's push source of its city takes it
        var push = await _hub.PushAsync("nanao-status", token, Encoding.UTF8.GetBytes("""{"municipality_code":"172022","shelters":[]}"""));
        Assert.NotEqual(HttpStatusCode.Unauthorized, push.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, push.StatusCode);

        // bad input names the field; nothing is stored
        var before = await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key");
        var (s1, b1) = await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "nanao-city", scopes = new[] { "read:responders", "push:nowhere" } });
        AssertField(s1, b1, "/scopes/1");
        var (s2, b2) = await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "atlantis", scopes = new[] { "read:public" } });
        AssertField(s2, b2, "organization");
        var (s3, b3) = await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "nanao-city", scopes = Array.Empty<string>() });
        AssertField(s3, b3, "scopes");
        Assert.Equal(before, await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key"));

        // revoked: refused on its next request
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, $"/api/v1/keys/{id}/revoke", admin)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.PushAsync("nanao-status", token, Encoding.UTF8.GetBytes("""{"municipality_code":"172022","shelters":[]}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await CallAsync(HttpMethod.Post, "/api/v1/keys/knothere/revoke", admin)).Status);

        // audited with the acting key
        var audit = await _hub.Db.RowsAsync("SELECT action, api_key_id, target FROM audit WHERE action LIKE 'keys.%' ORDER BY id");
        Assert.Equal([["keys.create", adminId, id], ["keys.revoke", adminId, id]], audit.Select(r => r.Select(v => v as string).ToArray()).ToArray());
    }

    [Fact]
    public async Task create_list_and_revoke_keys_from_the_cli_through_the_same_registry()
    {
        var db = new[] { "--db", _hub.Db.ConnectionString };
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.KeysAsync(["create", "--org", "nanao-city", "--scopes", "read:responders", "--label", "cli", .. db], output));
        var token = output.ToString().Split('\n').Single(l => l.StartsWith("secret (shown once): ", StringComparison.Ordinal))["secret (shown once): ".Length..].Trim();
        var id = token[3..token.IndexOf('.', StringComparison.Ordinal)];
        // the same checks as the API: an unknown scope is refused, nothing stored
        Assert.Equal(2, await HubCli.RunAsync(["keys", "create", "--org", "nanao-city", "--scopes", "push:nowhere", .. db]));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key WHERE 'push:nowhere' = ANY(scopes)"));
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        var (_, listed) = await CallAsync(HttpMethod.Get, "/api/v1/keys", admin);
        Assert.Contains(listed.GetProperty("keys").EnumerateArray(), k => k.GetProperty("id").GetString() == id && k.GetProperty("label").GetString() == "cli");
        Assert.Equal(0, await HubCli.KeysAsync(["revoke", id, .. db], new StringWriter()));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key WHERE id = @id AND revoked_at IS NOT NULL", ("id", id)));
        Assert.Equal(2, await HubCli.RunAsync(["keys", "revoke", "knothere", .. db]));
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE target = @id AND client_address = 'cli'", ("id", id)));
    }

    [Fact]
    public async Task refuse_keys_people_and_audit_to_anyone_but_an_admin()
    {
        var reader = await _hub.CreateKeyAsync("nanao-city", "read:restricted", "push:shelters");
        using var clerk = new PersonClient(_hub.BaseUrl);
        await clerk.SignedInAsync(Clerk);
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/v1/keys"), (HttpMethod.Post, "/api/v1/keys"), (HttpMethod.Post, "/api/v1/keys/x/revoke"), (HttpMethod.Get, "/api/v1/people"),
            (HttpMethod.Post, "/api/v1/people"), (HttpMethod.Patch, "/api/v1/people/x"), (HttpMethod.Get, "/api/v1/audit?action=push") })
        {
            var body = method == HttpMethod.Get ? null : new { organization = "nanao-city", scopes = new[] { "admin" } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(method, path, null, body)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await CallAsync(method, path, reader, body)).Status);
            var asClerk = await clerk.SendAsync(method, path, body is null ? null : JsonContent.Create(body));
            Assert.True(asClerk.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} as a clerk: {(int)asClerk.StatusCode}");
        }
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM api_key WHERE 'admin' = ANY(scopes)"));
    }

    [Fact]
    public async Task add_a_person_who_signs_in_then_disable_reset_and_change_roles_through_identity()
    {
        using var admin = new PersonClient(_hub.BaseUrl);
        await admin.SignedInAsync(Admin);
        const string Email = "bousai@nanao.example";
        const string First = "first-pass-2026-nanao";
        var added = await admin.SendAsync(HttpMethod.Post, "/api/v1/people", JsonContent.Create(new { email = Email, name = "防災課 山田", organization = "nanao-city", roles = new[] { "clerk" }, password = First }));
        Assert.True(added.StatusCode == HttpStatusCode.Created, await added.Content.ReadAsStringAsync());
        var id = (await PersonClient.BodyAsync(added)).GetProperty("id").GetString()!;
        // without the CSRF token a cookie write is refused before the endpoint
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.SendAsync(HttpMethod.Post, "/api/v1/people", JsonContent.Create(new { email = "x@y.example" }), withCsrf: false)).StatusCode);

        using (var person = new PersonClient(_hub.BaseUrl))
        {
            var session = await person.SignedInAsync(Email, First);
            Assert.Equal("nanao-city", session.GetProperty("organization").GetString());
            Assert.Equal(["clerk"], session.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        }

        // bad fields, each named; a duplicate is a conflict
        async Task<(HttpStatusCode, JsonElement)> Post(object body)
        {
            var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/people", JsonContent.Create(body));
            return (r.StatusCode, await PersonClient.BodyAsync(r));
        }
        var (s1, b1) = await Post(new { email = "a@nanao.example", organization = "nanao-city", roles = new[] { "clerk", "mayor" }, password = First });
        AssertField(s1, b1, "/roles/1");
        var (s2, b2) = await Post(new { email = "a@nanao.example", organization = "nanao-city", roles = new[] { "clerk" }, password = "short" });
        AssertField(s2, b2, "password");
        var (s3, b3) = await Post(new { email = "a@nanao.example", organization = "atlantis", roles = new[] { "clerk" }, password = First });
        AssertField(s3, b3, "organization");
        var (s4, b4) = await Post(new { email = "not-an-email", organization = "nanao-city", roles = new[] { "clerk" }, password = First });
        AssertField(s4, b4, "email");
        Assert.Equal(HttpStatusCode.Conflict, (await Post(new { email = Email, organization = "nanao-city", roles = new[] { "clerk" }, password = First })).Item1);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM hub_user WHERE email = 'a@nanao.example'"));

        async Task<(HttpStatusCode, JsonElement)> Patch(object body)
        {
            var r = await admin.SendAsync(HttpMethod.Patch, $"/api/v1/people/{id}", JsonContent.Create(body));
            return (r.StatusCode, await PersonClient.BodyAsync(r));
        }
        // disabled: sign-in refused, and the person's open session ends (a new security stamp)
        using var open = new PersonClient(_hub.BaseUrl);
        await open.SignedInAsync(Email, First);
        var (sd, disabled) = await Patch(new { disabled = true });
        Assert.True(sd == HttpStatusCode.OK, disabled.ToString());
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        using (var person = new PersonClient(_hub.BaseUrl))
        {
            var refused = await person.SignInAsync(Email, First);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("disabled", await refused.Content.ReadAsStringAsync());
        }
        // enabled again with a new password the admin sets, and a role more
        var (s5, b5) = await Patch(new { password = "tiny" });
        AssertField(s5, b5, "password");
        var (s6, b6) = await Patch(new { roles = new[] { "clerk", "boss" } });
        AssertField(s6, b6, "/roles/1");
        var (se, enabled) = await Patch(new { disabled = false, password = "second-pass-2026-nanao", roles = new[] { "clerk", "officer" } });
        Assert.True(se == HttpStatusCode.OK, enabled.ToString());
        Assert.False(enabled.GetProperty("disabled").GetBoolean());
        Assert.Equal(["clerk", "officer"], enabled.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        using (var person = new PersonClient(_hub.BaseUrl))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await person.SignInAsync(Email, First)).StatusCode);
            var session = await person.SignedInAsync(Email, "second-pass-2026-nanao");
            Assert.Equal("restricted", session.GetProperty("clearance").GetString());
        }
        var listed = await PersonClient.BodyAsync(await admin.SendAsync(HttpMethod.Get, "/api/v1/people"));
        Assert.Contains(listed.GetProperty("people").EnumerateArray(), p => p.GetProperty("email").GetString() == Email && !p.GetProperty("disabled").GetBoolean());
        Assert.DoesNotContain("password_hash", listed.ToString(), StringComparison.OrdinalIgnoreCase);

        // audited with the admin's email, never a password
        var audit = await _hub.Db.RowsAsync("SELECT action, person, target, detail::text FROM audit WHERE action LIKE 'people.%' ORDER BY id");
        Assert.Equal(["people.add", "people.update", "people.update"], audit.Select(r => (string)r[0]!));
        Assert.All(audit, r => Assert.Equal(Admin, r[1]));
        Assert.All(audit, r => Assert.Equal(Email, r[2]));
        Assert.All(audit, r => Assert.DoesNotContain("pass-2026", (string)r[3]!));
    }

    [Fact]
    public async Task filter_the_audit_log_and_page_it_by_keyset()
    {
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        var adminId = admin[3..admin.IndexOf('.', StringComparison.Ordinal)];
        using var person = new PersonClient(_hub.BaseUrl);
        await person.SignedInAsync(Admin);
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Created, (await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "nanao-city", scopes = new[] { "read:public" }, label = $"k{i}" })).Status);
        var byPerson = await person.SendAsync(HttpMethod.Post, "/api/v1/keys", JsonContent.Create(new { organization = "wajima-city", scopes = new[] { "read:public" } }));
        Assert.Equal(HttpStatusCode.Created, byPerson.StatusCode);
        var personKey = (await PersonClient.BodyAsync(byPerson)).GetProperty("key").GetProperty("id").GetString()!;

        async Task<JsonElement> Audit(string query)
        {
            var (status, body) = await CallAsync(HttpMethod.Get, "/api/v1/audit?" + query, admin);
            Assert.True(status == HttpStatusCode.OK, $"{query}: {(int)status} {body}");
            return body;
        }
        static string[] Targets(JsonElement page) => [.. page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("target").GetString()!)];

        Assert.Equal(6, Targets(await Audit("action=keys.create")).Length);
        Assert.Equal([personKey], Targets(await Audit($"action=keys.create&person={Uri.EscapeDataString(Admin)}")));
        Assert.Equal(5, Targets(await Audit($"action=keys.create&key_id={adminId}")).Length);
        Assert.Equal([personKey], Targets(await Audit($"target={personKey}")));
        Assert.Equal(["sign_in"], (await Audit($"organization=hub-operator&person={Uri.EscapeDataString(Admin)}&action=sign_in")).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(6, Targets(await Audit($"action=keys.create&since={Uri.EscapeDataString(t0.ToString("O"))}")).Length);
        Assert.Empty(Targets(await Audit($"action=keys.create&until={Uri.EscapeDataString(t0.ToString("O"))}")));

        // keyset paging: 2 + 2 + 2, newest first, no entry twice, next null at the end
        var seen = new List<string>();
        var page = await Audit("action=keys.create&limit=2");
        var pages = 1;
        seen.AddRange(Targets(page));
        while (page.GetProperty("next").ValueKind == JsonValueKind.String)
        {
            var next = page.GetProperty("next").GetString()!;
            Assert.Contains("action=keys.create", next);
            // an entry written meanwhile does not shift the pages
            await CallAsync(HttpMethod.Post, "/api/v1/keys", admin, new { organization = "nanao-city", scopes = new[] { "read:public" } });
            page = await Audit(next["/api/v1/audit?".Length..]);
            seen.AddRange(Targets(page));
            pages++;
        }
        Assert.Equal(3, pages);
        Assert.Equal(6, seen.Distinct().Count());
        Assert.Equal(personKey, seen[0]);

        // bad filters name the parameter (a query parameter's problem is a 400, as everywhere in the hub; a body field's a 422)
        foreach (var (query, field) in new[] { ("since=yesterday", "since"), ("until=2026-13-01", "until"), ("before=abc", "before"), ("limit=0", "limit"), ("limit=5000", "limit"),
            ("since=2026-12-05T10:00:00Z&until=2026-12-05T09:00:00Z", "until") })
        {
            var (status, body) = await CallAsync(HttpMethod.Get, "/api/v1/audit?" + query, admin);
            Assert.True(status == HttpStatusCode.BadRequest, $"{query}: {(int)status} {body}");
            Assert.Equal(field, body.GetProperty("parameter").GetString());
        }
        // since on the events stream is still an event id
        Assert.Equal(HttpStatusCode.BadRequest, (await CallAsync(HttpMethod.Get, "/api/v1/events?since=2026-12-05T09:00:00Z", null)).Status);
    }
}
