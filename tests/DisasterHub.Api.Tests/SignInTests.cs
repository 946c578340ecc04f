using System.Net;
using System.Security.Claims;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14: people sign in (Identity on the hub's PostgreSQL, lockout, TOTP), their session is a cookie protected by a
/// CSRF token, and the same policies that judge keys judge them — reads at their clearance, pushes to their
/// organization's sources, audited with their email.
/// </summary>
public sealed class sign_in_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    private const string Clerk = "clerk@nanao.example";
    private const string Officer = "officer@pref.ishikawa.example";
    private const string OtherClerk = "clerk@wajima.example";
    private const string Admin = "admin@hub.example";

    /// <summary>Shelters are restricted on this hub: anonymous readers see none, an officer sees them.</summary>
    public static Dictionary<string, string?> Settings()
    {
        var s = new Dictionary<string, string?> { ["Hub:Classification:Layers:shelters"] = "restricted" };
        TestSettings.AddPrefecturePusher(s);
        s["Hub:Organizations:3:Id"] = "wajima-city";
        s["Hub:Organizations:3:Name"] = "輪島市";
        s["Hub:Organizations:3:Kind"] = "municipality";
        s["Hub:Organizations:3:Jurisdiction:0"] = "172049";
        var people = new (string Email, string Org, string Role)[]
        {
            (Clerk, "nanao-city", "clerk"), (Officer, "ishikawa-pref", "officer"), (OtherClerk, "wajima-city", "clerk"), (Admin, "hub-operator", "admin"),
        };
        for (var i = 0; i < people.Length; i++)
        {
            s[$"Hub:People:{i}:Email"] = people[i].Email;
            s[$"Hub:People:{i}:Name"] = people[i].Email.Split('@')[0];
            s[$"Hub:People:{i}:Organization"] = people[i].Org;
            s[$"Hub:People:{i}:Roles:0"] = people[i].Role;
            s[$"Hub:People:{i}:Password"] = PersonClient.DemoPassword;
        }
        return s;
    }

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(Settings());

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private PersonClient Person() => new(_hub.BaseUrl);

    private static ByteArrayContent Json(byte[] body)
    {
        var c = new ByteArrayContent(body);
        c.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return c;
    }

    private async Task<int> ShelterCountAsync(HttpClient http)
    {
        var r = await http.GetAsync("/ogc/collections/merged_shelters/items");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return (await PersonClient.BodyAsync(r)).GetProperty("features").GetArrayLength();
    }

    private Task<List<object?[]>> AuditAsync(string action) =>
        _hub.Db.RowsAsync("SELECT person, organization_id, api_key_id, target, detail::text FROM audit WHERE action = @a ORDER BY id", ("a", action));

    [Fact]
    public async Task answer_a_session_with_organization_roles_clearance_and_a_csrf_token()
    {
        using var officer = Person();
        var body = await officer.SignedInAsync(Officer);
        Assert.Equal(Officer, body.GetProperty("email").GetString());
        Assert.Equal("ishikawa-pref", body.GetProperty("organization").GetString());
        Assert.Equal("prefecture", body.GetProperty("organization_kind").GetString());
        Assert.Equal(["officer"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("restricted", body.GetProperty("clearance").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("csrf").GetString()));
        var cookie = officer.Cookies.GetCookies(_hub.BaseUrl)["hub_session"];
        Assert.NotNull(cookie);
        Assert.True(cookie.HttpOnly);

        var again = await officer.SessionAsync();
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(Officer, (await PersonClient.BodyAsync(again)).GetProperty("email").GetString());
        using var clerk = Person();
        Assert.Equal("responders", (await clerk.SignedInAsync(Clerk)).GetProperty("clearance").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.GetAsync("/api/v1/session")).StatusCode);
        Assert.Single(await AuditAsync("sign_in"), row => (string?)row[0] == Officer && (string?)row[1] == "ishikawa-pref");
    }

    [Fact]
    public async Task refuse_a_wrong_password_with_401_that_does_not_say_which_part_was_wrong()
    {
        using var person = Person();
        var wrongPassword = await person.SignInAsync(Clerk, "not-the-password");
        var unknownEmail = await person.SignInAsync("nobody@nanao.example", "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        Assert.Equal("application/problem+json", wrongPassword.Content.Headers.ContentType?.MediaType);
        var a = await PersonClient.BodyAsync(wrongPassword);
        var b = await PersonClient.BodyAsync(unknownEmail);
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.Null(person.Cookies.GetCookies(_hub.BaseUrl)["hub_session"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.SessionAsync()).StatusCode);
        var failures = await AuditAsync("sign_in_failed");
        Assert.Equal([Clerk, "nobody@nanao.example"], failures.Select(r => (string?)r[0]));

        var bad = await person.Http.PostAsJsonAsync("/api/v1/session", new { email = Clerk });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("/password", (await PersonClient.BodyAsync(bad)).GetProperty("pointer").GetString());
    }

    [Fact]
    public async Task lock_the_account_after_five_failures_and_answer_423_with_retry_after()
    {
        using var person = Person();
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await person.SignInAsync(Clerk, "wrong-" + i)).StatusCode);
        var fifth = await person.SignInAsync(Clerk, "wrong-5");
        Assert.Equal((HttpStatusCode)423, fifth.StatusCode);
        var right = await person.SignInAsync(Clerk);
        Assert.Equal((HttpStatusCode)423, right.StatusCode);
        var retry = right.Headers.RetryAfter?.Delta;
        Assert.NotNull(retry);
        Assert.InRange(retry.Value.TotalSeconds, 14 * 60, 15 * 60);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.SessionAsync()).StatusCode);
        // audited once per reason and window, not once per guess
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in_failed' AND person = @p AND detail->>'reason' = 'wrong password'", ("p", Clerk)));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in_failed' AND person = @p AND detail->>'reason' = 'locked out'", ("p", Clerk)));
        // another person is not affected
        using var officer = Person();
        await officer.SignedInAsync(Officer);
    }

    [Fact]
    public async Task ask_for_the_authenticator_code_once_totp_is_enabled()
    {
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var enrol = await clerk.SendAsync(HttpMethod.Post, "/api/v1/session/totp");
        Assert.Equal(HttpStatusCode.OK, enrol.StatusCode);
        var key = (await PersonClient.BodyAsync(enrol)).GetProperty("key").GetString()!;
        Assert.StartsWith("otpauth://totp/", (await PersonClient.BodyAsync(enrol)).GetProperty("otpauth_uri").GetString());
        var wrong = await clerk.SendAsync(HttpMethod.Post, "/api/v1/session/totp/confirm", JsonContent.Create(new { code = "000000" == PersonClient.Totp(key, DateTimeOffset.UtcNow) ? "111111" : "000000" }));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        var confirm = await clerk.SendAsync(HttpMethod.Post, "/api/v1/session/totp/confirm", JsonContent.Create(new { code = PersonClient.Totp(key, DateTimeOffset.UtcNow) }));
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await clerk.SessionAsync()).StatusCode); // this session survives the change
        Assert.Equal(HttpStatusCode.NoContent, (await clerk.SendAsync(HttpMethod.Delete, "/api/v1/session")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await clerk.SessionAsync()).StatusCode);

        var passwordOnly = await clerk.SignInAsync(Clerk);
        Assert.Equal(HttpStatusCode.Unauthorized, passwordOnly.StatusCode);
        Assert.True((await PersonClient.BodyAsync(passwordOnly)).GetProperty("totp_required").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await clerk.SignInAsync(Clerk, totp: "12345x")).StatusCode);
        var withCode = await clerk.SignInAsync(Clerk, totp: PersonClient.Totp(key, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, withCode.StatusCode);
        Assert.Single(await AuditAsync("sign_out"), r => (string?)r[0] == Clerk);
    }

    [Fact]
    public async Task refuse_a_cookie_request_without_the_csrf_token_and_write_nothing()
    {
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var without = await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents", Json(push_endpoint_should.StatusDoc()), withCsrf: false);
        Assert.Equal(HttpStatusCode.Forbidden, without.StatusCode);
        Assert.Equal("X-CSRF-Token", (await PersonClient.BodyAsync(without)).GetProperty("field").GetString());
        var forged = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents") { Content = Json(push_endpoint_should.StatusDoc()) };
        forged.Headers.Add("X-CSRF-Token", "forged");
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.Http.SendAsync(forged)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.SendAsync(HttpMethod.Delete, "/api/v1/session", withCsrf: false)).StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
        Assert.Equal(HttpStatusCode.OK, (await clerk.SessionAsync()).StatusCode); // still signed in

        // another person's token does not fit this session
        using var officer = Person();
        await officer.SignedInAsync(Officer);
        var borrowed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents") { Content = Json(push_endpoint_should.StatusDoc()) };
        borrowed.Headers.Add("X-CSRF-Token", officer.Csrf);
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.Http.SendAsync(borrowed)).StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));

        // a Bearer key is not cookie-authenticated: no token needed, even with a session cookie beside it
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var byKey = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents") { Content = Json(push_endpoint_should.StatusDoc()) };
        byKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await clerk.Http.SendAsync(byKey)).StatusCode);
    }

    [Fact]
    public async Task take_a_clerks_shelter_push_to_the_citys_source_and_show_it_to_an_officer()
    {
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var pushed = await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents", Json(push_endpoint_should.StatusDoc("開設", 87)));
        Assert.True(pushed.StatusCode == HttpStatusCode.OK, await pushed.Content.ReadAsStringAsync());
        Assert.Equal(1, (await PersonClient.BodyAsync(pushed)).GetProperty("accepted").GetInt32());

        using var officer = Person();
        await officer.SignedInAsync(Officer);
        var items = await PersonClient.BodyAsync(await officer.Http.GetAsync("/ogc/collections/merged_shelters/items"));
        var shelter = Assert.Single(items.GetProperty("features").EnumerateArray());
        Assert.Equal("開設", shelter.GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal(87, shelter.GetProperty("properties").GetProperty("attrs").GetProperty("evacuees").GetInt32());

        var audit = Assert.Single(await AuditAsync("push"));
        Assert.Equal(Clerk, audit[0]);
        Assert.Equal("nanao-city", audit[1]);
        Assert.Null(audit[2]);
        Assert.Equal("nanao-status", audit[3]);
    }

    [Fact]
    public async Task refuse_a_clerk_of_another_city_with_403_and_audit_it()
    {
        using var other = Person();
        await other.SignedInAsync(OtherClerk);
        var r = await other.SendAsync(HttpMethod.Post, "/api/v1/sources/nanao-status/documents", Json(push_endpoint_should.StatusDoc()));
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
        var denied = Assert.Single(await AuditAsync("push_denied"));
        Assert.Equal(OtherClerk, denied[0]);
        Assert.Equal("wajima-city", denied[1]);
        Assert.Contains("\"status\": 403", (string)denied[4]!);
    }

    [Fact]
    public async Task give_an_officer_the_restricted_records_an_anonymous_reader_does_not_get()
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, push_endpoint_should.StatusDoc())).StatusCode);
        using var officer = Person();
        await officer.SignedInAsync(Officer);
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var restrictedKey = await _hub.CreateKeyAsync("hub-operator", "read:restricted");
        using var keyed = new HttpClient { BaseAddress = _hub.BaseUrl };
        keyed.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", restrictedKey);

        Assert.Equal(0, await ShelterCountAsync(_hub.Http));
        Assert.Equal(0, await ShelterCountAsync(clerk.Http)); // responders: not restricted
        Assert.Equal(1, await ShelterCountAsync(officer.Http));
        Assert.Equal(1, await ShelterCountAsync(keyed)); // exactly as a key of that clearance
        var (x, y) = TestSettings.TileOf(136.96136, 37.04826, 14);
        var tile = await officer.Http.GetAsync($"/tiles/merged/14/{x}/{y}.mvt");
        Assert.Contains("private", tile.Headers.CacheControl?.ToString() ?? "");
        Assert.Contains("Cookie", tile.Headers.Vary);
    }

    [Fact]
    public async Task keep_a_session_valid_on_a_second_node_sharing_the_database()
    {
        await using var second = await HubServer.StartAsync(Settings(), sharedDb: _hub.Db);
        using var officer = Person();
        await officer.SignedInAsync(Officer);
        // the same browser, now talking to the other node: the cookie and the CSRF token are checked there
        using var onSecond = new PersonClient(second.BaseUrl, officer.Cookies);
        var session = await onSecond.SessionAsync();
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        Assert.Equal(Officer, (await PersonClient.BodyAsync(session)).GetProperty("email").GetString());
        var signOut = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/session");
        signOut.Headers.Add("X-CSRF-Token", officer.Csrf); // issued by the first node
        Assert.Equal(HttpStatusCode.NoContent, (await onSecond.Http.SendAsync(signOut)).StatusCode);
    }

    [Fact]
    public async Task let_a_signed_in_admin_through_the_admin_policy_and_nobody_else()
    {
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var body = JsonContent.Create(new { id = "si-admin-source", name = "x", kind = "push", format = "shelter-status-json", layer = "shelters", owner_org = "nanao-city" });
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.SendAsync(HttpMethod.Post, "/api/v1/sources", body)).StatusCode);
        using var admin = Person();
        await admin.SignedInAsync(Admin);
        var created = await admin.SendAsync(HttpMethod.Post, "/api/v1/sources", JsonContent.Create(new { id = "si-admin-source", name = "x", kind = "push", format = "shelter-status-json", layer = "shelters", owner_org = "nanao-city" }));
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.PostAsync("/api/v1/sources", JsonContent.Create(new { id = "y" }))).StatusCode);

        // the audit log: admins only, people named by email
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.Http.GetAsync("/api/v1/audit")).StatusCode);
        var log = await PersonClient.BodyAsync(await admin.Http.GetAsync("/api/v1/audit?action=sign_in"));
        Assert.Contains(log.GetProperty("entries").EnumerateArray(), e => e.GetProperty("person").GetString() == Clerk);
    }

    [Fact]
    public async Task let_a_clerk_set_the_own_citys_headquarters_status_and_no_other()
    {
        using var clerk = Person();
        await clerk.SignedInAsync(Clerk);
        var own = await clerk.SendAsync(HttpMethod.Put, "/api/v1/municipalities/172022/hq", JsonContent.Create(new { status = "設置" }));
        Assert.True(own.IsSuccessStatusCode, $"{(int)own.StatusCode} {await own.Content.ReadAsStringAsync()}");
        var other = await clerk.SendAsync(HttpMethod.Put, "/api/v1/municipalities/172049/hq", JsonContent.Create(new { status = "設置" }));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.SendAsync(HttpMethod.Put, "/api/v1/municipalities/172022/hq", JsonContent.Create(new { status = "解散" }), withCsrf: false)).StatusCode);
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM municipality_hq"));
    }

    [Fact]
    public async Task refuse_a_copy_of_the_session_cookie_once_signed_out_on_either_node()
    {
        await using var second = await HubServer.StartAsync(Settings(), sharedDb: _hub.Db);
        using var officer = Person();
        await officer.SignedInAsync(Officer);
        var kept = officer.Cookies.GetCookies(_hub.BaseUrl)["hub_session"];
        Assert.NotNull(kept);
        // a copy of the cookie (a shared computer, a proxy's log) opens the session while it lasts ...
        CookieContainer Copy()
        {
            var jar = new CookieContainer();
            jar.Add(_hub.BaseUrl, new Cookie("hub_session", kept!.Value));
            return jar;
        }
        using (var copy = new PersonClient(_hub.BaseUrl, Copy()))
            Assert.Equal(HttpStatusCode.OK, (await copy.SessionAsync()).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await officer.SendAsync(HttpMethod.Delete, "/api/v1/session")).StatusCode);

        // ... and nothing once the person signed out: not on this node, not on another sharing the database
        using var here = new PersonClient(_hub.BaseUrl, Copy());
        Assert.Equal(HttpStatusCode.Unauthorized, (await here.SessionAsync()).StatusCode);
        using var there = new PersonClient(second.BaseUrl, Copy());
        Assert.Equal(HttpStatusCode.Unauthorized, (await there.SessionAsync()).StatusCode);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM person_session s JOIN hub_user u ON u.id = s.user_id WHERE u.email = @e", ("e", Officer)));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_out' AND person = @e", ("e", Officer)));
    }

    [Fact]
    public async Task keep_a_signed_out_session_out_when_a_renewal_arrives_late_and_an_expired_one_closed()
    {
        var store = _hub.App.Services.GetRequiredService<DisasterHub.Api.Auth.HubSessionStore>();
        var id = (string)(await _hub.Db.RowsAsync("SELECT id FROM hub_user WHERE email = @e", ("e", Officer)))[0][0]!;
        AuthenticationTicket Ticket(TimeSpan expiresIn) => new(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Email, Officer)], "test")),
            new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.Add(expiresIn) }, DisasterHub.Api.Auth.People.CookieScheme);

        var key = await store.StoreAsync(Ticket(TimeSpan.FromHours(1)));
        Assert.Equal(Officer, (await store.RetrieveAsync(key))?.Principal.FindFirstValue(ClaimTypes.Email));
        await store.RemoveAsync(key);
        // an answer that renewed the cookie, sent before the sign-out and handled after it
        await store.RenewAsync(key, Ticket(TimeSpan.FromHours(12)));
        Assert.Null(await store.RetrieveAsync(key));
        Assert.Null(await store.RetrieveAsync("no-such-key"));

        var expired = await store.StoreAsync(Ticket(TimeSpan.FromMinutes(-1)));
        Assert.Null(await store.RetrieveAsync(expired));
        // the row itself goes at the next sign-in
        await store.StoreAsync(Ticket(TimeSpan.FromHours(1)));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM person_session WHERE expires_at < now()"));
    }

    [Fact]
    public async Task end_a_session_within_the_revalidation_interval_once_the_persons_security_stamp_changes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var hub = await HubServer.StartAsync(Settings(), clock);
        using var clerk = new PersonClient(hub.BaseUrl);
        using var officer = new PersonClient(hub.BaseUrl);
        await clerk.SignedInAsync(Clerk);
        await officer.SignedInAsync(Officer);
        clock.Advance(TimeSpan.FromMinutes(2)); // past Hub:SignIn:RevalidateSeconds (60): the cookie is checked against the store
        Assert.Equal(HttpStatusCode.OK, (await clerk.SessionAsync()).StatusCode);
        using (var scope = hub.App.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<DisasterHub.Data.Person>>();
            await users.UpdateSecurityStampAsync((await users.FindByEmailAsync(Clerk))!); // what a password reset or removal does
        }
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await clerk.SessionAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await officer.SessionAsync()).StatusCode);
    }

    [Fact]
    public async Task add_a_person_from_the_cli_who_then_signs_in_and_refuse_an_unknown_role()
    {
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.PeopleAsync(["add", "new.clerk@nanao.example", "--org", "nanao-city", "--role", "clerk", "--password-stdin", "--db", _hub.Db.ConnectionString],
            new StringReader("a-password-of-some-length\n"), output));
        using var person = Person();
        Assert.Equal("nanao-city", (await person.SignedInAsync("new.clerk@nanao.example", "a-password-of-some-length")).GetProperty("organization").GetString());

        var generated = new StringWriter();
        Assert.Equal(0, await HubCli.PeopleAsync(["add", "gen@nanao.example", "--org", "nanao-city", "--role", "clerk", "--db", _hub.Db.ConnectionString], new StringReader(""), generated));
        var password = generated.ToString().Split('\n').Single(l => l.StartsWith("password (shown once): ", StringComparison.Ordinal))["password (shown once): ".Length..].Trim();
        await person.SignedInAsync("gen@nanao.example", password);

        Assert.Equal(2, await HubCli.RunAsync(["people", "add", "x@nanao.example", "--org", "nanao-city", "--role", "mayor", "--db", _hub.Db.ConnectionString]));
        Assert.Equal(2, await HubCli.RunAsync(["people", "add", "y@nanao.example", "--org", "no-such-org", "--role", "clerk", "--db", _hub.Db.ConnectionString]));
        Assert.Equal(2, await HubCli.RunAsync(["people", "add", Clerk, "--org", "nanao-city", "--role", "clerk", "--db", _hub.Db.ConnectionString]));
        var list = new StringWriter();
        Assert.Equal(0, await HubCli.PeopleAsync(["list", "--db", _hub.Db.ConnectionString], new StringReader(""), list));
        Assert.Contains("new.clerk@nanao.example", list.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("x@nanao.example", list.ToString(), StringComparison.Ordinal);
        Assert.Equal(6, await _hub.Db.ScalarAsync("SELECT count(*) FROM hub_user"));
    }

    [Fact]
    public async Task seed_people_once_and_never_overwrite_them()
    {
        // the clerk changes their password; a restart with the same Hub:People must not put the configured one back
        using (var scope = _hub.App.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<DisasterHub.Data.Person>>();
            var clerk = (await users.FindByEmailAsync(Clerk))!;
            Assert.True((await users.ChangePasswordAsync(clerk, PersonClient.DemoPassword, "a-changed-password")).Succeeded);
        }
        await using var restarted = await HubServer.StartAsync(Settings(), sharedDb: _hub.Db);
        using var person = new PersonClient(restarted.BaseUrl);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.SignInAsync(Clerk)).StatusCode);
        await person.SignedInAsync(Clerk, "a-changed-password");
        Assert.Equal(4, await _hub.Db.ScalarAsync("SELECT count(*) FROM hub_user"));
    }

    [Fact]
    public async Task seed_the_demo_accounts_of_appsettings_demo()
    {
        await using var demo = await HubServer.StartAsync(configure: b => b.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.Demo.json")));
        foreach (var (email, org, clearance) in new[]
                 {
                     ("clerk@nanao.example", "nanao-city", "responders"), ("staff@hokuriku-power.example", "hokuriku-power", "responders"),
                     ("officer@pref.ishikawa.example", "ishikawa-pref", "restricted"), ("admin@hub.example", "hub-operator", "restricted"),
                 })
        {
            using var person = new PersonClient(demo.BaseUrl);
            var session = await person.SignedInAsync(email);
            Assert.Equal(org, session.GetProperty("organization").GetString());
            Assert.Equal(clearance, session.GetProperty("clearance").GetString());
        }
    }
}

