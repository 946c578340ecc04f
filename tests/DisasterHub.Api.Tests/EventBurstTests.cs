using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// <c>GET /api/v1/events?burst=N</c> through real HTTP: a document that changes more than N features reaches the
/// stream as one <c>burst</c> event (what a national registry's 110,000 changes would be), while a small change still
/// arrives as itself; the burst's range is the one <c>/api/v1/changes</c> lists.
/// </summary>
public sealed class event_bursts_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Registry(int rows)
    {
        var sb = new StringBuilder("NO,市町村コード,施設・場所名,住所,緯度,経度\n");
        for (var i = 1; i <= rows; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i},172022,一括試験避難所{i},石川県七尾市試験町{i},{37.0 + i * 0.001:0.000},{136.9 + i * 0.001:0.000}\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private async Task PushRegistryAsync(int rows)
    {
        var r = await _hub.PushAsync("nanao-status", _key, Registry(rows), "text/csv", format: "gsi-shelter-csv");
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
    }

    private sealed record Sse(string? Id, string Event, string Data);

    private static async Task<Sse> NextEventAsync(StreamReader reader, CancellationToken ct)
    {
        string? id = null, ev = null, data = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the stream ended");
            if (line.Length == 0)
            {
                if (data is not null) return new Sse(id, ev ?? "message", data);
                id = ev = null;
                continue;
            }
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) ev = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
    }

    /// <summary>An open event stream: its answer and a reader past the ": connected" comment; disposing closes both.</summary>
    private sealed class Opened(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public StreamReader Reader => reader;

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private static async Task<Opened> OpenAsync(HttpClient sse, string query)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events" + query);
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var resp = await sse.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        Assert.StartsWith(": connected", await reader.ReadLineAsync());
        return new Opened(resp, reader);
    }

    [Fact]
    public async Task send_many_changes_as_one_burst_and_a_few_one_by_one()
    {
        using var sse = new HttpClient { BaseAddress = _hub.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var stream = await OpenAsync(sse, "?layer=shelters&burst=10");
        var reader = stream.Reader;
        // a stream on part of the area counts only what it may see: 20 of the 30 (bbox), and 5 are no burst
        using var stream20 = await OpenAsync(sse, "?layer=shelters&burst=10&bbox=136.9,37.0,136.9205,37.0205");
        var reader20 = stream20.Reader;
        using var stream5 = await OpenAsync(sse, "?layer=shelters&burst=10&bbox=136.9,37.0,136.9055,37.0055");
        var reader5 = stream5.Reader;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await PushRegistryAsync(30);
        var part = await NextEventAsync(reader20, cts.Token);
        Assert.Equal("burst", part.Event);
        Assert.Equal(20, JsonDocument.Parse(part.Data).RootElement.GetProperty("changes").GetInt64());
        for (var i = 0; i < 5; i++) Assert.Equal("change", (await NextEventAsync(reader5, cts.Token)).Event);

        var burst = await NextEventAsync(reader, cts.Token);
        Assert.Equal("burst", burst.Event);
        var b = JsonDocument.Parse(burst.Data).RootElement;
        Assert.Equal(30, b.GetProperty("changes").GetInt64());
        Assert.Equal(["shelters"], b.GetProperty("layers").EnumerateArray().Select(l => l.GetString()));
        var box = b.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal([136.901, 37.001, 136.930, 37.030], box.Select(v => Math.Round(v, 3)));
        var from = b.GetProperty("from").GetInt64();
        var to = b.GetProperty("to").GetInt64();
        Assert.Equal(to.ToString(CultureInfo.InvariantCulture), burst.Id); // a reconnect resumes after the burst

        // the burst's range is what the changes endpoint lists, change by change
        var changes = JsonDocument.Parse(await _hub.Http.GetStringAsync($"/api/v1/changes?layer=shelters&since={from}")).RootElement;
        var seqs = changes.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(30, seqs.Count);
        Assert.Equal(to, seqs[^1]);

        // one change more is not a burst: it arrives as itself, after the burst
        await _hub.PushOkAsync("nanao-status", _key, push_endpoint_should.StatusDoc("開設", 42, "2026-11-22T09:00:00+09:00"));
        var one = await NextEventAsync(reader, cts.Token);
        Assert.Equal("change", one.Event);
        Assert.True(long.Parse(one.Id!, CultureInfo.InvariantCulture) > to);
        Assert.Equal(42, JsonDocument.Parse(one.Data).RootElement.GetProperty("properties").GetProperty("attrs").GetProperty("evacuees").GetInt32());
    }

    [Fact]
    public async Task send_every_change_to_a_stream_that_asked_for_no_bursts()
    {
        using var sse = new HttpClient { BaseAddress = _hub.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var stream = await OpenAsync(sse, "?layer=shelters");
        var reader = stream.Reader;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await PushRegistryAsync(30);
        for (var i = 0; i < 30; i++) Assert.Equal("change", (await NextEventAsync(reader, cts.Token)).Event);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("501")]
    [InlineData("many")]
    public async Task refuse_a_burst_size_it_cannot_honour_naming_the_parameter(string value)
    {
        var r = await _hub.Http.GetAsync($"/api/v1/events?burst={value}");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("burst must be an integer 1–500", problem.GetProperty("detail").GetString());
    }
}
