using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Subscriptions (issue 15 item 5) through the real push path and a real webhook receiver on loopback: a signed
/// delivery within 2 s of a status push, nothing for another area, a failing endpoint's delivery dead after its
/// retries and listed for its owner, and webhook targets checked.
/// </summary>
public sealed class subscriptions_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private WebApplication _receiver = null!;
    private Uri _receiverUrl = null!;
    private string _cityKey = null!;
    private string _appKey = null!;
    private readonly ConcurrentQueue<(string Path, string Body, string Signature, string Timestamp, DateTimeOffset At)> _received = new();

    public async Task InitializeAsync()
    {
        (_receiver, var receiverUrl) = await Loopback.StartAsync(app => app.MapPost("/hook/{name}", async (string name, HttpRequest req) =>
        {
            var body = await new StreamReader(req.Body).ReadToEndAsync();
            _received.Enqueue(($"/hook/{name}", body, req.Headers["X-DisasterHub-Signature"].ToString(), req.Headers["X-DisasterHub-Timestamp"].ToString(), DateTimeOffset.UtcNow));
            return name == "broken" ? Results.StatusCode(500) : Results.Ok();
        }));
        _receiverUrl = new Uri(receiverUrl + "/");
        _hub = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Hub:Subscriptions:AllowPrivateTargets"] = "true", // the receiver is on loopback
            ["Hub:Subscriptions:MaxAttempts"] = "3",
            ["Hub:Subscriptions:RetryBaseMilliseconds"] = "100",
            ["Hub:Subscriptions:PollMilliseconds"] = "200",
        });
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        _appKey = await _hub.CreateKeyAsync("weather-app", "read:public");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _receiver.StopAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Subscribe(string key, string json)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/subscriptions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement : default);
    }

    private async Task<JsonElement> Get(string key, string path)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task PushStatus(string id, string status, int evacuees, double lat = 37.04826, double lon = 136.96136)
    {
        var doc = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-1):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"{{id}}","name":"購読試験{{id}}","status":"{{status}}","evacuees":{{evacuees}},"lat":{{lat}},"lon":{{lon}}}]}
            """);
        var r = await _hub.PushAsync("nanao-status", _cityKey, doc);
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private async Task<List<(string Path, string Body, string Signature, string Timestamp, DateTimeOffset At)>> WaitFor(string path, int count, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < within && _received.Count(r => r.Path == path) < count) await Task.Delay(20);
        return [.. _received.Where(r => r.Path == path)];
    }

    [Fact]
    public async Task deliver_a_signed_change_for_nanao_shelters_within_2_seconds_of_the_push_and_nothing_for_another_area()
    {
        var (status, created) = await Subscribe(_appKey, $$"""
            {"name":"七尾市の避難所","layers":["shelters"],"municipality_codes":["172022"],"changes":"status","webhook":"{{_receiverUrl}}hook/nanao"}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        var secret = created.GetProperty("secret").GetString()!;
        var (_, other) = await Subscribe(_appKey, $$"""{"layers":["shelters"],"municipality_codes":["13"],"webhook":"{{_receiverUrl}}hook/tokyo"}""");
        Assert.True(other.TryGetProperty("id", out _));

        var pushed = DateTimeOffset.UtcNow;
        await PushStatus("SUB-1", "開設", 10);
        var got = await WaitFor("/hook/nanao", 1, TimeSpan.FromSeconds(2));
        Assert.Single(got);
        Assert.True(got[0].At - pushed < TimeSpan.FromSeconds(2), $"delivered after {(got[0].At - pushed).TotalMilliseconds} ms");
        // the receiver can check the signature with the secret it was given
        Assert.Equal(SubscriptionDispatcher.Signature(secret, got[0].Timestamp, got[0].Body), got[0].Signature);
        Assert.StartsWith("sha256=", got[0].Signature, StringComparison.Ordinal);
        var payload = JsonDocument.Parse(got[0].Body).RootElement;
        Assert.Equal("開設", payload.GetProperty("feature").GetProperty("properties").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("previous_status").ValueKind);

        // evacuees change without a status change: not a status change, no delivery; closing is
        await PushStatus("SUB-1", "開設", 40);
        await PushStatus("SUB-1", "閉鎖", 0);
        got = await WaitFor("/hook/nanao", 2, TimeSpan.FromSeconds(3));
        Assert.Equal(2, got.Count);
        var second = JsonDocument.Parse(got[1].Body).RootElement;
        Assert.Equal("開設", second.GetProperty("previous_status").GetString());
        Assert.Equal("閉鎖", second.GetProperty("feature").GetProperty("properties").GetProperty("status").GetString());
        await Task.Delay(500);
        Assert.Equal(2, _received.Count(r => r.Path == "/hook/nanao"));
        Assert.DoesNotContain(_received, r => r.Path == "/hook/tokyo");

        var list = await Get(_appKey, "/api/v1/subscriptions");
        Assert.Equal(2, list.GetArrayLength());
        Assert.DoesNotContain("secret", list.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task deliver_a_shelter_a_full_replacement_withdrew_as_deleted()
    {
        var (status, _) = await Subscribe(_appKey, $$"""
            {"layers":["shelters"],"municipality_codes":["172022"],"changes":"status","webhook":"{{_receiverUrl}}hook/withdrawn"}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        await PushStatus("SUB-W1", "開設", 10);
        await PushStatus("SUB-W2", "開設", 20, lat: 37.05);
        Assert.Equal(2, (await WaitFor("/hook/withdrawn", 2, TimeSpan.FromSeconds(3))).Count);

        // the city's complete set no longer holds SUB-W2 (issue 16 §5): the app hears it leave, with its last state
        var whole = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-1):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"SUB-W1","name":"購読試験SUB-W1","status":"開設","evacuees":10,"lat":37.04826,"lon":136.96136}]}
            """);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/nanao-status/documents?replace=true") { Content = new ByteArrayContent(whole) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _cityKey);
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.SendAsync(req)).StatusCode);
        var got = await WaitFor("/hook/withdrawn", 3, TimeSpan.FromSeconds(3));
        Assert.Equal(3, got.Count);
        var gone = JsonDocument.Parse(got[2].Body).RootElement;
        Assert.Equal("deleted", gone.GetProperty("event").GetString());
        Assert.Equal("開設", gone.GetProperty("previous_status").GetString());
        Assert.Equal("購読試験SUB-W2", gone.GetProperty("feature").GetProperty("properties").GetProperty("name").GetString());
        Assert.True(gone.GetProperty("feature").GetProperty("properties").GetProperty("deleted").GetBoolean());
        await Task.Delay(500);
        Assert.Equal(3, _received.Count(r => r.Path == "/hook/withdrawn")); // once
    }

    [Fact]
    public async Task stream_an_sse_subscriptions_matches_to_its_owner_only()
    {
        var (status, created) = await Subscribe(_appKey, """
            {"name":"七尾市の避難所 (SSE)","layers":["shelters"],"municipality_codes":["172022"],"changes":"status","delivery":"sse"}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.False(created.TryGetProperty("secret", out _)); // nothing is signed: the owner reads it with its key
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal($"{_hub.BaseUrl}api/v1/subscriptions/{id}/events", created.GetProperty("events").GetString());

        // another organization's key and no key: not its stream
        var other = await _hub.CreateKeyAsync("kaga-city", "read:public");
        using (var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/subscriptions/{id}/events"))
        {
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other);
            Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.SendAsync(req)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.GetAsync($"/api/v1/subscriptions/{id}/events")).StatusCode);

        using var stream = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/subscriptions/{id}/events");
        stream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _appKey);
        using var res = await _hub.Http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync());
        Assert.StartsWith(": subscription", await reader.ReadLineAsync());

        await PushStatus("SSE-1", "開設", 10, lat: 35.6812, lon: 139.7671); // outside 七尾市: refused by the boundary check, never streamed
        await PushStatus("SSE-2", "開設", 10);
        await PushStatus("SSE-2", "開設", 20); // not a status change
        await PushStatus("SSE-2", "閉鎖", 0);
        var events = new List<(string Id, string Event, JsonElement Data)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? eventId = null, eventName = null;
        while (events.Count < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal)) eventId = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((eventId!, eventName!, JsonDocument.Parse(line[6..]).RootElement));
        }
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("change", e.Event));
        Assert.Equal(["開設", "閉鎖"], events.Select(e => e.Data.GetProperty("feature").GetProperty("properties").GetProperty("status").GetString()!).ToArray());
        Assert.All(events, e => Assert.Equal("購読試験SSE-2", e.Data.GetProperty("feature").GetProperty("properties").GetProperty("name").GetString()));

        // resuming after the first event replays the second; the list names the delivery and counts what was streamed
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/subscriptions/{id}/events");
        resume.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _appKey);
        resume.Headers.Add("Last-Event-ID", events[0].Id);
        using var res2 = await _hub.Http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        using var reader2 = new StreamReader(await res2.Content.ReadAsStreamAsync());
        string? replayed = null;
        while (replayed is null && await reader2.ReadLineAsync(timeout.Token) is { } line)
            if (line.StartsWith("id: ", StringComparison.Ordinal)) replayed = line[4..];
        Assert.Equal(events[1].Id, replayed);
        var mine = (await Get(_appKey, "/api/v1/subscriptions")).EnumerateArray().Single(x => x.GetProperty("id").GetString() == id);
        Assert.Equal("sse", mine.GetProperty("delivery").GetString());
        Assert.Equal(2, mine.GetProperty("streamed").GetInt32());
        Assert.Equal(0, mine.GetProperty("pending").GetInt32());
    }

    [Fact]
    public async Task list_a_failing_endpoints_delivery_as_dead_after_its_retries()
    {
        var (_, created) = await Subscribe(_appKey, $$"""{"layers":["shelters"],"bbox":[136.8,36.9,137.1,37.2],"webhook":"{{_receiverUrl}}hook/broken"}""");
        var id = created.GetProperty("id").GetString();
        await PushStatus("SUB-DEAD", "開設", 5);
        var tries = await WaitFor("/hook/broken", 3, TimeSpan.FromSeconds(10));
        Assert.Equal(3, tries.Count); // MaxAttempts
        JsonElement dead = default;
        for (var i = 0; i < 50; i++)
        {
            dead = await Get(_appKey, $"/api/v1/subscriptions/{id}/deliveries?status=dead");
            if (dead.GetArrayLength() > 0) break;
            await Task.Delay(100);
        }
        Assert.Equal(1, dead.GetArrayLength());
        Assert.Equal(3, dead[0].GetProperty("attempts").GetInt32());
        Assert.Equal(500, dead[0].GetProperty("last_status").GetInt32());
        Assert.Contains("HTTP 500", dead[0].GetProperty("last_error").GetString(), StringComparison.Ordinal);
        // its retries were spaced (100 ms, then 200 ms)
        Assert.True(tries[2].At - tries[0].At >= TimeSpan.FromMilliseconds(250), $"{(tries[2].At - tries[0].At).TotalMilliseconds} ms");
        // another organization sees none of it
        var otherKey = await _hub.CreateKeyAsync("someone-else", "read:public");
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/subscriptions/{id}/deliveries");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", otherKey);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Http.SendAsync(req)).StatusCode);
    }

    [Fact]
    public async Task refuse_anonymous_callers_bad_areas_and_webhooks_at_private_addresses_with_a_pointer()
    {
        using (var anon = new HttpRequestMessage(HttpMethod.Post, "/api/v1/subscriptions") { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
            Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.SendAsync(anon)).StatusCode);
        foreach (var (json, pointer) in new[]
        {
            ("""{"layers":["nope"],"municipality_codes":["172022"],"webhook":"https://example.org/h"}""", "/layers"),
            ("""{"municipality_codes":["999999"],"webhook":"https://example.org/h"}""", "/municipality_codes/0"),
            ("""{"webhook":"https://example.org/h"}""", "/municipality_codes"),
            ("""{"bbox":[1,2,3],"webhook":"https://example.org/h"}""", "/bbox"),
            ("""{"municipality_codes":["17"],"webhook":"ftp://example.org/h"}""", "/webhook"),
            ("""{"municipality_codes":["17"],"min_severity":9,"webhook":"https://example.org/h"}""", "/min_severity"),
            // the hub stores severity 0–3 (info … emergency): a 4 would be a subscription that never matches
            ("""{"municipality_codes":["17"],"min_severity":4,"webhook":"https://example.org/h"}""", "/min_severity"),
            ("""{"geometry":{"type":"Polygon","coordinates":[[1,2]]},"webhook":"https://example.org/h"}""", "/geometry"),
        })
        {
            var (status, body) = await Subscribe(_appKey, json);
            Assert.True(status == HttpStatusCode.BadRequest, json);
            Assert.Equal(pointer, body.GetProperty("pointer").GetString());
        }
        // with the SSRF guard on (the default), a literal private or metadata address is refused at creation
        await using var guarded = await HubServer.StartAsync();
        var key = await guarded.CreateKeyAsync("weather-app", "read:public");
        foreach (var target in new[] { "http://127.0.0.1:9/h", "http://169.254.169.254/latest", "http://10.0.0.1/h" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/subscriptions")
            {
                Content = new StringContent($$"""{"municipality_codes":["17"],"webhook":"{{target}}"}""", Encoding.UTF8, "application/json"),
            };
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var r = await guarded.Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("/webhook", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("pointer").GetString());
        }
    }
}
