using System.Security.Claims;
using DisasterHub.Data;
using Microsoft.AspNetCore.Authorization;

namespace DisasterHub.Api.Auth;

/// <summary>
/// "May write to this source": the source is the resource, known only once the endpoint has read it, so this is a
/// resource-based requirement the push and media endpoints ask <see cref="IAuthorizationService"/> about
/// (<see cref="HubPolicies.PushToSource"/>) — keys and people alike, by <see cref="Caller.MayPushTo"/>.
/// </summary>
public sealed class OwnsSourceRequirement : IAuthorizationRequirement;

public sealed class OwnsSourceHandler : AuthorizationHandler<OwnsSourceRequirement, Source>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OwnsSourceRequirement requirement, Source resource)
    {
        if (HubCallers.Of(context.User) is { } caller && caller.MayPushTo(resource)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>The <see cref="Caller"/> an authenticated principal stands for: a key's (ApiKey scheme) or a person's (session cookie).</summary>
public static class HubCallers
{
    public static Caller? Of(ClaimsPrincipal user) => People.CallerOf(user) ?? ApiKeyAuthenticationHandler.CallerOf(user);
}
