using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Hangfire;
using Hangfire.Dashboard;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Hangfire's dashboard at <c>/hangfire</c> for operators: an admin Bearer key or nothing (401 without a valid key, 403 with a non-admin one), on every route under
/// it — pages, JSON, scripts and styles alike — and read-only even then (no triggering or deleting from the web).
/// </summary>
public static class HangfireDashboard
{
    public const string Path = "/hangfire";

    public static IApplicationBuilder UseHubHangfireDashboard(this WebApplication app) =>
        app.UseHangfireDashboard(Path, new DashboardOptions
        {
            Authorization = [],
            AsyncAuthorization = [new AdminKeyOnly()],
            IsReadOnlyFunc = _ => true,
            DisplayStorageConnectionString = false,
            AppPath = "/",
        }, app.Services.GetRequiredService<JobStorage>());

    private sealed class AdminKeyOnly : IDashboardAsyncAuthorizationFilter
    {
        public async Task<bool> AuthorizeAsync(DashboardContext context)
        {
            var http = context.GetHttpContext();
            var db = http.RequestServices.GetRequiredService<HubDbContext>();
            // an admin key (checked against the store) or a signed-in admin
            var caller = await ReadAccess.CallerAsync(http, db, http.RequestAborted);
            if (caller is null) http.Response.Headers.WWWAuthenticate = "Bearer";
            return caller is not null && caller.Scopes.Contains("admin");
        }
    }
}
