using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Client;
using Microsoft.Extensions.DependencyInjection;
using Refit;

namespace DisasterHub.Api.Tests;

/// <summary>
/// DisasterHub.Client (Refit, IHttpClientFactory, standard resilience handler) against the real hub, and its sample
/// program run as a process — what a municipality's own .NET system would do.
/// </summary>
public sealed class client_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private IDisasterHubApi Api(string key, out ServiceProvider provider)
    {
        var services = new ServiceCollection();
        services.AddDisasterHubClient(_hub.BaseUrl, key);
        provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IDisasterHubApi>();
    }

    private static byte[] Doc(string id, string status, int evacuees) => Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-5):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[{"id":"{{id}}","name":"クライアント試験{{id}}","status":"{{status}}","evacuees":{{evacuees}},"lat":37.04826,"lon":136.96136}]}
        """);

    [Fact]
    public async Task push_a_document_that_then_shows_in_the_merged_layer_and_read_sources_and_collections()
    {
        var api = Api(_key, out var provider);
        await using var _ = provider;
        var doc = Doc("CL-1", "開設", 33);
        var answer = await api.PushAsync("nanao-status", DisasterHubClient.Document(doc), "client-test-1");
        Assert.Equal((1, 0, "shelters"), (answer.Accepted, answer.Rejected, answer.Layer));
        // the same document with the same Idempotency-Key again: the first answer, nothing ingested twice
        var again = await api.PushAsync("nanao-status", DisasterHubClient.Document(doc), "client-test-1");
        Assert.Equal(answer.RawDocumentId, again.RawDocumentId);

        var items = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items")).RootElement.GetProperty("features");
        Assert.Contains(items.EnumerateArray(), f => f.GetProperty("properties").GetProperty("name").GetString() == "クライアント試験CL-1");
        Assert.Null(answer.Replace);

        // the source's complete set, without CL-1: withdrawn, and the answer says so
        var whole = await api.PushAsync("nanao-status", DisasterHubClient.Document(Doc("CL-9", "開設", 1)), "client-test-9", replace: true);
        Assert.Equal(new PushReplacement(true, 1, null), whole.Replace);
        items = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items")).RootElement.GetProperty("features");
        Assert.DoesNotContain(items.EnumerateArray(), f => f.GetProperty("properties").GetProperty("name").GetString() == "クライアント試験CL-1");

        var sources = await api.SourcesAsync();
        Assert.Contains(sources.Sources, s => s.Id == "nanao-status" && s.LastSuccessAt is not null);
        var collections = await api.CollectionsAsync();
        Assert.Contains(collections.Collections, c => c.Id == "merged_shelters");
    }

    [Fact]
    public async Task surface_refusals_as_problem_details_with_the_pointer_and_a_wrong_key_as_401()
    {
        var api = Api(_key, out var provider);
        await using (provider)
        {
            var e = await Assert.ThrowsAnyAsync<ApiException>(() => api.PushAsync("nanao-status",
                DisasterHubClient.Document(Encoding.UTF8.GetBytes("""{"municipality_code":"172022","shelters":[{"id":"A","id":"B"}]}""")), "client-test-bad"));
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
            var problem = e.Problem();
            Assert.NotNull(problem);
            Assert.Equal(400, problem.Status);
            Assert.False(string.IsNullOrEmpty(problem.Pointer ?? problem.Field), e.Content);
        }
        var wrong = Api("dh_not_a_key", out var provider2);
        await using (provider2)
        {
            var e = await Assert.ThrowsAnyAsync<ApiException>(() => wrong.PushAsync("nanao-status", DisasterHubClient.Document(Doc("CL-2", "開設", 1)), "client-test-2"));
            Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        }
    }

    [Fact]
    public async Task run_the_sample_program_that_pushes_and_prints_the_answer()
    {
        var config = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // …/bin/{Release|Debug}/net10.0/
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/DisasterHub.Client.Sample/bin", config, "net10.0/DisasterHub.Client.Sample.dll"));
        Assert.True(File.Exists(dll), dll);
        var psi = new ProcessStartInfo("dotnet", [dll, _hub.BaseUrl.ToString(), _key, "nanao-status"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output + error);
        var answer = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(1, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_key = 'SAMPLE-1'"));
    }
}
