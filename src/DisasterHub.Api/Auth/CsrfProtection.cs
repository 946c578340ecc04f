using Microsoft.AspNetCore.Antiforgery;

namespace DisasterHub.Api.Auth;

/// <summary>
/// CSRF protection for people's sessions: every state-changing request (anything but GET, HEAD, OPTIONS, TRACE)
/// authenticated by the session cookie must carry the antiforgery token in <c>X-CSRF-Token</c> (from
/// <c>GET</c>/<c>POST /api/v1/session</c>), or it is refused with 403 problem details before any endpoint runs —
/// nothing is read or written. Requests with an Authorization header are authenticated by the key alone (the policy
/// scheme never looks at the cookie for them), so they need none; anonymous requests have no session to ride on.
/// </summary>
/// <remarks>
/// ASP.NET Core antiforgery (double submit: a cookie token and a request token bound to the signed-in person, both
/// protected with the shared data-protection key ring, so any node checks them). The session cookie is also
/// SameSite=Strict; the token is the defence that does not depend on the browser. Signing in itself
/// (<c>POST /api/v1/session</c>) needs none: the person has no session yet, or is replacing it.
/// </remarks>
public static class CsrfProtection
{
    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (!NeedsToken(ctx))
        {
            await next(ctx);
            return;
        }
        var token = ctx.Request.Headers[People.CsrfHeader];
        // the header is required as such: antiforgery would otherwise look for a form field and consume the body
        var valid = token.Count == 1 && !string.IsNullOrEmpty(token[0])
            && await ctx.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(ctx);
        if (valid)
        {
            await next(ctx);
            return;
        }
        await Results.Problem(statusCode: 403, title: "CSRF token missing or invalid",
            detail: $"a request signed in by the session cookie must send the {People.CsrfHeader} header with the token from GET /api/v1/session",
            extensions: new Dictionary<string, object?> { ["field"] = People.CsrfHeader }).ExecuteAsync(ctx);
    });

    private static bool NeedsToken(HttpContext ctx)
    {
        var method = ctx.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)) return false;
        if (ctx.Request.Headers.Authorization.Count > 0) return false;
        if (People.CallerOf(ctx.User) is null) return false;
        return !(HttpMethods.IsPost(method) && ctx.Request.Path.Equals(SessionPath, StringComparison.OrdinalIgnoreCase));
    }

    public const string SessionPath = "/api/v1/session";
}
