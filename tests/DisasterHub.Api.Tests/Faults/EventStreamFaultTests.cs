using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests.Faults;

/// <summary>
/// Issue 17: 150 anonymous event streams replaying history (<c>at=</c>) once took every pool connection, and a push
/// took 14.7 s. Streams now read from their own pool, so ingest and health keep theirs.
/// </summary>
[Trait("Category", "Faults")]
[Collection("faults")]
public sealed class event_stream_drills_should(ITestOutputHelper output)
{
    private const int Streams = 150;

    private void Figure(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("HUB_FIGURES") is { Length: > 0 } file)
            File.AppendAllText(file, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}\n");
    }

    private static byte[] Doc(int i, DateTime observed) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"{{observed:yyyy-MM-ddTHH:mm:ss}}Z","shelters":[{"id":"S{{i % 40}}","name":"配信{{i}}","status":"開設","evacuees":{{i}},"lat":{{37.0 + (i % 40) * 0.001:0.000}},"lon":136.95}]}""");

    private static async Task<(HttpStatusCode Status, double Ms)> Push(HttpClient http, Uri hub, string token, int i, DateTime observed)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(hub, "api/v1/sources/nanao-status/documents")) { Content = new ByteArrayContent(Doc(i, observed)) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var sw = Stopwatch.StartNew();
        var r = await http.SendAsync(req);
        return (r.StatusCode, sw.Elapsed.TotalMilliseconds);
    }

    [FaultFact]
    public async Task keep_pushes_under_1_s_and_readiness_within_a_probe_timeout_with_150_history_streams_open()
    {
        await using var db = await TestDatabase.CreateAsync();
        var env = new Dictionary<string, string>
        {
            ["Hub__Scheduler"] = "false",
            // one loopback address plays 150 clients here: lift the per-client cap so all of them really stream
            ["Hub__Events__MaxStreamsPerClient"] = "1000",
        };
        using var hub = await HubProcess.StartAsync(db.ConnectionString, env);
        var keyOut = new StringWriter();
        await HubCli.KeysAsync(["create", "--org", "nanao-city", "--scopes", "push:shelters", "--db", db.ConnectionString], keyOut);
        var token = keyOut.ToString().Split("secret (shown once): ")[1].Trim();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        // history for the streams to replay
        var start = DateTime.UtcNow.AddMinutes(-10);
        var t0 = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 200; i++)
            Assert.Equal(HttpStatusCode.OK, (await Push(http, hub.BaseUrl, token, i, start.AddSeconds(i))).Status);

        // the same measurements without streams: what this machine gives at the moment (it is shared)
        var baselinePush = new List<double>();
        var baselineReady = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            baselinePush.Add((await Push(http, hub.BaseUrl, token, 500 + i, DateTime.UtcNow.AddSeconds(-30 + i))).Ms);
            var sw0 = Stopwatch.StartNew();
            await http.GetAsync(new Uri(hub.BaseUrl, "health/ready"));
            baselineReady.Add(sw0.Elapsed.TotalMilliseconds);
        }

        using var stop = new CancellationTokenSource();
        var opened = 0;
        var events = 0L;
        var refused = new ConcurrentBag<HttpStatusCode>();
        var readers = Enumerable.Range(0, Streams).Select(_ => Task.Run(async () =>
        {
            try
            {
                using var r = await http.GetAsync(new Uri(hub.BaseUrl, $"api/v1/events?at={Uri.EscapeDataString(t0.ToString("O"))}"), HttpCompletionOption.ResponseHeadersRead, stop.Token);
                if (r.StatusCode != HttpStatusCode.OK)
                {
                    refused.Add(r.StatusCode);
                    return;
                }
                Interlocked.Increment(ref opened);
                using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(stop.Token));
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                    if (line.StartsWith("data: ", StringComparison.Ordinal)) Interlocked.Increment(ref events);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
                // the drill is over
            }
        })).ToList();
        for (var i = 0; i < 100 && Volatile.Read(ref opened) + refused.Count < Streams; i++) await Task.Delay(100);
        Assert.Empty(refused);
        Assert.Equal(Streams, Volatile.Read(ref opened));

        // every push wakes all 150 streams at once: measure pushes and readiness inside that storm
        var pushMs = new List<double>();
        var readyMs = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var push = await Push(http, hub.BaseUrl, token, 1000 + i, DateTime.UtcNow.AddSeconds(-5 + i * 0.1));
            Assert.Equal(HttpStatusCode.OK, push.Status);
            pushMs.Add(push.Ms);
            var sw = Stopwatch.StartNew();
            var ready = await http.GetAsync(new Uri(hub.BaseUrl, "health/ready"));
            readyMs.Add(sw.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            await Task.Delay(200);
        }
        var seen = Interlocked.Read(ref events);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Figure($"event_streams streams={Streams} open={opened} events_delivered={seen} push_max_ms={pushMs.Max():0} push_ms=[{string.Join(' ', pushMs.Select(m => m.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}] push_median_ms={pushMs.Order().ElementAt(pushMs.Count / 2):0} ready_max_ms={readyMs.Max():0} ready_ms=[{string.Join(' ', readyMs.Select(m => m.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}] without_streams: push_max_ms={baselinePush.Max():0} ready_max_ms={baselineReady.Max():0} load_avg={File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Assert.True(seen >= Streams * 40L, $"streams replayed only {seen} events");
        Assert.True(pushMs.Max() < 1000, $"a push took {pushMs.Max():0} ms with {Streams} streams open");
        // A load balancer's readiness probe gives up after 1 s (Kubernetes' default timeoutSeconds) and takes a node out
        // only after several failures in a row: every probe must answer inside that, and 9 of 10 within half a second.
        // Starved pools (what the drill guards) made every request take seconds; one pause of a shared 2-core machine
        // (a CI run once saw 543 ms on the last of ten samples, the others ≤ 17 ms) is not that.
        var readyP90 = readyMs.Order().ElementAt(readyMs.Count * 9 / 10 - 1);
        Assert.True(readyMs.Max() < 1000, $"/health/ready took {readyMs.Max():0} ms with {Streams} streams open: past a readiness probe's timeout");
        Assert.True(readyP90 < 500, $"/health/ready took {readyP90:0} ms at p90 with {Streams} streams open");
    }
}
