using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>Organizations and sources changed through the CLI, with the API's own checks (the API itself: organizations_should).</summary>
public sealed class organization_registry_should
{
    [Fact]
    public async Task add_list_and_disable_through_the_cli_with_the_apis_checks()
    {
        await using var hub = await HubServer.StartAsync();
        var db = new[] { "--db", hub.Db.ConnectionString };
        var output = new StringWriter();
        Assert.Equal(0, await HubCli.OrgsAsync([.. new[] { "add", "suzu-city", "--name", "珠洲市", "--kind", "municipality", "--jurisdiction", "172057" }, .. db], output));
        var bad = await Assert.ThrowsAsync<HubCli.CliException>(() => HubCli.OrgsAsync([.. new[] { "add", "nowhere", "--kind", "municipality", "--jurisdiction", "000000" }, .. db], output));
        Assert.Contains("/jurisdiction/0", bad.Message);
        var badLayer = await Assert.ThrowsAsync<HubCli.CliException>(() => HubCli.SourcesAsync([.. new[] { "add", "suzu-feed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "no-such-layer", "--url", "http://127.0.0.1:9/x.csv" }, .. db], TextReader.Null, output));
        Assert.Contains("layer", badLayer.Message);
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "add", "--replaces", "suzu-feed", "--kind", "pull", "--format", "da-shelter-csv", "--layer", "shelters", "--url", "http://127.0.0.1:9/x.csv", "--schedule", "60", "--owner", "suzu-city" }, .. db], TextReader.Null, output));
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "disable", "suzu-feed" }, .. db], TextReader.Null, output));
        var list = new StringWriter();
        Assert.Equal(0, await HubCli.SourcesAsync([.. new[] { "list" }, .. db], TextReader.Null, list));
        Assert.Matches(@"suzu-feed\s+pull\s+no\s+da-shelter-csv\s+shelters\s+60s\s+suzu-city", list.ToString());
        var orgs = new StringWriter();
        Assert.Equal(0, await HubCli.OrgsAsync([.. new[] { "list" }, .. db], orgs));
        Assert.Contains("suzu-city", orgs.ToString());
        // what the CLI wrote is what the API lists
        using var api = JsonDocument.Parse(await hub.Http.GetStringAsync("/api/v1/sources"));
        Assert.Contains(api.RootElement.GetProperty("sources").EnumerateArray(), s => s.GetProperty("id").GetString() == "suzu-feed" && s.GetProperty("owner_org").GetString() == "suzu-city"
            && s.GetProperty("replaces").GetBoolean()); // --replaces: each pulled document is the whole set
    }
}
