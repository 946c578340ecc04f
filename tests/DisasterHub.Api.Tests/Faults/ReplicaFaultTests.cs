using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests.Faults;

/// <summary>
/// Issue 16 item 8, reads that scale out: a primary of its own (initdb, wal_level=replica, a replication line for
/// loopback), a hot standby made from it with <c>pg_basebackup -R -X stream</c>, and two hub nodes writing to the primary
/// and reading from the standby (ConnectionStrings:HubRead). WAL replay is paused on the standby to prove that reads
/// are served by it (a change on the primary stays invisible to both nodes' reads until replay resumes), readiness
/// reports the lag, and with the primary stopped reads keep answering while pushes answer 503 + Retry-After.
/// </summary>
[Trait("Category", "Faults")]
[Collection("faults")]
public sealed class replica_drill_should(ITestOutputHelper output)
{
    private const string PgBin = Infrastructure.TestDatabase.PgBin;
    private const double MaxLagSeconds = 2;

    private void Figure(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("HUB_FIGURES") is { Length: > 0 } file)
            File.AppendAllText(file, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}\n");
    }

    private static byte[] Doc(int i) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{"id":"R{{i}}","name":"複製{{i}}","status":"開設","evacuees":{{i}},"lat":{{37.0 + (i % 20) * 0.0005:0.0000}},"lon":{{136.9 + (i / 20 % 40) * 0.0005:0.0000}}}]}""");

    private static async Task<HttpResponseMessage> PushAsync(HttpClient http, Uri hub, string token, int i)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri(hub, "api/v1/sources/nanao-status/documents")) { Content = new ByteArrayContent(Doc(i)) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("Idempotency-Key", $"replica-{i}");
        return await http.SendAsync(req);
    }

    /// <summary>The shelter names a node's OGC items page of the shelters layer holds.</summary>
    private static async Task<HashSet<string>> NamesAsync(HttpClient http, Uri hub)
    {
        using var r = await http.GetAsync(new Uri(hub, "ogc/collections/shelters/items?limit=1000"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return [.. doc.RootElement.GetProperty("features").EnumerateArray()
            .Select(f => f.GetProperty("properties").TryGetProperty("name", out var n) ? n.GetString() ?? "" : "")];
    }

    /// <summary>Whether a node's change feed (/api/v1/changes) holds a feature named so.</summary>
    private static async Task<bool> ChangesHoldAsync(HttpClient http, Uri hub, string name)
    {
        using var r = await http.GetAsync(new Uri(hub, "api/v1/changes?layer=shelters"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("changes").EnumerateArray().Any(c => c.GetProperty("feature").GetRawText().Contains(name, StringComparison.Ordinal)
            || (c.GetProperty("feature").TryGetProperty("properties", out var p) && p.TryGetProperty("name", out var n) && n.GetString() == name));
    }

    private static async Task<JsonElement> ReadyAsync(HttpClient http, Uri hub, HttpStatusCode? expect = null)
    {
        using var r = await http.GetAsync(new Uri(hub, "health/ready"));
        var body = await r.Content.ReadAsStringAsync();
        if (expect is { } e) Assert.True(r.StatusCode == e, $"/health/ready answered {(int)r.StatusCode}, not {(int)e}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [FaultFact]
    public async Task serve_reads_from_a_streaming_replica_report_its_lag_and_keep_reading_while_the_primary_is_down()
    {
        var home = DrillHome();
        await using var clusters = new DrillClusters(home);
        var primaryPort = HubProcess.FreePort();
        var standbyPort = HubProcess.FreePort();
        var primary = $"Host=127.0.0.1;Port={primaryPort};Username=postgres;Database=hub;Timezone=UTC";
        var standby = $"Host=127.0.0.1;Port={standbyPort};Username=postgres;Database=hub;Timezone=UTC";

        // the primary: its own cluster, replication allowed from loopback
        clusters.InitPrimary(primaryPort);
        await ExecAsync($"Host=127.0.0.1;Port={primaryPort};Username=postgres;Database=postgres", "CREATE DATABASE hub");
        await ExecAsync(primary, "CREATE EXTENSION IF NOT EXISTS postgis");
        // the standby: pg_basebackup -R (standby.signal + primary_conninfo) -X stream, started on its own port
        var copied = Stopwatch.StartNew();
        clusters.BaseBackup(primaryPort, standbyPort);
        Figure($"replica_basebackup_seconds={copied.Elapsed.TotalSeconds:0.0}");
        Assert.True(await ScalarAsync<bool>(standby, "SELECT pg_is_in_recovery()"), "the standby is not in recovery");

        var env = new Dictionary<string, string>
        {
            ["Hub__Scheduler"] = "false",
            ["ConnectionStrings__HubRead"] = standby,
            ["Hub__Replica__MaxLagSeconds"] = MaxLagSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var a = await HubProcess.StartAsync(primary, env);
        using var b = await HubProcess.StartAsync(primary, env);
        var keyOut = new StringWriter();
        await HubCli.KeysAsync(["create", "--org", "nanao-city", "--scopes", "push:shelters", "--db", primary], keyOut);
        var token = keyOut.ToString().Split("secret (shown once): ")[1].Trim();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        // 1. a push through A reaches B's reads once the standby replayed it; readiness reports the replica, current
        using (var r = await PushAsync(http, a.BaseUrl, token, 1)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await UntilAsync(async () => await ScalarAsync<long>(standby, "SELECT count(*) FROM feature WHERE source_key = 'R1'") == 1, 30, "the standby never replayed the first push");
        await UntilAsync(async () => (await NamesAsync(http, b.BaseUrl)).Contains("複製1"), 10, "node B never read the first push");
        var ready = await ReadyAsync(http, b.BaseUrl, HttpStatusCode.OK);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("replica").GetProperty("in_recovery").GetBoolean());

        // an event stream on B, open from here on: what it delivers, and when
        using var streamStop = new CancellationTokenSource();
        var streamed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var stream = StreamAsync(b.BaseUrl, streamed, streamStop.Token);
        await UntilAsync(() => Task.FromResult(streamed.Any(l => l.StartsWith(": connected", StringComparison.Ordinal))), 10, "B's event stream did not open");

        // 2. replay paused on the standby: a push committed on the primary is NOT in either node's reads — they are served by the standby
        await ExecAsync(standby, "SELECT pg_wal_replay_pause()");
        await UntilAsync(async () => await ScalarAsync<string>(standby, "SELECT pg_get_wal_replay_pause_state()") == "paused", 10, "replay did not pause");
        using (var r = await PushAsync(http, a.BaseUrl, token, 2)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(1, await ScalarAsync<long>(primary, "SELECT count(*) FROM feature WHERE source_key = 'R2'")); // written, on the primary
        await Task.Delay(TimeSpan.FromSeconds(MaxLagSeconds + 0.5)); // past the lag bound (and past the NOTIFY's wait for the replica)
        Assert.DoesNotContain("複製2", await NamesAsync(http, b.BaseUrl));
        Assert.DoesNotContain("複製2", await NamesAsync(http, a.BaseUrl)); // read-your-writes: the writer's own node reads the replica too
        Assert.False(await ChangesHoldAsync(http, b.BaseUrl, "複製2"), "node B's change feed read the primary");
        Assert.False(Streamed(streamed, "複製2"), "node B's event stream delivered a change the standby had not replayed");
        Assert.Equal(0, await ScalarAsync<long>(standby, "SELECT count(*) FROM feature WHERE source_key = 'R2'"));
        // a tile B caches now, past the bound, is the standby's older state; it must not outlive the replay
        var staleTile = await TileAsync(http, b.BaseUrl);
        // readiness: the replica lags past the bound → not ready, with the lag in seconds and bytes
        ready = await ReadyAsync(http, b.BaseUrl, HttpStatusCode.ServiceUnavailable);
        var replica = ready.GetProperty("replica");
        Assert.Equal("lagging", replica.GetProperty("status").GetString());
        var lagSeconds = replica.GetProperty("lag_seconds").GetDouble();
        var lagBytes = replica.GetProperty("lag_bytes").GetInt64();
        Assert.True(lagSeconds > MaxLagSeconds, $"lag_seconds {lagSeconds}");
        Assert.True(lagBytes > 0, $"lag_bytes {lagBytes}");
        Assert.True(replica.GetProperty("hosts")[0].GetProperty("replay_paused").GetBoolean());
        Figure($"replica_paused lag_seconds={lagSeconds:0.0} lag_bytes={lagBytes} ready_status={ready.GetProperty("status").GetString()}");

        // replay resumes: B reads it
        var resumed = Stopwatch.StartNew();
        await ExecAsync(standby, "SELECT pg_wal_replay_resume()");
        await UntilAsync(async () => (await NamesAsync(http, b.BaseUrl)).Contains("複製2"), 15, "node B never read the push after replay resumed");
        var seenAfterResume = resumed.Elapsed.TotalMilliseconds;
        await UntilAsync(async () => await ChangesHoldAsync(http, b.BaseUrl, "複製2"), 10, "node B's change feed never showed the push");
        // the stream was woken at the lag bound, found nothing on the standby, and is woken again once it caught up
        await UntilAsync(() => Task.FromResult(Streamed(streamed, "複製2")), 10, "node B's event stream never delivered the push after replay resumed");
        streamStop.Cancel();
        await stream;
        await UntilAsync(async () => !(await TileAsync(http, b.BaseUrl)).AsSpan().SequenceEqual(staleTile), 5, "node B kept serving the tile it cached while the standby lagged");
        await UntilAsync(async () => (await ReadyAsync(http, b.BaseUrl)).GetProperty("status").GetString() == "ready", 10, "readiness did not recover after replay resumed");

        // 3. replay lag under pushes: from a push's 200 on A to its row on the standby, and to B's items page
        var replayMs = new List<double>();
        var nodeBMs = new List<double>();
        const int measured = 30;
        for (var i = 100; i < 100 + measured; i++)
        {
            using (var r = await PushAsync(http, a.BaseUrl, token, i)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var sw = Stopwatch.StartNew();
            await UntilAsync(async () => await ScalarAsync<long>(standby, $"SELECT count(*) FROM feature WHERE source_key = 'R{i}'") == 1, 10, $"push {i} never replayed", pollMs: 2);
            replayMs.Add(sw.Elapsed.TotalMilliseconds);
            if (i % 5 == 0)
            {
                await UntilAsync(async () => (await NamesAsync(http, b.BaseUrl)).Contains($"複製{i}"), 10, $"B never read push {i}", pollMs: 5);
                nodeBMs.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        replayMs.Sort();
        nodeBMs.Sort();
        Figure($"replica_replay pushes={measured} ack_to_replayed_ms_median={replayMs[measured / 2]:0.0} p95={replayMs[(int)(measured * 0.95)]:0.0} max={replayMs[^1]:0.0} " +
            $"ack_to_node_b_items_ms_median={nodeBMs[nodeBMs.Count / 2]:0.0} max={nodeBMs[^1]:0.0} resume_to_node_b_ms={seenAfterResume:0}");

        // 4. the primary stops: reads keep answering from the standby; pushes answer 503 + Retry-After (problem details)
        var before = await NamesAsync(http, b.BaseUrl);
        clusters.Stop(clusters.Primary);
        var afterStop = await NamesAsync(http, b.BaseUrl);
        Assert.Superset(before, afterStop);
        Assert.Contains("複製2", afterStop);
        using (var tile = await http.GetAsync(new Uri(b.BaseUrl, "tiles/shelters/9/450/199.mvt")))
            Assert.True(tile.IsSuccessStatusCode, $"a tile answered {(int)tile.StatusCode} with the primary down");
        using (var roll = await http.GetAsync(new Uri(b.BaseUrl, "ogc/collections/reporting_status/items?pref=17")))
            Assert.True(roll.StatusCode == HttpStatusCode.OK, $"the roll-up answered {(int)roll.StatusCode} with the primary down: {await roll.Content.ReadAsStringAsync()}");
        Assert.True(await ChangesHoldAsync(http, b.BaseUrl, "複製2"));
        var writes = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var r = await PushAsync(http, a.BaseUrl, token, 500 + i);
            var body = await r.Content.ReadAsStringAsync();
            writes.Add(r.StatusCode);
            Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"a push with the primary down answered {(int)r.StatusCode}: {body}");
            Assert.NotNull(r.Headers.RetryAfter);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        }
        ready = await ReadyAsync(http, b.BaseUrl, HttpStatusCode.OK);
        Assert.Equal("read-only", ready.GetProperty("status").GetString());
        Assert.Equal("unreachable", ready.GetProperty("database").GetString());
        Assert.True(ready.GetProperty("replica").GetProperty("in_recovery").GetBoolean());

        // 5. the primary is back: pushes succeed again and reach B through the standby
        var down = Stopwatch.StartNew();
        clusters.Start(clusters.Primary);
        HttpStatusCode last = 0;
        await UntilAsync(async () =>
        {
            using var r = await PushAsync(http, a.BaseUrl, token, 900);
            last = r.StatusCode;
            return last == HttpStatusCode.OK;
        }, 30, "pushes did not recover after the primary restarted", pollMs: 250);
        var writesBackMs = down.Elapsed.TotalMilliseconds;
        await UntilAsync(async () => (await NamesAsync(http, b.BaseUrl)).Contains("複製900"), 30, "B never read the push made after the primary came back", pollMs: 100);
        Figure($"replica_primary_down reads_while_down={afterStop.Count} writes_while_down={string.Join('/', writes.Select(s => (int)s))} " +
            $"writes_back_ms_after_start={writesBackMs:0} replica_caught_up_ms_after_start={down.Elapsed.TotalMilliseconds:0}");
    }

    /// <summary>Read B's <c>/api/v1/events?layer=shelters</c> line by line into <paramref name="lines"/> until cancelled.</summary>
    private static async Task StreamAsync(Uri hub, System.Collections.Concurrent.ConcurrentQueue<string> lines, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var r = await http.GetAsync(new Uri(hub, "api/v1/events?layer=shelters"), HttpCompletionOption.ResponseHeadersRead, ct);
            using var reader = new StreamReader(await r.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line) lines.Enqueue(line);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }

    /// <summary>A change event naming the shelter (its data as the hub wrote it, raw or \u-escaped).</summary>
    private static bool Streamed(IEnumerable<string> lines, string name) =>
        lines.Any(l => l.StartsWith("data:", StringComparison.Ordinal) && (l.Contains(name, StringComparison.Ordinal) || Unescaped(l).Contains(name, StringComparison.Ordinal)));

    private static string Unescaped(string line)
    {
        try
        {
            return System.Text.RegularExpressions.Regex.Unescape(line);
        }
        catch (ArgumentException)
        {
            return line;
        }
    }

    /// <summary>The z9 tile over the drill's shelters (37.0 N, 136.9 E), as node B serves it.</summary>
    private static async Task<byte[]> TileAsync(HttpClient http, Uri hub)
    {
        using var r = await http.GetAsync(new Uri(hub, "tiles/shelters/9/450/199.mvt"));
        Assert.True(r.IsSuccessStatusCode, $"the tile answered {(int)r.StatusCode}");
        return await r.Content.ReadAsByteArrayAsync();
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, double seconds, string failure, int pollMs = 50)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await condition()) return;
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(pollMs);
        }
    }

    private static async Task ExecAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs + ";Pooling=false");
        await conn.OpenAsync();
        await using var c = new NpgsqlCommand(sql, conn);
        await c.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs + ";Pooling=false");
        await conn.OpenAsync();
        await using var c = new NpgsqlCommand(sql, conn);
        return (T)(await c.ExecuteScalarAsync())!;
    }

    /// <summary>Beside the test cluster (.data/test/replica-drill), which the postgres user can reach.</summary>
    private static string DrillHome()
    {
        var testData = Environment.GetEnvironmentVariable("HUB_PGDATA") ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../.data/test/pg"));
        return Path.Combine(Path.GetDirectoryName(testData.TrimEnd('/'))!, "replica-drill");
    }

    /// <summary>The drill's two clusters, run as the postgres user; stopped and removed at the end.</summary>
    private sealed class DrillClusters : IAsyncDisposable
    {
        private readonly string home;
        public string Primary => Path.Combine(home, "primary");
        public string Standby => Path.Combine(home, "standby");

        public DrillClusters(string home)
        {
            this.home = home;
            Cleanup();
            Directory.CreateDirectory(home);
            if (Environment.UserName == "root") Run("chown", "postgres:postgres", home);
        }

        public void InitPrimary(int port)
        {
            AsPostgres($"{PgBin}/initdb", "-D", Primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
            File.AppendAllText(Path.Combine(Primary, "postgresql.conf"), $"""

                # replica drill: the primary
                listen_addresses = '127.0.0.1'
                port = {port}
                unix_socket_directories = ''
                max_connections = 200
                shared_buffers = 64MB
                wal_level = replica
                max_wal_senders = 4
                timezone = 'UTC'
                log_min_messages = warning

                """);
            File.AppendAllText(Path.Combine(Primary, "pg_hba.conf"), "\nhost replication postgres 127.0.0.1/32 trust\n");
            Start(Primary);
        }

        public void BaseBackup(int primaryPort, int standbyPort)
        {
            AsPostgres($"{PgBin}/pg_basebackup", "-h", "127.0.0.1", "-p", primaryPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-U", "postgres", "-D", Standby, "-R", "-X", "stream", "-c", "fast");
            File.AppendAllText(Path.Combine(Standby, "postgresql.conf"), $"\n# replica drill: the standby\nport = {standbyPort}\nhot_standby = on\n");
            Start(Standby);
        }

        public void Start(string dir) => AsPostgres($"{PgBin}/pg_ctl", "-D", dir, "-l", Path.Combine(home, Path.GetFileName(dir) + ".log"), "-w", "-t", "60", "start");

        public void Stop(string dir, string mode = "fast") => AsPostgres($"{PgBin}/pg_ctl", "-D", dir, "-m", mode, "-w", "stop");

        private void Cleanup()
        {
            foreach (var dir in new[] { Standby, Primary })
                if (File.Exists(Path.Combine(dir, "postmaster.pid"))) AsPostgres(false, $"{PgBin}/pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop");
            if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        }

        public ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                Cleanup();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            return ValueTask.CompletedTask;
        }

        private static void AsPostgres(string exe, params string[] args) => AsPostgres(true, exe, args);

        private static void AsPostgres(bool check, string exe, params string[] args)
        {
            var code = Environment.UserName == "root" ? Run("runuser", ["-u", "postgres", "--", exe, .. args]) : Run(exe, args);
            if (check) Assert.True(code.Exit == 0, $"{Path.GetFileName(exe)} {string.Join(' ', args)} failed: {code.Error}");
        }

        private static (int Exit, string Error) Run(string exe, params string[] args)
        {
            var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            // with a timeout: a started postmaster must not keep this waiting on the pipes
            if (!p.WaitForExit(120_000)) return (-1, $"{exe} still running after 120 s");
            return (p.ExitCode, err.Wait(2000) ? err.Result : "");
        }
    }
}
