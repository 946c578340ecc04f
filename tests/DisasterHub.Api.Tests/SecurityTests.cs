using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;

namespace DisasterHub.Api.Tests;

/// <summary>The SSRF guard, tested through its decision and its connect callback with a recorder: no traffic leaves.</summary>
public sealed class ssrf_guard_should
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "metadata")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("100.64.0.1", "CGNAT")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("::1", "loopback")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fd00::1", "private")]
    [InlineData("::ffff:127.0.0.1", "IPv4-mapped")]
    [InlineData("::ffff:169.254.169.254", "metadata")]
    [InlineData("2002:7f00:1::", "6to4")]
    [InlineData("64:ff9b::a00:1", "NAT64")]
    public void refuse_internal_addresses(string address, string reasonContains)
    {
        var why = SsrfGuard.CheckAddress(IPAddress.Parse(address));
        Assert.NotNull(why);
        Assert.Contains(reasonContains, why, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("133.242.0.1")]
    [InlineData("2001:db8::1")]
    [InlineData("172.32.0.1")]
    public void allow_public_addresses(string address) => Assert.Null(SsrfGuard.CheckAddress(IPAddress.Parse(address)));

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.org/x")]
    [InlineData("gopher://example.org/")]
    public void allow_only_http_and_https(string url) => Assert.NotNull(SsrfGuard.CheckScheme(new Uri(url)));

    private sealed class Recorder
    {
        public List<IPEndPoint> Connects { get; } = [];

        public ValueTask<Stream> Connect(IPEndPoint ep, CancellationToken ct)
        {
            Connects.Add(ep);
            throw new HttpRequestException("recorder: not connecting");
        }
    }

    private static async Task<(Recorder, Exception)> GetThroughGuard(string url, Func<string, CancellationToken, Task<IPAddress[]>> dns)
    {
        var recorder = new Recorder();
        using var handler = new SocketsHttpHandler { ConnectCallback = SsrfGuard.ConnectCallback(dns, recorder.Connect), AllowAutoRedirect = true };
        using var client = new HttpClient(handler);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync(url));
        return (recorder, e);
    }

    [Fact]
    public async Task block_a_host_that_resolves_to_a_private_address_at_connect_time()
    {
        var (recorder, e) = await GetThroughGuard("http://feeds.example.test/x.xml", (_, _) => Task.FromResult(new[] { IPAddress.Parse("10.0.0.5") }));
        Assert.Empty(recorder.Connects);
        Assert.Contains("SSRF guard", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task block_the_metadata_address_given_literally_and_as_ipv4_mapped()
    {
        var (r1, _) = await GetThroughGuard("http://169.254.169.254/latest/meta-data/", (_, _) => Task.FromResult(Array.Empty<IPAddress>()));
        var (r2, _) = await GetThroughGuard("http://[::ffff:a9fe:a9fe]/latest/", (_, _) => Task.FromResult(Array.Empty<IPAddress>()));
        Assert.Empty(r1.Connects);
        Assert.Empty(r2.Connects);
    }

    [Fact]
    public async Task connect_only_to_the_allowed_address_when_dns_mixes_them()
    {
        var (recorder, _) = await GetThroughGuard("http://mixed.example.test/feed", (_, _) => Task.FromResult(new[] { IPAddress.Parse("127.0.0.1"), IPAddress.Parse("93.184.216.34") }));
        var ep = Assert.Single(recorder.Connects); // the recorder refuses, so nothing is sent anywhere
        Assert.Equal(IPAddress.Parse("93.184.216.34"), ep.Address);
    }

    [Fact]
    public async Task check_again_on_a_redirect_to_an_internal_address()
    {
        // A loopback server (the only traffic this test sends) redirects to the metadata address; the guard, at
        // connect time for the redirect, must refuse it.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var c = await listener.AcceptTcpClientAsync();
            var s = c.GetStream();
            var buf = new byte[4096];
            _ = await s.ReadAsync(buf);
            var resp = "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray();
            await s.WriteAsync(resp);
        });
        var connects = new List<IPEndPoint>();
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            // loopback is let through only for the first hop of this test, by the connector below; the guard's decision runs first
            ConnectCallback = async (ctx, ct) =>
            {
                var host = ctx.DnsEndPoint.Host;
                var ip = IPAddress.Parse(host);
                if (!IPAddress.IsLoopback(ip) && SsrfGuard.CheckAddress(ip) is { } why) throw new HttpRequestException($"blocked by the SSRF guard: {why}");
                connects.Add(new IPEndPoint(ip, ctx.DnsEndPoint.Port));
                var sock = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await sock.ConnectAsync(new IPEndPoint(ip, ctx.DnsEndPoint.Port), ct);
                return new System.Net.Sockets.NetworkStream(sock, true);
            },
        };
        using var client = new HttpClient(handler);
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/feed"));
        await server;
        listener.Stop();
        Assert.Contains("metadata", e.ToString(), StringComparison.Ordinal);
        Assert.All(connects, ep => Assert.True(IPAddress.IsLoopback(ep.Address)));
    }
}

