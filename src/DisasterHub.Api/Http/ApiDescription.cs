using DisasterHub.Api.Auth;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace DisasterHub.Api.Http;

/// <summary>
/// What apps build on (issue 15 items 1 and 3): the OpenAPI 3.1 description of every endpoint
/// (Microsoft.AspNetCore.OpenApi, at <c>/openapi/v1.json</c>, linked from the OGC landing page as <c>service-desc</c>),
/// a reference page at <c>/docs</c> (Scalar), and CORS for public reads only.
/// </summary>
public static class ApiDescription
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>The CORS policy of public reads: GET/HEAD from the configured origins (<c>Hub:Cors:Origins</c>, default any).</summary>
    public const string PublicReads = "public-reads";

    public static IServiceCollection AddHubApiDescription(this IServiceCollection services, IConfiguration config)
    {
        services.AddOpenApi("v1", o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "DisasterHub API";
                doc.Info.Version = "v1";
                doc.Info.Description = "Shared disaster information (EEI) as map layers: OGC API – Features, vector tiles, events, pushes, "
                    + "exports, subscriptions and CAP. Errors are RFC 9457 problem details. Send a key as `Authorization: Bearer KEY`.";
                return Task.CompletedTask;
            });
        });
        var origins = config.GetSection("Hub:Cors:Origins").Get<string[]>() ?? ["*"];
        services.AddCors(o => o.AddPolicy(PublicReads, p =>
        {
            if (origins.Contains("*")) p.AllowAnyOrigin();
            else p.WithOrigins(origins);
            // a key may be sent (Authorization); no cookies are ever involved, so no credentials mode
            p.WithMethods("GET", "HEAD").WithHeaders("Authorization", "If-None-Match", "Last-Event-ID", "Accept")
             .WithExposedHeaders("ETag", "Retry-After", "X-Tile-Cache", "Content-Disposition");
        }));
        return services;
    }

    public static WebApplication MapHubApiDescription(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").RequireCors(PublicReads).ExcludeFromDescription().RequireAuthorization(HubPolicies.PublicRead);
        // a group, so Scalar's own script and icon routes get the policy too, not only the page
        app.MapGroup("").RequireAuthorization(HubPolicies.PublicRead).MapScalarApiReference("/docs", o => o.WithTitle("DisasterHub API").WithOpenApiRoutePattern("/openapi/{documentName}.json").DisableDefaultFonts())
            .ExcludeFromDescription();
        return app;
    }
}
