using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 18 item 3: a feed that wants credentials (a header key, basic auth, a token in the query) gets them from the
/// source's configuration, stored encrypted; they reach the feed's own origin only — not a redirect to another — and
/// appear nowhere else: not in logs (every level), <c>/api/v1/sources</c>, the source's error, the audit log, the raw
/// documents or the database in clear.
/// </summary>
public sealed class feed_credentials_should : IAsyncLifetime
{
    private const string HeaderSecret = "hdr-S3CRET-4b1d";
    private const string QuerySecret = "qry-S3CRET-77aa";
    private const string BasicSecret = "pw-S3CRET-9e0f";
    private static readonly string[] Secrets = [HeaderSecret, QuerySecret, BasicSecret, Convert.ToBase64String(Encoding.UTF8.GetBytes($"feeduser:{BasicSecret}"))];

    private WebApplication _feed = null!, _elsewhere = null!;
    private string _feedUrl = "";
    private HubServer _hub = null!;
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly ConcurrentQueue<string> _elsewhereSaw = new();

    private static readonly byte[] Csv = Encoding.UTF8.GetBytes(
        "ID,名称,全国地方公共団体コード,所在地_連結表記,緯度,経度,災害種別_地震,災害種別_津波,災害種別_大規模な火事,想定収容人数,開設状況,人数,時点\r\n"
        + "K1,鍵付き避難所,172022,石川県七尾市演習町1-1,37.0432,136.9581,1,1,,400人,開設,10,2026-11-22T09:00:00+09:00\r\n");