public sealed class abuse_limits_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(new()
    {
        ["Hub:RateLimit:PushPerSecond"] = "1",
        ["Hub:RateLimit:PushBurst"] = "3",
    });

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task answer_429_with_retry_after_per_key_without_slowing_other_keys()
    {
        var noisy = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var quiet = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) statuses.Add((await _hub.PushAsync("nanao-status", noisy, push_endpoint_should.StatusDoc(evacuees: i))).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var limited = await _hub.PushAsync("nanao-status", noisy, push_endpoint_should.StatusDoc(evacuees: 99));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        // the other key still goes through at once
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", quiet, push_endpoint_should.StatusDoc(evacuees: 5))).StatusCode);
    }

    [Fact]
    public async Task let_only_admins_read_the_audit_log_which_records_writes()
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, push_endpoint_should.StatusDoc())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _hub.Http.GetAsync("/api/v1/audit")).StatusCode);
        using var asCity = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit");
        asCity.Headers.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.Http.SendAsync(asCity)).StatusCode);
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit?action=push");
        asAdmin.Headers.Authorization = new("Bearer", admin);
        var body = JsonDocument.Parse(await (await _hub.Http.SendAsync(asAdmin)).Content.ReadAsStringAsync()).RootElement;
        var entry = body.GetProperty("entries")[0];
        Assert.Equal("nanao-city", entry.GetProperty("organization").GetString());
        Assert.Equal("nanao-status", entry.GetProperty("target").GetString());
        Assert.Equal("127.0.0.1", entry.GetProperty("client_address").GetString());
        Assert.DoesNotContain("御祓", entry.ToString(), StringComparison.Ordinal); // no document content in the log
    }

    [Fact]
    public async Task show_the_hangfire_dashboard_to_admin_keys_only_on_every_route()
    {
        var city = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var admin = await _hub.CreateKeyAsync("hub-operator", "admin");
        async Task<HttpStatusCode> Get(string path, string? key, HttpMethod? method = null)
        {
            using var req = new HttpRequestMessage(method ?? HttpMethod.Get, path);
            if (key is not null) req.Headers.Authorization = new("Bearer", key);
            return (await _hub.Http.SendAsync(req)).StatusCode;
        }
        foreach (var path in new[] { "/hangfire", "/hangfire/recurring", "/hangfire/js18251100", "/hangfire/css18251100" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await Get(path, null));
            // a valid key without admin is authenticated now (the ApiKey scheme), so Hangfire answers 403, not 401
            Assert.Equal(HttpStatusCode.Forbidden, await Get(path, city));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/hangfire/stats", null, HttpMethod.Post));
        Assert.Equal(HttpStatusCode.OK, await Get("/hangfire", admin));
        Assert.Equal(HttpStatusCode.OK, await Get("/hangfire/recurring", admin));
        // read-only: even an admin cannot trigger a recurring job from the dashboard
        Assert.NotEqual(HttpStatusCode.NoContent, await Get("/hangfire/recurring/trigger", admin, HttpMethod.Post));
    }
}

public sealed class jurisdiction_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync(new()
    {
        ["Hub:Organizations:2:Id"] = "hokuriku-power",
        ["Hub:Organizations:2:Name"] = "北陸電力送配電 (fictional test org)",
        ["Hub:Organizations:2:Kind"] = "public_institution",
        // service area: a box around the Noto peninsula only
        ["Hub:Organizations:2:ServiceArea"] = """{"type":"Polygon","coordinates":[[[136.6,36.8],[137.4,36.8],[137.4,37.6],[136.6,37.6],[136.6,36.8]]]}""",
        ["Hub:Sources:2:Id"] = "hokuriku-outages",
        ["Hub:Sources:2:Kind"] = "push",
        ["Hub:Sources:2:Format"] = "power-push-json",
        ["Hub:Sources:2:Layer"] = "power_outages",
        ["Hub:Sources:2:OwnerOrg"] = "hokuriku-power",
    });

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task reject_shelters_a_municipality_pushes_for_another_municipality_and_keep_the_rest()
    {
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var doc = Encoding.UTF8.GetBytes("""
        {"observed_at":"2026-11-22T09:00:00+09:00","shelters":[
          {"id":"N-1","name":"七尾の避難所","municipality_code":"172022","status":"開設","evacuees":5,"lat":37.04,"lon":136.96},
          {"id":"W-1","name":"輪島の避難所","municipality_code":"172049","status":"開設","evacuees":5,"lat":37.39,"lon":136.90}
        ]}
        """);
        var r = await _hub.PushAsync("nanao-status", key, doc);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        var rejection = body.GetProperty("rejections")[0];
        Assert.Equal("/shelters/1", rejection.GetProperty("at").GetString());
        Assert.Contains("outside the jurisdiction of nanao-city", rejection.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE municipality_code = '172049'"));
    }

    [Fact]
    public async Task reject_outages_a_utility_posts_outside_its_service_area()
    {
        var key = await _hub.CreateKeyAsync("hokuriku-power", "push:power_outages");
        var doc = Encoding.UTF8.GetBytes("""
        {"utility":"hokuriku","observed_at":"2026-11-22T09:00:00+09:00","areas":[
          {"id":"A1","municipality_code":"172022","name":"七尾市","customers_out":1200,"customers_served":30000},
          {"id":"A2","municipality_code":"131016","name":"千代田区","customers_out":50,"customers_served":40000}
        ]}
        """);
        var r = await _hub.PushAsync("hokuriku-outages", key, doc);
        var text = await r.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        Assert.Contains("outside the service area of hokuriku-power", text, StringComparison.Ordinal);
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE municipality_code = '131016'"));
    }
}
