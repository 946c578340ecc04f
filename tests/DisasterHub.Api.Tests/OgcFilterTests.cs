using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// OGC API – Features items filtered by property (issue 15 item 2, in part): <c>?status=開設</c> and the other
/// queryables select on the server, /queryables describes them, an unknown parameter is a 400 problem naming it.
/// </summary>
public sealed class ogc_filters_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        var key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var doc = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-5):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[
              {"id":"F-1","name":"絞込試験一","status":"開設","evacuees":5,"lat":37.04826,"lon":136.96136},
              {"id":"F-2","name":"絞込試験二","status":"閉鎖","evacuees":0,"lat":37.03,"lon":136.93},
              {"id":"F-3","name":"絞込試験三","status":"開設","evacuees":9,"lat":37.01,"lon":136.91}]}
            """);
        Assert.Equal(HttpStatusCode.OK, (await _hub.PushAsync("nanao-status", key, doc)).StatusCode);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<JsonElement> Get(string url)
    {
        var r = await _hub.Http.GetAsync(url);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task select_by_status_on_the_server_and_keep_the_filter_in_the_paging_links()
    {
        var open = await Get("/ogc/collections/merged_shelters/items?status=" + Uri.EscapeDataString("開設") + "&limit=1");
        Assert.Equal(2, open.GetProperty("numberMatched").GetInt32());
        Assert.Equal("開設", open.GetProperty("features")[0].GetProperty("properties").GetProperty("status").GetString());
        var next = open.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("rel").GetString() == "next").GetProperty("href").GetString()!;
        var second = await Get(new Uri(next).PathAndQuery);
        Assert.Equal("開設", second.GetProperty("features")[0].GetProperty("properties").GetProperty("status").GetString());
        var closed = await Get("/ogc/collections/shelters/items?status=" + Uri.EscapeDataString("閉鎖"));
        Assert.Equal("絞込試験二", Assert.Single(closed.GetProperty("features").EnumerateArray()).GetProperty("properties").GetProperty("name").GetString());
        Assert.Equal(0, (await Get("/ogc/collections/merged_shelters/items?municipality_code=131016")).GetProperty("numberReturned").GetInt32());

        var schema = await Get("/ogc/collections/merged_shelters/queryables");
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("status").GetProperty("type").GetString());
    }

    [Fact]
    public async Task answer_400_problem_details_naming_an_unknown_or_malformed_parameter()
    {
        foreach (var (query, parameter) in new[] { ("foo=1", "foo"), ("severity=high", "severity"), ("f=html", "f"), ("statuss=開設", "statuss") })
        {
            var r = await _hub.Http.GetAsync($"/ogc/collections/merged_shelters/items?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(parameter, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("parameter").GetString());
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Http.GetAsync("/ogc/collections/municipalities/items?status=x")).StatusCode);
    }

    [Fact]
    public async Task give_gdal_only_the_open_shelters_for_an_attribute_filter()
    {
        var psi = new ProcessStartInfo("ogrinfo", ["-ro", "-al", "-q", $"OAPIF:{_hub.BaseUrl}ogc", "merged_shelters", "-where", "status='開設'"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, error);
        Assert.Contains("絞込試験一", output, StringComparison.Ordinal);
        Assert.Contains("絞込試験三", output, StringComparison.Ordinal);
        Assert.DoesNotContain("絞込試験二", output, StringComparison.Ordinal);
    }
}
