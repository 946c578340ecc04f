using DisasterHub.Api.Auth;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 14: every endpoint the running app serves names one of the hub's authorization policies (an explicit public
/// one counts) — a new route without a decision about who may call it fails here.
/// </summary>
public sealed class endpoint_policies_should : IAsyncLifetime
{
    private HubServer _hub = null!;

    public async Task InitializeAsync() => _hub = await HubServer.StartAsync();

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task name_a_hub_policy_on_every_endpoint()
    {
        var options = _hub.App.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var endpoints = _hub.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 30, $"{endpoints.Count} endpoints");
        var unnamed = new List<string>();
        foreach (var e in endpoints)
        {
            var names = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            if (names.Count == 0) unnamed.Add(e.RoutePattern.RawText ?? e.DisplayName ?? "?");
            foreach (var name in names) Assert.NotNull(await options.GetPolicyAsync(name));
        }
        Assert.True(unnamed.Count == 0, "no named policy: " + string.Join(", ", unnamed));
        Assert.Contains(endpoints, e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == HubPolicies.KeyCheckedByEndpoint));
    }
}