    public async Task InitializeAsync()
    {
        (_elsewhere, var elsewhereUrl) = await Loopback.StartAsync(app => app.Run(async ctx =>
        {
            _elsewhereSaw.Enqueue($"{ctx.Request.Path}{ctx.Request.QueryString} {string.Join(' ', ctx.Request.Headers.Select(h => $"{h.Key}={h.Value}"))}");
            ctx.Response.ContentType = "text/csv";
            await ctx.Response.Body.WriteAsync(Csv);
        }));
        (_feed, var feedUrl) = await Loopback.StartAsync(app =>
        {
            app.MapGet("/header.csv", (HttpRequest r) => r.Headers["X-API-Key"] == HeaderSecret ? Results.Bytes(Csv, "text/csv") : Results.StatusCode(401));
            app.MapGet("/query.csv", (HttpRequest r) => r.Query["token"] == QuerySecret ? Results.Bytes(Csv, "text/csv") : Results.StatusCode(401));
            app.MapGet("/basic.csv", (HttpRequest r) => r.Headers.Authorization == $"Basic {Secrets[3]}" ? Results.Bytes(Csv, "text/csv") : Results.StatusCode(401));
            // a same-origin hop (credentials again), then another origin (none)
            app.MapGet("/moved.csv", (HttpRequest r) => r.Headers["X-API-Key"] == HeaderSecret ? Results.Redirect("/moved-again.csv") : Results.StatusCode(401));
            app.MapGet("/moved-again.csv", (HttpRequest r) => r.Headers["X-API-Key"] == HeaderSecret ? Results.Redirect($"{elsewhereUrl}/cdn/shelters.csv") : Results.StatusCode(401));
        });
        _feedUrl = feedUrl;
        var s = new Dictionary<string, string?>();
        void Source(int i, string id, string path, params (string Key, string Value)[] creds)
        {
            s[$"Hub:Sources:{i}:Id"] = id;
            s[$"Hub:Sources:{i}:Kind"] = "pull";
            s[$"Hub:Sources:{i}:Format"] = "da-shelter-csv";
            s[$"Hub:Sources:{i}:Layer"] = "shelters";
            s[$"Hub:Sources:{i}:Url"] = feedUrl + path;
            s[$"Hub:Sources:{i}:Internal"] = "true";
            s[$"Hub:Sources:{i}:OwnerOrg"] = "";
            foreach (var (k, v) in creds) s[$"Hub:Sources:{i}:Credentials:{k}"] = v;
        }
        Source(10, "key-header", "/header.csv", ("Header", "X-API-Key"), ("Value", HeaderSecret));
        Source(11, "key-query", "/query.csv?region=17", ("Query", "token"), ("Value", QuerySecret));
        Source(12, "key-basic", "/basic.csv", ("Username", "feeduser"), ("Password", BasicSecret));
        Source(13, "key-moved", "/moved.csv", ("Header", "X-API-Key"), ("Value", HeaderSecret));
        Source(14, "key-wrong", "/header.csv", ("Header", "X-API-Key"), ("Value", "not-the-key"));
        _hub = await HubServer.StartAsync(s, configure: b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Trace);
            b.Logging.AddProvider(new LogCapture(_logs));
        });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        foreach (var app in new[] { _feed, _elsewhere })
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private Task<IngestOutcome?> PullAsync(string source) => _hub.PullAsync(source);

    [Fact]
    public async Task send_each_kind_to_the_feed_and_show_it_nowhere()
    {
        foreach (var id in new[] { "key-header", "key-query", "key-basic" })
        {
            var outcome = await PullAsync(id);
            Assert.True(outcome is { Status: IngestStatus.Ingested, Accepted: 1 }, $"{id}: {outcome?.Status} {outcome?.Accepted}");
        }
        Assert.Null(await PullAsync("key-wrong")); // the feed's 401 is the source's error
        var sources = await _hub.Http.GetStringAsync("/api/v1/sources");
        Assert.Contains("\"credentials\":true", sources, StringComparison.Ordinal);
        Assert.Contains("HTTP 401", sources, StringComparison.Ordinal);

        var stored = string.Join('\n', (await _hub.Db.RowsAsync("""
            SELECT coalesce(s.url, '') || ' ' || coalesce(s.last_error, '') || ' ' || encode(coalesce(s.credentials, ''::bytea), 'escape') FROM source s
            UNION ALL SELECT coalesce(fetch_url, '') FROM raw_document
            UNION ALL SELECT coalesce(action, '') || ' ' || coalesce(target, '') FROM audit
            """)).Select(r => (string)r[0]!));
        Assert.Equal(5L, await _hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE credentials IS NOT NULL"));
        var logs = string.Join('\n', _logs);
        Assert.Contains("GET http://127.0.0.1:", logs, StringComparison.Ordinal); // the pulls were logged, their URLs redacted
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, sources, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task follow_a_redirect_to_another_origin_without_the_credentials()
    {
        var outcome = await PullAsync("key-moved");
        Assert.True(outcome is { Status: IngestStatus.Ingested, Accepted: 1 }, $"{outcome?.Status}");
        var saw = Assert.Single(_elsewhereSaw);
        Assert.StartsWith("/cdn/shelters.csv", saw, StringComparison.Ordinal);
        Assert.DoesNotContain(HeaderSecret, saw, StringComparison.Ordinal);
        Assert.DoesNotContain("X-API-Key", saw, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("another origin: without the source's credentials", string.Join('\n', _logs), StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 14 §2: credentials given through <c>POST/PATCH /api/v1/sources</c> and <c>./hub sources add</c> are
    /// stored encrypted with the hub's key ring (the CLI's too: the hub decrypts what it stored), sent to the feed,
    /// listed only as <c>credentials: true</c>, audited as "set"/"removed" without their value, and refused field by
    /// field when malformed.
    /// </summary>
    [Fact]
    public async Task take_them_through_the_api_and_the_cli_and_keep_them_secret()
    {
        using var admin = _hub.ClientFor(await _hub.CreateKeyAsync("ops", "admin"));
        var feed = _feedUrl;
        var created = await admin.PostAsJsonAsync("/api/v1/sources", new
        {
            id = "api-keyed", kind = "pull", format = "da-shelter-csv", layer = "shelters", url = $"{feed}/header.csv", @internal = true,
            credentials = new { header = "X-API-Key", value = HeaderSecret },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(await PullAsync("api-keyed") is { Status: IngestStatus.Ingested, Accepted: 1 });

        // a wrong value replaces it (the feed says 401), an empty object removes it (still 401: none sent)
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PatchAsJsonAsync("/api/v1/sources/api-keyed", new { credentials = new { header = "X-API-Key", value = "nope" } })).StatusCode);
        Assert.Null(await PullAsync("api-keyed"));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PatchAsJsonAsync("/api/v1/sources/api-keyed", new { credentials = new { } })).StatusCode);
        Assert.Equal(0L, await _hub.Db.ScalarAsync("SELECT count(*) FROM source WHERE id = 'api-keyed' AND credentials IS NOT NULL"));

        foreach (var (body, field) in new (object Body, string Field)[]
        {
            (new { credentials = new { header = "X API Key", value = "v" } }, "credentials/header"),
            (new { credentials = new { header = "X-API-Key" } }, "credentials/value"),
            (new { credentials = new { header = "X-API-Key", query = "token", value = "v" } }, "credentials"),
            (new { credentials = new { username = "a:b", password = "p" } }, "credentials/username"),
        })
        {
            var refused = await admin.PatchAsJsonAsync("/api/v1/sources/api-keyed", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal(field, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("parameter").GetString());
        }
        var push = await admin.PostAsJsonAsync("/api/v1/sources", new
        {
            id = "api-push-keyed", kind = "push", format = "da-shelter-csv", layer = "shelters", credentials = new { header = "X-API-Key", value = "v" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, push.StatusCode);
        Assert.Equal("credentials", (await push.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("parameter").GetString());

        // the CLI: the secret from stdin, encrypted with the hub's own key ring
        Assert.Equal(0, await HubCli.SourcesAsync(["add", "cli-keyed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "shelters",
            "--url", $"{feed}/basic.csv", "--internal", "--credential-user", "feeduser", "--db", _hub.Db.ConnectionString], new StringReader(BasicSecret + "\n"), new StringWriter()));
        Assert.True(await PullAsync("cli-keyed") is { Status: IngestStatus.Ingested, Accepted: 1 });

        var audit = await _hub.Db.RowsAsync("SELECT detail::text FROM audit WHERE target IN ('api-keyed', 'api-push-keyed', 'cli-keyed')");
        var detail = string.Join('\n', audit.Select(r => (string)r[0]!));
        Assert.Contains("\"credentials\":\"set\"", detail.Replace(" ", ""), StringComparison.Ordinal);
        Assert.Contains("\"credentials\":\"removed\"", detail.Replace(" ", ""), StringComparison.Ordinal);
        var listed = await admin.GetStringAsync("/api/v1/sources");
        var stored = string.Join('\n', (await _hub.Db.RowsAsync("SELECT encode(credentials, 'escape') FROM source WHERE credentials IS NOT NULL")).Select(r => (string)r[0]!));
        foreach (var secret in Secrets.Append("nope"))
        {
            Assert.DoesNotContain(secret, detail, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }
}
