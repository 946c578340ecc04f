using System.Security.Claims;
using DisasterHub.Core;
using DisasterHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Api.Auth;

/// <summary>The roles a person may hold (rows of <c>hub_role</c>, migration 0026).</summary>
public static class HubRoles
{
    public const string Officer = "officer";
    public const string Clerk = "clerk";
    public const string Utility = "utility";
    public const string Institution = "institution";
    public const string Admin = "admin";

    public static readonly string[] All = [Officer, Clerk, Utility, Institution, Admin];

    /// <summary>
    /// The classification level a person's roles read at: officers and admins everything (restricted), the staff of
    /// municipalities, utilities and institutions what responders see. The sharing rules
    /// (<see cref="ClassificationPolicy"/>) then apply exactly as for a key of that level.
    /// </summary>
    public static string ClearanceOf(IEnumerable<string> roles)
    {
        var set = roles.ToHashSet(StringComparer.Ordinal);
        if (set.Contains(Officer) || set.Contains(Admin)) return Classifications.Restricted;
        if (set.Contains(Clerk) || set.Contains(Utility) || set.Contains(Institution)) return Classifications.Responders;
        return Classifications.Public;
    }
}

/// <summary>
/// People who sign in (issue 14): ASP.NET Core Identity on the hub's PostgreSQL (<see cref="PeopleDbContext"/>),
/// the session cookie, antiforgery, and an organization's OpenID Connect provider when one is configured.
/// </summary>
public static class People
{
    /// <summary>The session cookie's scheme: Identity's application cookie.</summary>
    public const string CookieScheme = "Identity.Application";

    public const string OidcScheme = "oidc";
    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>Identity, its EF store, the claims a person carries, lockout and password rules, antiforgery.</summary>
    public static IServiceCollection AddHubPeople(this IServiceCollection services, IConfiguration config)
    {
        services.AddDbContext<PeopleDbContext>((sp, o) => DataServices.Configure(o, sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddIdentityCore<Person>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // length over composition rules (NIST SP 800-63B)
                o.Password.RequiredLength = config.GetValue("Hub:SignIn:PasswordMinLength", 12);
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = config.GetValue("Hub:SignIn:MaxFailures", 5);
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(config.GetValue("Hub:SignIn:LockoutMinutes", 15));
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PeopleDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<PersonClaimsFactory>();
        // a removed person, a changed password or a reset authenticator ends sessions on every node within this time
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromSeconds(config.GetValue("Hub:SignIn:RevalidateSeconds", 60)));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.Cookie.Name = "hub_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true; // the security headers middleware sets frame rules for every answer
        });
        return services;
    }

    /// <summary>The session cookie (and, when <c>Hub:Oidc:Authority</c> is set, the OpenID Connect sign-in) on the hub's scheme set.</summary>
    public static AuthenticationBuilder AddHubSessions(this AuthenticationBuilder auth, IConfiguration config)
    {
        // the session's ticket at the hub, the cookie only its key: signing out ends it everywhere (HubSessionStore)
        auth.Services.AddSingleton<HubSessionStore>();
        auth.Services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<HubSessionStore>((o, store) => o.SessionStore = store);
        auth.AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = "hub_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(config.GetValue("Hub:SignIn:SessionHours", 12));
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = SecurityStampValidator.ValidatePrincipalAsync;
            // an API, not a page to redirect to: 401/403 problem details
            o.Events.OnRedirectToLogin = ctx => Results.Problem(statusCode: 401, title: "Unauthorized",
                detail: "sign in first (POST /api/v1/session) or send an API key (Authorization: Bearer ...)").ExecuteAsync(ctx.HttpContext);
            o.Events.OnRedirectToAccessDenied = ctx => Results.Problem(statusCode: 403, title: "Forbidden",
                detail: "this person may not do that").ExecuteAsync(ctx.HttpContext);
        });
        // Identity's other cookies: SignInManager signs out of all of them when a session's security stamp no longer
        // matches (SecurityStampValidator), so they must exist; only External is ever signed in (the OIDC round trip)
        auth.AddCookie(IdentityConstants.ExternalScheme, o =>
        {
            o.Cookie.Name = "hub_external";
            o.Cookie.SameSite = SameSiteMode.Lax; // it must survive the provider's redirect back
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(5);
        });
        auth.AddCookie(IdentityConstants.TwoFactorUserIdScheme, o => o.Cookie.Name = "hub_2fa");
        auth.AddCookie(IdentityConstants.TwoFactorRememberMeScheme, o => o.Cookie.Name = "hub_2fa_remember");
        if (OidcOptions.From(config) is { } oidc)
        {
            auth.AddOpenIdConnect(OidcScheme, o =>
            {
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.ResponseType = "code";
                o.UsePkce = true;
                o.SignInScheme = IdentityConstants.ExternalScheme;
                o.Scope.Clear();
                o.Scope.Add("openid");
                o.Scope.Add("email");
                o.Scope.Add("profile");
                o.MapInboundClaims = false;
                o.RequireHttpsMetadata = !oidc.AllowHttp;
                if (oidc.AllowHttp)
                {
                    // a provider and hub on plain http (a test, a closed network): the correlation and nonce cookies are
                    // Secure by default and would never come back over http, failing every sign-in
                    o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                    o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                }
                // a sign-in the provider or the callback refused (denied consent, a replayed or forged callback, a
                // provider that is down) is the person's 401 with the reason, not a 500
                o.Events.OnRemoteFailure = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    await context.Response.WriteAsJsonAsync(new
                    {
                        type = "about:blank", title = "Unauthorized", status = 401,
                        detail = $"the sign-in through the organization's provider failed: {context.Failure?.Message}",
                    }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
                };
            });
        }
        return auth;
    }

    /// <summary>
    /// The request's signed-in person as a <see cref="Caller"/>: read levels from the roles (as a key's read scopes),
    /// the organization from the person's row; null when the request carries no session. The session cookie is checked
    /// against the store every <c>Hub:SignIn:RevalidateSeconds</c> (security stamp), not per request.
    /// </summary>
    public static Caller? CallerOf(ClaimsPrincipal user)
    {
        if (user.Identity is not ClaimsIdentity { IsAuthenticated: true, AuthenticationType: CookieScheme } identity) return null;
        var email = user.FindFirstValue(ClaimTypes.Email) ?? identity.Name;
        var org = user.FindFirstValue(HubClaims.Organization);
        if (email is null || org is null) return null;
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        var roles = user.FindAll(identity.RoleClaimType).Select(c => c.Value).ToList();
        if (roles.Contains(HubRoles.Admin)) scopes.Add("admin");
        scopes.Add(HubRoles.ClearanceOf(roles) switch
        {
            Classifications.Restricted => "read:restricted",
            Classifications.Responders => "read:responders",
            _ => "read:public",
        });
        return new Caller("person:" + email, org, scopes, email);
    }
}

