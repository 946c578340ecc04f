using System.Text.Json.Nodes;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Core;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// The layer catalogue (issue 12): <c>GET /api/v1/layers</c> lists every layer the hub serves with its EEI item,
/// geometry types, attributes (unit, basic/specific, classification in force), roll-up contribution, style and the
/// formats that write it; <c>GET /api/v1/layers/{id}</c> adds the JSON Schema a push is checked against. Public: it is
/// the description of the data, not the data; the classification shown is the one the sharing rules apply.
/// </summary>
public static class LayersEndpoints
{
    public static IEndpointRouteBuilder MapLayers(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/layers").WithTags("Layers").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("", (LayerCatalogue catalogue, ClassificationPolicy policy, FormatRegistry formats) =>
            Results.Json(new { layers = catalogue.Layers.Select(l => Describe(l, policy, formats, withSchema: false)) }));
        g.MapGet("/{id}", (string id, LayerCatalogue catalogue, ClassificationPolicy policy, FormatRegistry formats) =>
            catalogue.Find(id) is { } l
                ? Results.Json(Describe(l, policy, formats, withSchema: true))
                : Results.Problem(statusCode: 404, detail: $"no layer '{id}' in the catalogue", extensions: new Dictionary<string, object?> { ["parameter"] = "id" }));
        return app;
    }

    private static JsonObject Describe(LayerDefinition l, ClassificationPolicy policy, FormatRegistry formats, bool withSchema)
    {
        var attributes = policy.Attributes.GetValueOrDefault(l.Id) ?? [];
        var o = new JsonObject
        {
            ["id"] = l.Id,
            ["title"] = new JsonObject { ["ja"] = l.TitleJa, ["en"] = l.TitleEn },
            ["eei"] = new JsonObject { ["item"] = l.EeiItem, ["name"] = l.EeiName },
            ["geometry"] = new JsonArray([.. l.GeometryTypes.Select(t => (JsonNode?)t)]),
            ["classification"] = policy.LayerLevel(l.Id),
            ["stale_after_minutes"] = l.StaleAfterMinutes,
            ["identity"] = l.Identity,
            ["lifeline"] = l.Lifeline,
            ["attributes"] = new JsonArray([.. l.Attributes.Select(a => (JsonNode?)new JsonObject
            {
                ["key"] = a.Key,
                ["type"] = a.Type,
                ["title"] = a.Title,
                ["unit"] = a.Unit,
                ["share"] = a.Basic ? "basic" : "specific",
                ["classification"] = attributes.GetValueOrDefault(a.Key, Classifications.Public),
            })]),
            ["rollup"] = l.Rollup.DeepClone(),
            ["style"] = l.Style.DeepClone(),
            ["formats"] = new JsonArray([.. formats.Parsers.Where(p => p.Layer == l.Id).Select(p => p.Format).Order(StringComparer.Ordinal).Select(f => (JsonNode?)f)]),
            ["collections"] = new JsonObject { ["per_source"] = $"/ogc/collections/{l.Id}", ["merged"] = $"/ogc/collections/{OgcEndpoints.MergedPrefix}{l.Id}" },
            ["tiles"] = $"/tiles/{l.Id}.json",
        };
        if (withSchema) o["schema"] = l.SchemaJson.DeepClone();
        return o;
    }
}
