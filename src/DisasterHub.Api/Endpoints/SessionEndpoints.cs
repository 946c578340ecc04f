using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using DisasterHub.Api.Auth;
using DisasterHub.Data;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// People's sessions: <c>POST /api/v1/session</c> signs in (email, password, and the authenticator code when the person
/// has enabled one), <c>GET</c> says who is signed in, <c>DELETE</c> signs out; <c>POST …/totp</c> and
/// <c>…/totp/confirm</c> enrol an authenticator. Every answer that describes a session carries the CSRF token state-changing
/// requests must send back in <c>X-CSRF-Token</c>. Sign-in, failures and sign-out are audited with the email.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSession(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(CsrfProtection.SessionPath).WithTags("Session").RequireRateLimiting(RateLimits.Push);
        g.MapPost("", SignInAsync).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("", Current).RequireAuthorization(HubPolicies.PublicRead);
        g.MapDelete("", SignOutAsync).RequireAuthorization(HubPolicies.SignedIn);
        g.MapPost("/totp", EnrolTotpAsync).RequireAuthorization(HubPolicies.SignedIn);
        g.MapPost("/totp/confirm", ConfirmTotpAsync).RequireAuthorization(HubPolicies.SignedIn);
        if (OidcOptions.From(app.ServiceProvider.GetRequiredService<IConfiguration>()) is not null)
        {
            app.MapGet("/signin/oidc", () => Results.Challenge(new AuthenticationProperties { RedirectUri = "/signin/oidc/done" }, [People.OidcScheme]))
                .WithTags("Session").RequireAuthorization(HubPolicies.PublicRead);
            app.MapGet("/signin/oidc/done", OidcDoneAsync).WithTags("Session").RequireAuthorization(HubPolicies.PublicRead);
        }
        return app;
    }

    private const string WrongCredentials = "the email or password is wrong";

    private static IResult Problem(int status, string title, string detail, string? field = null, Dictionary<string, object?>? extra = null)
    {
        var extensions = extra ?? [];
        if (field is not null) extensions["field"] = field;
        return Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);
    }

    private sealed record SignInBody(string Email, string Password, string? Totp);

    /// <summary>The JSON body, or a 400 naming the member that is missing or of the wrong type.</summary>
    private static async Task<(SignInBody? Body, IResult? Bad)> ReadBodyAsync(HttpContext ctx, CancellationToken ct)
    {
        JsonElement root;
        try
        {
            root = (await JsonDocument.ParseAsync(ctx.Request.Body, new JsonDocumentOptions { MaxDepth = 8 }, ct)).RootElement;
        }
        catch (JsonException e)
        {
            return (null, Problem(400, "invalid body", $"the body is not JSON: {e.Message}", extra: new() { ["pointer"] = "" }));
        }
        if (root.ValueKind != JsonValueKind.Object) return (null, Problem(400, "invalid body", "the body must be a JSON object {\"email\",\"password\",\"totp\"?}", extra: new() { ["pointer"] = "" }));
        string? Text(string name, bool required, out IResult? bad)
        {
            bad = null;
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) bad = Problem(400, "invalid body", $"'{name}' is required", extra: new() { ["pointer"] = "/" + name });
                return null;
            }
            if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 and <= 1024 } s)
            {
                bad = Problem(400, "invalid body", $"'{name}' must be a non-empty string of at most 1024 characters", extra: new() { ["pointer"] = "/" + name });
                return null;
            }
            return s;
        }
        var email = Text("email", true, out var bad1);
        if (bad1 is not null) return (null, bad1);
        var password = Text("password", true, out var bad2);
        if (bad2 is not null) return (null, bad2);
        var totp = Text("totp", false, out var bad3);
        if (bad3 is not null) return (null, bad3);
        return (new SignInBody(email!.Trim(), password!, totp?.Replace(" ", "", StringComparison.Ordinal)), null);
    }

    private static async Task<IResult> SignInAsync(HttpContext ctx, UserManager<Person> users, SignInManager<Person> signIn, HubDbContext db,
        IAntiforgery antiforgery, TimeProvider clock, DisasterHub.Api.Push.DeniedPushAudit denied, CancellationToken ct)
    {
        var (body, bad) = await ReadBodyAsync(ctx, ct);
        if (body is null) return bad!;
        var person = await users.FindByEmailAsync(body.Email);
        if (person is null)
        {
            // as long as a wrong password takes: the answer's timing does not tell whether the email exists
            users.PasswordHasher.HashPassword(new Person { OrganizationId = "" }, body.Password);
            await FailedAsync(db, ctx, clock, denied, body.Email, null, "unknown email", null, ct);
            return Unauthorized();
        }
        var checkedPassword = await signIn.CheckPasswordSignInAsync(person, body.Password, lockoutOnFailure: true);
        if (checkedPassword.IsLockedOut) return await LockedAsync(person);
        if (checkedPassword.IsNotAllowed)
        {
            await FailedAsync(db, ctx, clock, denied, person.Email!, person.OrganizationId, "not allowed", null, ct);
            return Unauthorized();
        }
        if (!checkedPassword.Succeeded)
        {
            await FailedAsync(db, ctx, clock, denied, person.Email!, person.OrganizationId, "wrong password", new { failures = person.AccessFailedCount }, ct);
            return Unauthorized();
        }
        if (await users.GetTwoFactorEnabledAsync(person))
        {
            if (body.Totp is null)
                return Problem(401, "Unauthorized", "this person signs in with an authenticator code: send 'totp' too", "totp", new() { ["totp_required"] = true });
            if (!await users.VerifyTwoFactorTokenAsync(person, users.Options.Tokens.AuthenticatorTokenProvider, body.Totp))
            {
                await users.AccessFailedAsync(person);
                if (await users.IsLockedOutAsync(person)) return await LockedAsync(person);
                await FailedAsync(db, ctx, clock, denied, person.Email!, person.OrganizationId, "wrong authenticator code", null, ct);
                return Problem(401, "Unauthorized", "the authenticator code is wrong or expired", "totp", new() { ["totp_required"] = true });
            }
            await users.ResetAccessFailedCountAsync(person);
        }
        var principal = await signIn.CreateUserPrincipalAsync(person);
        await ctx.SignInAsync(People.CookieScheme, principal, new AuthenticationProperties { IsPersistent = false });
        ctx.User = principal; // the CSRF token below is bound to this person
        await AuditAsync(db, ctx, clock, "sign_in", person.Email!, person.OrganizationId, new { two_factor = person.TwoFactorEnabled }, ct);
        return await SessionAsync(ctx, principal, db, antiforgery, ct);

        async Task<IResult> LockedAsync(Person p)
        {
            var until = await users.GetLockoutEndDateAsync(p) ?? clock.GetUtcNow();
            if (PeopleRegistry.IsDisabled(until))
            {
                // disabled by the operator (PATCH /api/v1/people/{id}): no lockout to wait out
                await FailedAsync(db, ctx, clock, denied, p.Email!, p.OrganizationId, "disabled", null, ct);
                return Problem(403, "Forbidden", "this account is disabled: ask the hub's operator");
            }
            var seconds = Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalSeconds));
            await FailedAsync(db, ctx, clock, denied, p.Email!, p.OrganizationId, "locked out", new { until }, ct);
            ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problem(423, "Locked", $"too many failed sign-ins: this account is locked for {seconds} s", extra: new() { ["retry_after_seconds"] = seconds });
        }
    }

    private static IResult Unauthorized() => Problem(401, "Unauthorized", WrongCredentials);

    private static async Task<IResult> Current(HttpContext ctx, HubDbContext db, IAntiforgery antiforgery, CancellationToken ct) =>
        People.CallerOf(ctx.User) is null
            ? Problem(401, "Unauthorized", "not signed in (POST /api/v1/session)")
            : await SessionAsync(ctx, ctx.User, db, antiforgery, ct);

    /// <summary>The session body: who, their organization, roles, clearance, and a fresh CSRF token.</summary>
    private static async Task<IResult> SessionAsync(HttpContext ctx, ClaimsPrincipal user, HubDbContext db, IAntiforgery antiforgery, CancellationToken ct)
    {
        var org = user.FindFirstValue(HubClaims.Organization)!;
        var orgName = await db.Organizations.AsNoTracking().Where(o => o.Id == org).Select(o => o.Name).SingleOrDefaultAsync(ct);
        var tokens = antiforgery.GetAndStoreTokens(ctx);
        var roles = user.FindAll(((ClaimsIdentity)user.Identity!).RoleClaimType).Select(c => c.Value).Order(StringComparer.Ordinal).ToArray();
        ctx.Response.Headers.CacheControl = "no-store";
        return Results.Json(new
        {
            email = user.FindFirstValue(ClaimTypes.Email),
            name = user.FindFirstValue(PersonClaimsFactory.DisplayName),
            organization = org,
            organization_name = orgName,
            organization_kind = user.FindFirstValue(PersonClaimsFactory.OrganizationKind),
            roles,
            clearance = HubRoles.ClearanceOf(roles),
            csrf = tokens.RequestToken,
        });
    }

    private static async Task<IResult> SignOutAsync(HttpContext ctx, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var caller = People.CallerOf(ctx.User)!;
        await ctx.SignOutAsync(People.CookieScheme);
        await AuditAsync(db, ctx, clock, "sign_out", caller.Person!, caller.OrganizationId, new { }, ct);
        return Results.NoContent();
    }

    /// <summary>A new authenticator key (replacing any earlier one); it counts only once confirmed with a code from it.</summary>
    private static async Task<IResult> EnrolTotpAsync(HttpContext ctx, UserManager<Person> users, CancellationToken ct)
    {
        var person = await users.GetUserAsync(ctx.User);
        if (person is null) return Problem(401, "Unauthorized", "not signed in (POST /api/v1/session)");
        if (await users.GetTwoFactorEnabledAsync(person))
            return Problem(409, "Conflict", "an authenticator is already enabled for this person");
        await users.ResetAuthenticatorKeyAsync(person);
        var key = (await users.GetAuthenticatorKeyAsync(person))!;
        var label = Uri.EscapeDataString("DisasterHub:" + person.Email);
        return Results.Json(new
        {
            key,
            otpauth_uri = $"otpauth://totp/{label}?secret={key}&issuer=DisasterHub&digits=6&period=30",
        });
    }

    private sealed record ConfirmBody(string? Code);

    private static async Task<IResult> ConfirmTotpAsync(HttpContext ctx, UserManager<Person> users, SignInManager<Person> signIn, HubDbContext db,
        IAntiforgery antiforgery, TimeProvider clock, CancellationToken ct)
    {
        var person = await users.GetUserAsync(ctx.User);
        if (person is null) return Problem(401, "Unauthorized", "not signed in (POST /api/v1/session)");
        string? code;
        try
        {
            var root = (await JsonDocument.ParseAsync(ctx.Request.Body, new JsonDocumentOptions { MaxDepth = 8 }, ct)).RootElement;
            code = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        }
        catch (JsonException e)
        {
            return Problem(400, "invalid body", $"the body is not JSON: {e.Message}", extra: new() { ["pointer"] = "" });
        }
        if (string.IsNullOrWhiteSpace(code)) return Problem(400, "invalid body", "'code' (the 6 digits the authenticator shows) is required", extra: new() { ["pointer"] = "/code" });
        if (await users.GetAuthenticatorKeyAsync(person) is null)
            return Problem(409, "Conflict", "no authenticator key to confirm: POST /api/v1/session/totp first");
        if (!await users.VerifyTwoFactorTokenAsync(person, users.Options.Tokens.AuthenticatorTokenProvider, code.Replace(" ", "", StringComparison.Ordinal)))
            return Problem(400, "invalid code", "the code does not match the authenticator key", extra: new() { ["pointer"] = "/code" });
        await users.SetTwoFactorEnabledAsync(person, true);
        // the security stamp changed: renew this session's cookie so it stays valid
        var principal = await signIn.CreateUserPrincipalAsync(person);
        await ctx.SignInAsync(People.CookieScheme, principal, new AuthenticationProperties { IsPersistent = false });
        ctx.User = principal;
        await AuditAsync(db, ctx, clock, "totp_enabled", person.Email!, person.OrganizationId, new { }, ct);
        return await SessionAsync(ctx, principal, db, antiforgery, ct);
    }

    /// <summary>
    /// Back from the organization's OpenID Connect provider: the provider's user is the person with the same (verified)
    /// email here; nobody is created. Then the same session cookie as a password sign-in.
    /// </summary>
    private static async Task<IResult> OidcDoneAsync(HttpContext ctx, UserManager<Person> users, SignInManager<Person> signIn, HubDbContext db,
        TimeProvider clock, DisasterHub.Api.Push.DeniedPushAudit denied, CancellationToken ct)
    {
        var external = await ctx.AuthenticateAsync(IdentityConstants.ExternalScheme);
        await ctx.SignOutAsync(IdentityConstants.ExternalScheme);
        var email = external.Principal?.FindFirstValue("email") ?? external.Principal?.FindFirstValue(ClaimTypes.Email);
        var verified = external.Principal?.FindFirstValue("email_verified") is not "false";
        var person = email is null || !verified ? null : await users.FindByEmailAsync(email);
        if (person is null || await users.IsLockedOutAsync(person))
        {
            await FailedAsync(db, ctx, clock, denied, email ?? "(none)", person?.OrganizationId, "oidc: no such person", new { provider = People.OidcScheme }, ct);
            return Problem(403, "Forbidden", "the provider's account matches no person at this hub");
        }
        await ctx.SignInAsync(People.CookieScheme, await signIn.CreateUserPrincipalAsync(person), new AuthenticationProperties { IsPersistent = false });
        await AuditAsync(db, ctx, clock, "sign_in", person.Email!, person.OrganizationId, new { provider = People.OidcScheme }, ct);
        return Results.Redirect("/");
    }

    /// <summary>
    /// A failed sign-in, audited like a refused push (<see cref="DisasterHub.Api.Push.DeniedPushAudit"/>): one entry per
    /// address, email and reason per window, the repeats counted into the next — guessing cannot flood the audit table.
    /// </summary>
    private static async Task FailedAsync(HubDbContext db, HttpContext ctx, TimeProvider clock, DisasterHub.Api.Push.DeniedPushAudit denied,
        string email, string? organization, string reason, object? extra, CancellationToken ct)
    {
        if (!denied.ShouldWrite($"sign_in\n{ctx.Connection.RemoteIpAddress}\n{email}\n{reason}", out var suppressed)) return;
        await AuditAsync(db, ctx, clock, "sign_in_failed", email, organization, new { reason, detail = extra, suppressed_before = suppressed }, ct);
    }

    /// <summary>An audit entry for a person's action (keys are audited by the endpoints they act on).</summary>
    internal static async Task AuditAsync(HubDbContext db, HttpContext ctx, TimeProvider clock, string action, string email, string? organization, object detail, CancellationToken ct)
    {
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow(),
            OrganizationId = organization,
            Person = email,
            Action = action,
            Target = email,
            ClientAddress = ctx.Connection.RemoteIpAddress?.ToString(),
            Detail = JsonSerializer.Serialize(detail),
        });
        await db.SaveChangesAsync(ct);
    }
}