/// <summary>
/// An organization's OpenID Connect provider is registered only when configured (<c>Hub:Oidc</c>). No provider is
/// reachable here, so this checks the wiring — the scheme and its sign-in routes — not a round trip.
/// </summary>
public sealed class oidc_sign_in_should
{
    private static async Task<(bool Scheme, bool Route)> WiringAsync(Dictionary<string, string?> settings)
    {
        await using var app = HubApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        var scheme = await app.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>().GetSchemeAsync("oidc");
        // the app's own route sources (the global data source is filled only once the pipeline is built, at start)
        var routes = ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints)
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>().Select(e => e.RoutePattern.RawText).ToList();
        return (scheme is not null, routes.Contains("/signin/oidc") && routes.Contains("/signin/oidc/done"));
    }

    [Fact]
    public async Task register_the_provider_and_its_routes_only_when_configured()
    {
        Assert.Equal((false, false), await WiringAsync([]));
        Assert.Equal((false, false), await WiringAsync(new() { ["Hub:Oidc:Authority"] = "https://id.example.jp" })); // no client id: not configured
        var configured = await WiringAsync(new()
        {
            ["Hub:Oidc:Authority"] = "https://id.example.jp", ["Hub:Oidc:ClientId"] = "disasterhub", ["Hub:Oidc:ClientSecret"] = "s",
        });
        Assert.Equal((true, true), configured);
    }

    /// <summary>
    /// The whole authorization-code flow (with PKCE and nonce) against a provider of the test's own: the hub's
    /// <c>/signin/oidc</c> sends the browser to the provider, the provider back to the hub's callback, the hub redeems
    /// the code, validates the signed ID token and signs in the hub person whose email the provider vouches for — with
    /// that person's organization and clearance —; an account the hub does not know, or an unverified email, is refused
    /// and audited.
    /// </summary>
    [Fact]
    public async Task sign_in_a_person_through_the_provider_and_refuse_an_unknown_account()
    {
        await using var provider = await FakeOidcProvider.StartAsync();
        var settings = sign_in_should.Settings();
        settings["Hub:Oidc:Authority"] = provider.Issuer;
        settings["Hub:Oidc:ClientId"] = FakeOidcProvider.ClientId;
        settings["Hub:Oidc:ClientSecret"] = FakeOidcProvider.ClientSecret;
        settings["Hub:Oidc:AllowHttp"] = "true";
        await using var hub = await HubServer.StartAsync(settings);

        async Task<(HttpStatusCode Status, HttpClient Browser, List<string> Hops)> SignInAsync(string email, bool verified = true)
        {
            provider.Email = email;
            provider.EmailVerified = verified;
            var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() });
            var url = new Uri(hub.BaseUrl, "/signin/oidc");
            var hops = new List<string>();
            for (var i = 0; i < 8; i++)
            {
                using var res = await browser.GetAsync(url);
                hops.Add($"{(int)res.StatusCode} {url.GetLeftPart(UriPartial.Path)}");
                if (res.StatusCode != HttpStatusCode.Redirect && res.StatusCode != HttpStatusCode.Found && res.StatusCode != HttpStatusCode.SeeOther)
                    return (res.StatusCode, browser, hops);
                url = new Uri(url, res.Headers.Location!);
                if (url.AbsolutePath == "/" && url.Authority == hub.BaseUrl.Authority) return (HttpStatusCode.OK, browser, hops);
            }
            return (HttpStatusCode.LoopDetected, browser, hops);
        }

        var (status, browser, hops) = await SignInAsync("officer@pref.ishikawa.example");
        Assert.True(status == HttpStatusCode.OK, string.Join(" → ", hops));
        Assert.Contains(hops, h => h.Contains("/authorize", StringComparison.Ordinal)); // through the provider
        using (browser)
        {
            var session = JsonDocument.Parse(await browser.GetStringAsync(new Uri(hub.BaseUrl, "/api/v1/session"))).RootElement;
            Assert.Equal("officer@pref.ishikawa.example", session.GetProperty("email").GetString());
            Assert.Equal("restricted", session.GetProperty("clearance").GetString());
        }
        Assert.Equal(1L, await hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in' AND person = 'officer@pref.ishikawa.example' AND detail ->> 'provider' = 'oidc'"));

        var (unknown, b2, hops2) = await SignInAsync("stranger@elsewhere.example");
        b2.Dispose();
        Assert.True(unknown == HttpStatusCode.Forbidden, string.Join(" → ", hops2));
        var (unverified, b3, hops3) = await SignInAsync("officer@pref.ishikawa.example", verified: false);
        b3.Dispose();
        Assert.True(unverified == HttpStatusCode.Forbidden, string.Join(" → ", hops3));
        Assert.Equal(0, provider.Refused);

        // a forged or replayed callback (no correlation cookie, a state the hub never issued): 401 with the reason
        using var forged = await hub.Http.GetAsync("/signin-oidc?code=0123&state=forged");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>
/// The officers' map signed in, in headless chromium (<c>tools/e2e-signin.mjs</c>): an officer signs in through the
/// header's form with the keyboard alone and then sees a restricted shelter an anonymous visitor does not; the drill is
/// listed marked 訓練; signing out hides the shelter again.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class sign_in_page_should(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string ShelterName = "限定試験避難所";
    private const string Drill = "signin-drill";
    private const double Lon = 136.96136, Lat = 37.04826;
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(sign_in_should.Settings());

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task sign_an_officer_in_by_keyboard_and_show_the_restricted_shelter_in_chromium()
    {
        var node = browser_map_should.OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it for the npm assets)");
        var root = browser_map_should.RepoRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")), $"run `npm ci` in {root} (./hub does)");
        foreach (var path in new[] { "/signin.js", "/session.js", "/signin.css" })
            Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync(path)).StatusCode);

        Assert.Equal(0, await HubCli.RunAsync(["drill", "create", Drill, "--db", _hub.Db.ConnectionString]));
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var observed = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var push = await _hub.PushAsync("nanao-status", key, System.Text.Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observed}}","shelters":[
              {"id":"R1","name":"{{ShelterName}}","status":"開設","evacuees":40,"capacity":100,"lat":{{Lat}},"lon":{{Lon}}}
            ]}
            """));
        Assert.True(push.StatusCode == HttpStatusCode.OK, await push.Content.ReadAsStringAsync());

        var (exit, stdout, stderr) = await browser_map_should.RunAsync(node!, root,
            [Path.Combine(root, "tools", "e2e-signin.mjs"), _hub.BaseUrl.ToString().TrimEnd('/'), "officer@pref.ishikawa.example", PersonClient.DemoPassword,
             ShelterName, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Lon},{Lat}"), Drill]);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-signin.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-signin.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}");
        var steps = result.GetProperty("steps");
        Assert.DoesNotContain(ShelterName, steps.GetProperty("anonymous").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.Contains(ShelterName, steps.GetProperty("signedIn").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        Assert.DoesNotContain(ShelterName, steps.GetProperty("signedOut").GetProperty("names").EnumerateArray().Select(n => n.GetString()));
        // a sign-out the hub refused: said on the page, still signed in, the focus back on the button
        var refused = steps.GetProperty("signOutRefused");
        Assert.False(refused.GetProperty("navigated").GetBoolean());
        Assert.Contains("Not signed out: the hub is restarting", refused.GetProperty("error").GetString());
        Assert.Equal("1", refused.GetProperty("signedIn").GetString());
        Assert.Equal("sign-out", refused.GetProperty("focus").GetString());
        Assert.Contains("石川県", steps.GetProperty("signedIn").GetProperty("who").GetString());
        Assert.Equal("signin-email", steps.GetProperty("keyboard").GetProperty("afterEnter").GetString());
        Assert.Equal("signin-password", steps.GetProperty("keyboard").GetProperty("afterTab").GetString());
        Assert.Contains("訓練", steps.GetProperty("signedIn").GetProperty("drillOption").GetString());
        Assert.Empty(result.GetProperty("pageErrors").EnumerateArray());
        // the sign-ins the page made are in the audit log: one failure, one success, one sign-out
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in' AND person = 'officer@pref.ishikawa.example'"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_in_failed' AND person = 'officer@pref.ishikawa.example'"));
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM audit WHERE action = 'sign_out' AND person = 'officer@pref.ishikawa.example'"));
    }
}
