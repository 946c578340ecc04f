using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>Issue 17, the read path: each attack through real HTTP against real PostGIS, and the safe answer.</summary>
public sealed class read_hardening_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;
    private const double Lon = 136.96136, Lat = 37.04826;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(TestSettings.AddPushSources(new()
    {
        ["Hub:Sources:40:Id"] = "rh-pull",
        ["Hub:Sources:40:Name"] = "read hardening pull source",
        ["Hub:Sources:40:Kind"] = "pull",
        ["Hub:Sources:40:Format"] = "da-shelter-csv",
        ["Hub:Sources:40:Layer"] = "shelters",
        ["Hub:Sources:40:Url"] = "http://feeduser:feedpass@feeds.example.test/shelters.csv?token=SECRET123",
        ["Hub:Sources:40:ScheduleSeconds"] = "60",
        ["Hub:Sources:40:ExpectedIntervalSeconds"] = "120",
    }, 41, "read hardening", ("rh-power", "power-push-json", "power_outages")), _clock);

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Shelters(params (string Id, long Evacuees, double Lon, double Lat)[] s) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', s.Select(x =>
            $$"""{"id":"{{x.Id}}","name":"避難所{{x.Id}}","status":"開設","evacuees":{{x.Evacuees}},"capacity":191,"lat":{{x.Lat}},"lon":{{x.Lon}}}"""))}}]}""");

    private static async Task<string> OgrInfo(byte[] tile, int z, int x, int y)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.mvt");
        await File.WriteAllBytesAsync(file, tile);
        try
        {
            using var p = Process.Start(new ProcessStartInfo("ogrinfo", ["-ro", "-al", file, "-oo", $"Z={z}", "-oo", $"X={x}", "-oo", $"Y={y}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, await p.StandardError.ReadToEndAsync());
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> Get(string url)
    {
        var r = await _hub.Http.GetAsync(url);
        return (r.StatusCode, await r.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task serve_tiles_and_the_rollup_with_counts_beyond_32_bits_and_odd_values()
    {
        var shelterKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var powerKey = await _hub.CreateKeyAsync("nanao-city", "push:power_outages");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", shelterKey,
            Shelters(("BIG-1", 2_000_000_000, Lon, Lat), ("BIG-2", 2_000_000_000, Lon + 0.001, Lat)))).StatusCode);
        var power = await _hub.PushAsync("rh-power", powerKey, Encoding.UTF8.GetBytes("""
            {"utility":"hokuriku","observed_at":"2026-11-22T09:00:00+09:00","areas":[
              {"id":"P1","municipality_code":"172022","name":"七尾市","customers_out":3000000000,"customers_served":3000000000}]}
            """));
        Assert.Equal(HttpStatusCode.OK, power.StatusCode);
        var at = Uri.EscapeDataString(_clock.GetUtcNow().AddMinutes(1).ToString("O"));

        foreach (var z in new[] { 5, 8, 14 })
        {
            var (x, y) = TestSettings.TileOf(Lon, Lat, z);
            foreach (var url in new[] { $"/tiles/merged/{z}/{x}/{y}.mvt", $"/tiles/shelters/{z}/{x}/{y}.mvt", $"/tiles/power_outages/{z}/{x}/{y}.mvt", $"/tiles/merged/{z}/{x}/{y}.mvt?at={at}" })
            {
                var (status, body) = await Get(url);
                Assert.True(status == HttpStatusCode.OK, $"{url}: {(int)status}");
                if (z == 5 && url.StartsWith("/tiles/shelters", StringComparison.Ordinal))
                    Assert.Contains("evacuees (Integer64) = 4000000000", await OgrInfo(body, z, x, y), StringComparison.Ordinal);
            }
        }
        var rollup = await _hub.Http.GetAsync("/ogc/collections/municipalities/items");
        Assert.Equal(HttpStatusCode.OK, rollup.StatusCode);
        var nanao = JsonDocument.Parse(await rollup.Content.ReadAsStringAsync()).RootElement.GetProperty("features").EnumerateArray()
            .Single(f => f.GetProperty("id").GetString() == "172022").GetProperty("properties");
        Assert.Equal(4_000_000_000L, nanao.GetProperty("evacuees").GetInt64());
        Assert.Equal(3_000_000_000L, nanao.GetProperty("customers_out").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync($"/ogc/collections/municipalities/items?datetime={at}")).StatusCode);

        // values no parser should let through, but stored data must never break a read: beyond bigint, fractions, text
        await _hub.Db.ScalarAsync("""
            WITH u AS (UPDATE merged_feature SET attrs = attrs || CASE entity_key LIKE '%BIG-1%' WHEN true THEN '{"evacuees": 1e30}'::jsonb ELSE '{"evacuees": 12.5, "customers_out": "many"}'::jsonb END RETURNING 1)
            SELECT count(*) FROM u
            """);
        foreach (var z in new[] { 6, 13 })
        {
            var (x, y) = TestSettings.TileOf(Lon, Lat, z);
            Assert.Equal(HttpStatusCode.OK, (await Get($"/tiles/merged/{z}/{x}/{y}.mvt")).Status);
        }
        Assert.Equal(HttpStatusCode.OK, (await _hub.Http.GetAsync("/ogc/collections/municipalities/items")).StatusCode);
    }

    public static TheoryData<string, string, string> BadQueries => new()
    {
        { "GET", "/ogc/collections/shelters/items?workspace=%00", "workspace" },
        { "GET", "/ogc/collections/merged_shelters/items?bbox=136%00,37,137,38", "bbox" },
        { "GET", "/ogc/collections/municipalities/items?workspace=live%00", "workspace" },
        { "GET", "/ogc/collections/shelters/items?foo=%01", "foo" },
        { "GET", "/tiles/merged/5/28/12.mvt?workspace=%00", "workspace" },
        { "GET", "/tiles/shelters/5/28/12.mvt?at=2026-11-22T00:00:00Z%00", "at" },
        { "GET", "/tiles/merged.json?workspace=%00", "workspace" },
        { "GET", "/api/v1/audit?action=%00", "action" },
        { "GET", "/api/v1/events?layer=%00", "layer" },
        { "GET", "/api/v1/sources?x=%1b", "x" },
        { "POST", "/api/v1/sources/nanao-status/documents?format=%00", "format" },
        { "POST", "/api/v1/sources/nanao-status/documents?workspace=%00", "workspace" },
        // known parameters, malformed, answered before any SQL
        { "GET", "/ogc/collections/shelters/items?limit=abc", "limit" },
        { "GET", "/ogc/collections/shelters/items?limit=1&limit=2", "limit" },
        { "GET", "/ogc/collections/shelters/items?bbox=1,2,3", "bbox" },
        { "GET", "/ogc/collections/shelters/items?bbox=136,37,137,91", "bbox" },
        { "GET", "/ogc/collections/shelters/items?datetime=yesterday", "datetime" },
        { "GET", "/ogc/collections/shelters/items?workspace=a%20b", "workspace" },
        { "GET", "/api/v1/events?since=-1", "since" },
        { "GET", "/api/v1/events?layer=shelters,nope", "layer" },
        { "GET", "/api/v1/audit?limit=0", "limit" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task answer_400_naming_the_parameter_for_control_characters_and_malformed_parameters(string method, string url, string parameter)
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters", "admin");
        using var req = new HttpRequestMessage(new HttpMethod(method), url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (method == "POST") req.Content = new ByteArrayContent(push_endpoint_should.StatusDoc());
        var r = await _hub.Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)r.StatusCode} {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM raw_document"));
    }

    [Fact]
    public async Task build_links_from_the_bound_address_and_refuse_a_foreign_host_header()
    {
        var bound = _hub.BaseUrl.ToString().TrimEnd('/');
        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/ogc");
        foreign.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Http.SendAsync(foreign)).StatusCode);
        var landing = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc")).RootElement;
        Assert.All(landing.GetProperty("links").EnumerateArray(), l => Assert.StartsWith(bound + "/", l.GetProperty("href").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task show_pull_feed_urls_only_to_callers_with_a_key_and_never_their_secrets()
    {
        var anonymous = await _hub.Http.GetStringAsync("/api/v1/sources");
        var pull = JsonDocument.Parse(anonymous).RootElement.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "rh-pull");
        Assert.Equal(JsonValueKind.Null, pull.GetProperty("url").ValueKind);
        Assert.DoesNotContain("feeds.example.test", anonymous, StringComparison.Ordinal);
        Assert.DoesNotContain("{simulator}", anonymous, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", anonymous, StringComparison.Ordinal);

        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sources");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await _hub.Http.SendAsync(req);
        var withKey = await r.Content.ReadAsStringAsync();
        var url = JsonDocument.Parse(withKey).RootElement.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("id").GetString() == "rh-pull").GetProperty("url").GetString();
        Assert.StartsWith("http://feeds.example.test/shelters.csv", url, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET123", withKey, StringComparison.Ordinal);
        Assert.DoesNotContain("feedpass", withKey, StringComparison.Ordinal);
        Assert.DoesNotContain("feeduser", withKey, StringComparison.Ordinal);
        Assert.Contains("private", r.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task put_security_headers_on_every_response_and_keep_classified_answers_private()
    {
        foreach (var url in new[] { "/", "/app.js", "/ogc", "/ogc/collections/shelters/items", "/tiles/merged.json", "/api/v1/sources", "/health/live", "/no/such/path", "/ogc/collections/shelters/items?limit=x" })
        {
            var r = await _hub.Http.GetAsync(url);
            var csp = string.Join(' ', r.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
        }

        var responders = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        foreach (var url in new[] { "/ogc/collections/shelters/items", "/ogc/collections/merged_shelters/items", "/ogc/collections/municipalities/items", "/ogc/collections", "/ogc/collections/shelters" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, url);
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", responders);
            var r = await _hub.Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.True(r.Headers.CacheControl?.Private, $"{url}: Cache-Control {r.Headers.CacheControl}");
            Assert.Contains("Authorization", r.Headers.Vary);
            var anonymous = await _hub.Http.GetAsync(url);
            Assert.False(anonymous.Headers.CacheControl?.Private ?? false, url);
            Assert.Contains("Authorization", anonymous.Headers.Vary);
        }
    }
}

/// <summary>Links come from Hub:PublicBaseUrl, whatever Host the request names.</summary>
public sealed class public_base_url_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(new()
    {
        ["Hub:PublicBaseUrl"] = "https://hub.example.jp/",
        ["AllowedHosts"] = "*",
    });

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<JsonElement> GetWithHost(string url)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        req.Headers.Host = "evil.example";
        var r = await _hub.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task write_links_to_the_configured_base_for_a_request_with_a_foreign_host()
    {
        var hrefs = new List<string>();
        foreach (var url in new[] { "/ogc", "/ogc/collections", "/ogc/collections/shelters", "/ogc/collections/shelters/items?limit=1&workspace=live" })
        {
            var doc = await GetWithHost(url);
            hrefs.AddRange(doc.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("href").GetString()!));
            if (doc.TryGetProperty("collections", out var cs))
                hrefs.AddRange(cs.EnumerateArray().SelectMany(c => c.GetProperty("links").EnumerateArray()).Select(l => l.GetProperty("href").GetString()!));
        }
        var tj = await GetWithHost("/tiles/merged.json?workspace=live&evil=1");
        hrefs.Add(tj.GetProperty("tiles")[0].GetString()!);
        Assert.True(hrefs.Count > 10);
        Assert.All(hrefs, h => Assert.StartsWith("https://hub.example.jp/", h, StringComparison.Ordinal));
        Assert.All(hrefs, h => Assert.DoesNotContain("evil", h, StringComparison.Ordinal));
        Assert.Equal("https://hub.example.jp/tiles/merged/{z}/{x}/{y}.mvt?workspace=live", tj.GetProperty("tiles")[0].GetString());
    }
}

/// <summary>Rate limits partition by client address until a key is known valid.</summary>
public sealed class rate_limit_partition_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(new()
    {
        ["Hub:RateLimit:ReadBurst"] = "5",
        ["Hub:RateLimit:ReadPerSecond"] = "1",
        ["Hub:RateLimit:KeyLookupBurst"] = "3",
        ["Hub:RateLimit:KeyLookupsPerSecond"] = "1",
    });

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<HttpResponseMessage> Read(string? token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, "/ogc/conformance");
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _hub.Http.SendAsync(req);
    }

    [Fact]
    public async Task give_rotating_made_up_tokens_no_fresh_bucket_and_a_bounded_number_of_key_lookups()
    {
        var valid = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        Assert.Equal(HttpStatusCode.OK, (await Read(valid)).StatusCode); // verified once, cached
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await Read(null)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Read(null)).StatusCode);

        var lookupRefusals = 0;
        for (var i = 0; i < 12; i++)
        {
            var bogus = $"dh_k{i:x12}.{Guid.NewGuid():N}";
            var r = await Read(i % 2 == 0 ? bogus : "garbage-" + Guid.NewGuid());
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.NotNull(r.Headers.RetryAfter);
            if ((await r.Content.ReadAsStringAsync()).Contains("unknown API keys", StringComparison.Ordinal)) lookupRefusals++;
        }
        Assert.True(lookupRefusals >= 8, $"only {lookupRefusals} of 12 unknown tokens were refused a lookup");

        // a real key has its own bucket: the address's exhausted bucket does not touch it
        Assert.Equal(HttpStatusCode.OK, (await Read(valid)).StatusCode);
    }
}

/// <summary>Event streams: capped per client and in total, history in pages, reads on their own pool.</summary>
public sealed class event_stream_limits_should : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(new()
    {
        ["Hub:Events:MaxStreamsPerClient"] = "2",
        ["Hub:Events:MaxStreams"] = "3",
        ["Hub:Events:PageSize"] = "2",
        ["Hub:ReadPoolSize"] = "2",
    }, _clock);

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<HttpResponseMessage> Open(string query = "", string? token = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events" + query);
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _hub.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
    }

    [Fact]
    public async Task refuse_streams_beyond_the_per_client_and_global_caps_with_retry_after()
    {
        var a = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        var b = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        using var s1 = await Open();
        using var s2 = await Open();
        Assert.Equal(HttpStatusCode.OK, s1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, s2.StatusCode);
        using var s3 = await Open("", "dh_kbogus000000.madeup"); // a made-up key is the same client as its address
        Assert.Equal(HttpStatusCode.TooManyRequests, s3.StatusCode);
        Assert.NotNull(s3.Headers.RetryAfter);
        using var s4 = await Open("", a); // a valid key is its own client
        Assert.Equal(HttpStatusCode.OK, s4.StatusCode);
        using var s5 = await Open("", b); // but the node's total is 3
        Assert.Equal(HttpStatusCode.ServiceUnavailable, s5.StatusCode);
        Assert.NotNull(s5.Headers.RetryAfter);

        s1.Dispose();
        var reopened = HttpStatusCode.TooManyRequests;
        for (var i = 0; i < 50 && reopened != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            using var again = await Open();
            reopened = again.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, reopened); // a closed stream gives its slot back
    }

    [Fact]
    public async Task replay_history_in_pages_from_the_read_pool_while_pushes_go_through()
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var t0 = _clock.GetUtcNow();
        for (var i = 1; i <= 7; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            var doc = push_endpoint_should.StatusDoc(evacuees: i, observedAt: _clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ"));
            Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, doc)).StatusCode);
        }
        using var stream = await Open($"?at={Uri.EscapeDataString(t0.ToString("O"))}");
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var evacuees = new List<int>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (evacuees.Count < 7 && await reader.ReadLineAsync(timeout.Token) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                evacuees.Add(JsonDocument.Parse(line[6..]).RootElement.GetProperty("properties").GetProperty("attrs").GetProperty("evacuees").GetInt32());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], evacuees); // 4 pages of 2, in order, none twice

        // the stream waits now; a push still goes through and the read pool stays within its size
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, push_endpoint_should.StatusDoc(evacuees: 8, observedAt: _clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ")))).StatusCode);
        var readConnections = await _hub.Db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'DisasterHub read'");
        Assert.InRange(readConnections, 1, 2);
    }
}
