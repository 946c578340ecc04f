using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Federation (issue 15 item 6): two hubs on loopback, each with its own PostGIS database. Hub B follows hub A's
/// shelters (a pull source of format <c>disasterhub-shelters</c>, A's base URL, a key A issued to B as its credentials) through a small
/// proxy the test can take down. A shelter pushed into A appears in B with its provenance and A's classification rules;
/// B asks only for changes after its cursor; while A is away B reports the failure and keeps serving what it had, and
/// once A is back B catches up from its cursor.
/// </summary>
public sealed class federation_should : IAsyncLifetime
{
    private HubServer _a = null!, _b = null!;
    private WebApplication _proxy = null!;
    private volatile bool _down;
    private readonly ConcurrentQueue<string> _asked = new();
    private string _cityKey = null!;

    public async Task InitializeAsync()
    {
        _a = await HubServer.StartAsync();
        _cityKey = await _a.CreateKeyAsync("nanao-city", "push:shelters");
        var keyForB = await _a.CreateKeyAsync("ishikawa-pref", "read:responders");

        // the way to A, which the test can cut: 503 while down, else the request passed on as it came
        var toA = new HttpClient { BaseAddress = _a.BaseUrl };
        (_proxy, var proxyUrl) = await Loopback.StartAsync(app => app.Run(async ctx =>
        {
            _asked.Enqueue($"{ctx.Request.Path}{ctx.Request.QueryString}");
            if (_down)
            {
                ctx.Response.StatusCode = 503;
                return;
            }
            using var req = new HttpRequestMessage(HttpMethod.Get, $"{ctx.Request.Path.ToString().TrimStart('/')}{ctx.Request.QueryString}");
            if (ctx.Request.Headers.Authorization.ToString() is { Length: > 0 } auth) req.Headers.TryAddWithoutValidation("Authorization", auth);
            using var res = await toA.SendAsync(req);
            ctx.Response.StatusCode = (int)res.StatusCode;
            ctx.Response.ContentType = res.Content.Headers.ContentType?.ToString();
            await res.Content.CopyToAsync(ctx.Response.Body);
        }));

        _b = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Hub:Sources:10:Id"] = "nanao-hub",
            ["Hub:Sources:10:Name"] = "七尾市のハブ",
            ["Hub:Sources:10:Kind"] = "pull",
            ["Hub:Sources:10:Format"] = "disasterhub-shelters",
            ["Hub:Sources:10:Layer"] = "shelters",
            ["Hub:Sources:10:Url"] = proxyUrl,
            ["Hub:Sources:10:Internal"] = "true", // loopback
            ["Hub:Sources:10:ScheduleSeconds"] = "60",
            ["Hub:Sources:10:Credentials:Header"] = "Authorization",
            ["Hub:Sources:10:Credentials:Value"] = $"Bearer {keyForB}",
            ["Hub:FeedBreakSeconds"] = "1",
            ["Hub:FeedRetryDelayMilliseconds"] = "20",
            ["Hub:FollowLookbackChanges"] = "1", // the tests' few changes would all fall inside the default window
        });
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        await _a.DisposeAsync();
    }

    private Task<IngestOutcome?> PullAsync() => _b.PullAsync("nanao-hub");

    private async Task PushToA(string id, string status, int evacuees)
    {
        var doc = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-1):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"{{id}}","name":"連携試験{{id}}","status":"{{status}}","evacuees":{{evacuees}},"notes":"担当 田中","lat":37.04826,"lon":136.96136}]}
            """);
        var r = await _a.PushAsync("nanao-status", _cityKey, doc);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement?> InB(string name, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/ogc/collections/merged_shelters/items?name={Uri.EscapeDataString(name)}");
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var fc = JsonDocument.Parse(await (await _b.Http.SendAsync(req)).Content.ReadAsStringAsync()).RootElement;
        return fc.GetProperty("features").GetArrayLength() == 1 ? fc.GetProperty("features")[0] : null;
    }

    private async Task<JsonElement> SourceInB() =>
        JsonDocument.Parse(await _b.Http.GetStringAsync("/api/v1/sources")).RootElement.GetProperty("sources").EnumerateArray()
            .Single(s => s.GetProperty("id").GetString() == "nanao-hub");

    [Fact]
    public async Task withdraw_in_the_follower_what_the_other_hub_withdrew()
    {
        await PushToA("FED-W1", "開設", 1);
        await PushToA("FED-W2", "開設", 2);
        Assert.Equal(2, (await PullAsync())!.Accepted);
        Assert.NotNull(await InB("連携試験FED-W2"));

        // A's city sends its complete set without FED-W2 (issue 16 §5): A withdraws it, and B's next pull does too
        var whole = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-1):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"FED-W1","name":"連携試験FED-W1","status":"開設","evacuees":1,"notes":"担当 田中","lat":37.04826,"lon":136.96136}]}
            """);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?replace=true") { Content = new ByteArrayContent(whole) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cityKey);
        Assert.Equal(HttpStatusCode.OK, (await _a.Http.SendAsync(req)).StatusCode);
        var pulled = (await PullAsync())!;
        Assert.Equal(1, pulled.Withdrawn);
        Assert.Null(await InB("連携試験FED-W2"));
        Assert.NotNull(await InB("連携試験FED-W1"));
        Assert.Equal(1, await _b.Db.ScalarAsync("SELECT count(*) FROM feature_past WHERE source_id = 'nanao-hub' AND withdrawn AND name = '連携試験FED-W2'"));
        // the lookback window again: the deletion is in it, and there is nothing more to withdraw
        Assert.Equal(0, (await PullAsync())!.Withdrawn);
    }

    [Fact]
    public async Task show_a_shelter_pushed_into_one_hub_in_the_other_with_its_provenance_incrementally_and_through_an_outage()
    {
        await PushToA("FED-0", "開設", 3);
        await PushToA("FED-1", "開設", 10);
        var first = await PullAsync();
        Assert.NotNull(first);
        Assert.Equal(IngestStatus.Ingested, first.Status);
        Assert.Equal(2, first.Accepted);

        var responders = await _b.CreateKeyAsync("ishikawa-pref", "read:responders");
        var shelter = (await InB("連携試験FED-1", responders))!.Value.GetProperty("properties");
        Assert.Equal("開設", shelter.GetProperty("status").GetString());
        Assert.Equal("172022", shelter.GetProperty("municipality_code").GetString());
        Assert.Equal(["nanao-hub"], shelter.GetProperty("sources").EnumerateArray().Select(s => s.GetString()!).ToArray());
        var origin = shelter.GetProperty("attrs").GetProperty("origin");
        Assert.Equal(_a.BaseUrl.ToString().TrimEnd('/'), origin.GetProperty("hub").GetString());
        Assert.Equal(["nanao-status"], origin.GetProperty("sources").EnumerateArray().Select(s => s.GetString()!).ToArray());
        Assert.True(origin.GetProperty("change_seq").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Object, origin.GetProperty("provenance").ValueKind);
        // the notes A classifies for responders came with B's responders key, and B keeps them from its public readers
        Assert.Equal("担当 田中", shelter.GetProperty("attrs").GetProperty("notes").GetString());
        var anonymous = (await InB("連携試験FED-1"))!.Value.GetProperty("properties");
        Assert.False(anonymous.GetProperty("attrs").TryGetProperty("notes", out _));

        // incremental: B asks after its cursor (less a short lookback), and an unchanged page is not taken again
        var cursor = long.Parse((await SourceInB()).GetProperty("cursor").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(cursor >= 2, $"cursor {cursor}");
        Assert.Equal(0, (await PullAsync())!.Changed); // the lookback window again: nothing in it is new
        Assert.Equal(IngestStatus.Unchanged, (await PullAsync())!.Status); // the same page again: not even stored
        await PushToA("FED-1", "閉鎖", 0);
        Assert.Equal(1, (await PullAsync())!.Changed);
        Assert.Equal("閉鎖", (await InB("連携試験FED-1"))!.Value.GetProperty("properties").GetProperty("status").GetString());
        var asks = _asked.Where(a => a.StartsWith("/api/v1/changes", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("/api/v1/changes?layer=shelters&since=0", asks[0], StringComparison.Ordinal);
        Assert.All(asks, a => Assert.Contains("layer=shelters", a, StringComparison.Ordinal));
        Assert.All(asks.Skip(1), a => Assert.Contains($"since={cursor - 1}", a, StringComparison.Ordinal)); // the cursor, less the lookback

        // A away: the pull fails and says so; B still serves what it had
        _down = true;
        await PushToA("FED-2", "開設", 5);
        Assert.Null(await PullAsync());
        var failing = await SourceInB();
        Assert.True(failing.GetProperty("failing").GetBoolean());
        Assert.Contains("503", failing.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.NotNull(await InB("連携試験FED-1"));
        Assert.Null(await InB("連携試験FED-2"));

        // A back (after the breaker's 1 s): B catches up from its cursor
        _down = false;
        await Task.Delay(1500);
        var back = await PullAsync();
        Assert.NotNull(back);
        Assert.Equal(1, back.Changed);
        Assert.Equal("開設", (await InB("連携試験FED-2"))!.Value.GetProperty("properties").GetProperty("status").GetString());
        var after = await SourceInB();
        Assert.False(after.GetProperty("failing").GetBoolean());
        Assert.True(long.Parse(after.GetProperty("cursor").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > cursor);
    }

    [Fact]
    public async Task serve_its_changes_as_pages_with_a_cursor()
    {
        await PushToA("PAGE-1", "開設", 1);
        await PushToA("PAGE-2", "開設", 2);
        var page = JsonDocument.Parse(await _a.Http.GetStringAsync("/api/v1/changes?layer=shelters&since=0")).RootElement;
        Assert.Equal(_a.BaseUrl.ToString().TrimEnd('/'), page.GetProperty("origin").GetString());
        Assert.Equal(2, page.GetProperty("changes").GetArrayLength());
        Assert.False(page.GetProperty("more").GetBoolean());
        var cursor = page.GetProperty("cursor").GetInt64();
        Assert.Equal(page.GetProperty("changes")[1].GetProperty("seq").GetInt64(), cursor);
        var empty = JsonDocument.Parse(await _a.Http.GetStringAsync($"/api/v1/changes?layer=shelters&since={cursor}")).RootElement;
        Assert.Equal(0, empty.GetProperty("changes").GetArrayLength());
        Assert.Equal(cursor, empty.GetProperty("cursor").GetInt64());
        var bad = await _a.Http.GetAsync("/api/v1/changes?layer=roads");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
    }
}
