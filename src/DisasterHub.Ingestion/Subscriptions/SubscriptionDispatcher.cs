using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using DisasterHub.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Ingestion.Subscriptions;

/// <summary>Settings of subscription delivery (<c>Hub:Subscriptions</c>).</summary>
public sealed class SubscriptionOptions
{
    /// <summary>Let webhooks reach loopback and private addresses (tests, a hub inside one network); off by default.</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>Attempts before a delivery is dead.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The first retry's delay; each further retry doubles it.</summary>
    public int RetryBaseMilliseconds { get; set; } = 2000;

    public int TimeoutMilliseconds { get; set; } = 5000;
    public int PollMilliseconds { get; set; } = 1000;
    public int LookbackChanges { get; set; } = 1000;
}

/// <summary>
/// Turns merged changes into webhook deliveries and delivers them, on every node: matching runs under
/// <c>FOR UPDATE SKIP LOCKED</c> on the subscriptions and delivery picks due rows the same way, so each delivery is
/// attempted by one node at a time. A change wakes it at once (<see cref="ChangeSignal"/>, fed by LISTEN on every
/// node); otherwise it polls. Each POST carries <c>X-DisasterHub-Signature: sha256=HEX</c>, the HMAC-SHA256 of
/// <c>{timestamp}.{body}</c> under the subscription's secret, with <c>X-DisasterHub-Timestamp</c> and
/// <c>X-DisasterHub-Delivery</c>; a non-2xx answer or no answer is retried with doubling delays, then marked dead.
/// </summary>
public sealed class SubscriptionDispatcher(NpgsqlDataSource db, IHttpClientFactory http, ChangeSignal changes, TimeProvider clock,
    IOptions<SubscriptionOptions> options, ILogger<SubscriptionDispatcher> log) : BackgroundService
{
    public const string GuardedClient = "webhooks", PrivateClient = "webhooks-private";
    private readonly SemaphoreSlim _wake = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        void Wake(string _, IReadOnlyList<string> __)
        {
            if (_wake.CurrentCount == 0) try { _wake.Release(); } catch (SemaphoreFullException) { }
        }
        changes.Changed += Wake;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogWarning("Subscription dispatch failed: {Message}", e.Message);
                }
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(options.Value.PollMilliseconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            changes.Changed -= Wake;
        }
    }

    /// <summary>One round: match new changes, then deliver what is due. Returns (new deliveries, attempts made).</summary>
    public async Task<(long Matched, int Attempted)> RunOnceAsync(CancellationToken ct)
    {
        long matched;
        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            // Prepared, with its generic plan: it runs after every change, and planning it (merged_feature's partitions,
            // its history, the deletion markers) took 2–3 ms each time on a national database, a hundred times what
            // running it takes when nothing matched. A prepared statement stays on the pooled connection; left to
            // choose, PostgreSQL kept planning it for each call's values (a custom plan), which change nothing here.
            await using (var g = new NpgsqlCommand("SET LOCAL plan_cache_mode = force_generic_plan", conn, tx))
                await g.ExecuteNonQueryAsync(ct);
            await using var c = new NpgsqlCommand(SqlFiles.Get("subscription_match"), conn, tx);
            c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
            c.Parameters.AddWithValue("lookback", (long)options.Value.LookbackChanges);
            await c.PrepareAsync(ct);
            await using (var r = await c.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                matched = r.GetInt64(0);
            }
            await tx.CommitAsync(ct);
        }
        var attempted = 0;
        while (await DeliverBatchAsync(ct) is var n && n > 0) attempted += n;
        return (matched, attempted);
    }

    private sealed record Due(long Id, Guid Subscription, long ChangeSeq, string Payload, int Attempts, string Url, string Secret);

    private async Task<int> DeliverBatchAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var due = new List<Due>();
        await using (var c = new NpgsqlCommand(SqlFiles.Get("subscription_due"), conn, tx))
        {
            c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
            c.Parameters.AddWithValue("batch", 20);
            await c.PrepareAsync(ct); // as the match above: after every change
            await using var r = await c.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                due.Add(new Due(r.GetInt64(0), r.GetGuid(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetString(6)));
        }
        if (due.Count == 0) return 0;
        var client = http.CreateClient(options.Value.AllowPrivateTargets ? PrivateClient : GuardedClient);
        foreach (var d in due)
        {
            var (status, error) = await PostAsync(client, d, ct);
            var now = clock.GetUtcNow();
            var attempts = d.Attempts + 1;
            var ok = status is >= 200 and < 300;
            var dead = !ok && attempts >= options.Value.MaxAttempts;
            var next = now.AddMilliseconds(options.Value.RetryBaseMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 16)));
            await using var u = new NpgsqlCommand("""
                UPDATE subscription_delivery SET attempts = @attempts, last_status = @status, last_error = @error,
                    status = @state, next_attempt_at = @next, delivered_at = CASE WHEN @state = 'delivered' THEN @now END
                WHERE id = @id
                """, conn, tx);
            u.Parameters.AddWithValue("attempts", attempts);
            u.Parameters.Add(new NpgsqlParameter("status", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)status ?? DBNull.Value });
            u.Parameters.Add(new NpgsqlParameter("error", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)error ?? DBNull.Value });
            u.Parameters.AddWithValue("state", ok ? "delivered" : dead ? "dead" : "pending");
            u.Parameters.AddWithValue("next", next.UtcDateTime);
            u.Parameters.AddWithValue("now", now.UtcDateTime);
            u.Parameters.AddWithValue("id", d.Id);
            await u.ExecuteNonQueryAsync(ct);
            if (dead) log.LogWarning("Delivery {Id} of subscription {Subscription} is dead after {Attempts} attempts: {Error}", d.Id, d.Subscription, attempts, error ?? $"HTTP {status}");
        }
        await tx.CommitAsync(ct);
        return due.Count;
    }

    /// <summary>The signature a receiver recomputes: HMAC-SHA256 of "{timestamp}.{body}" under the secret, lower-case hex.</summary>
    public static string Signature(string secret, string timestamp, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private async Task<(int? Status, string? Error)> PostAsync(HttpClient client, Due d, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var req = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new StringContent(d.Payload, Encoding.UTF8) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        req.Headers.Add("X-DisasterHub-Signature", Signature(d.Secret, timestamp, d.Payload));
        req.Headers.Add("X-DisasterHub-Timestamp", timestamp);
        req.Headers.Add("X-DisasterHub-Delivery", d.Id.ToString(CultureInfo.InvariantCulture));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.TimeoutMilliseconds);
        var watch = Stopwatch.StartNew();
        try
        {
            using var res = await client.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)res.StatusCode, res.IsSuccessStatusCode ? null : $"HTTP {(int)res.StatusCode} after {watch.ElapsedMilliseconds} ms");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // the SSRF guard's refusal and connection failures land here; the URL's query is not logged
            return (null, e is OperationCanceledException ? $"no answer within {options.Value.TimeoutMilliseconds} ms" : e.Message);
        }
    }
}