/// <summary>Hub:Oidc — an organization's OpenID Connect provider; people it signs in are matched to people here by email.</summary>
public sealed record OidcOptions(string Authority, string ClientId, string? ClientSecret, bool AllowHttp)
{
    public static OidcOptions? From(IConfiguration config)
    {
        var s = config.GetSection("Hub:Oidc");
        return s["Authority"] is { Length: > 0 } authority && s["ClientId"] is { Length: > 0 } client
            ? new OidcOptions(authority, client, s["ClientSecret"], s.GetValue("AllowHttp", false))
            : null;
    }
}

/// <summary>
/// The claims a signed-in person carries: Identity's (id, email, roles, security stamp) plus the organization
/// (<c>hub:org</c>), its kind (<c>hub:org_kind</c>), the display name and the clearance the roles give.
/// </summary>
public sealed class PersonClaimsFactory(UserManager<Person> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options, HubDbContext db)
    : UserClaimsPrincipalFactory<Person, IdentityRole>(users, roles, options)
{
    public const string OrganizationKind = "hub:org_kind";
    public const string DisplayName = "hub:name";
    public const string Clearance = "hub:clearance";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(Person user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        var kind = await db.Organizations.AsNoTracking().Where(o => o.Id == user.OrganizationId).Select(o => o.Kind).SingleOrDefaultAsync();
        identity.AddClaim(new Claim(HubClaims.Organization, user.OrganizationId));
        identity.AddClaim(new Claim(OrganizationKind, kind ?? ""));
        identity.AddClaim(new Claim(DisplayName, user.Name ?? user.Email ?? ""));
        identity.AddClaim(new Claim(Clearance, HubRoles.ClearanceOf(await UserManager.GetRolesAsync(user))));
        return identity;
    }
}
