using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// OpenAPI descriptions of the parameters the OGC items path reads from the query string itself (the handler streams
/// its answer, so they are not handler arguments the generator could see).
/// </summary>
public static class OgcOpenApi
{
    private static OpenApiParameter Query(string name, string description, JsonSchemaType type, string? format = null, JsonArray? enumValues = null) => new()
    {
        Name = name,
        In = ParameterLocation.Query,
        Description = description,
        Required = false,
        Schema = new OpenApiSchema { Type = type, Format = format, Enum = enumValues is null ? null : [.. enumValues.Select(v => (JsonNode)v!.DeepClone())] },
    };

    public static Task ItemsParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.Summary = "Features of a collection (GeoJSON), filtered, sorted and paged";
        operation.Description = "Any other query parameter must be a queryable of the collection (see its /queryables): `?status=開設` keeps features whose status is 開設. Unknown parameters answer 400 application/problem+json naming the parameter.";
        operation.Parameters ??= [];
        foreach (var p in new[]
        {
            Query("limit", "page size, 1–10000 (default 100)", JsonSchemaType.Integer),
            Query("offset", "features to skip", JsonSchemaType.Integer),
            Query("bbox", "minLon,minLat,maxLon,maxLat (CRS84)", JsonSchemaType.String),
            Query("datetime", "read as of this instant (RFC 3339 with a zone), or an interval ending in one", JsonSchemaType.String, "date-time"),
            Query("workspace", "a drill workspace (default live)", JsonSchemaType.String),
            Query("filter", "CQL2 text: = <> < > <= >=, AND/OR/NOT, LIKE, BETWEEN, IN, IS NULL, T_INTERSECTS/T_BEFORE/T_AFTER, S_INTERSECTS/S_WITHIN/S_CONTAINS/S_DISJOINT/S_EQUALS/S_TOUCHES/S_OVERLAPS/S_CROSSES on the queryables", JsonSchemaType.String),
            Query("filter-lang", "the filter's language", JsonSchemaType.String, enumValues: ["cql2-text"]),
            Query("filter-crs", "CRS of geometries in the filter", JsonSchemaType.String, enumValues: [OgcEndpoints.Crs84]),
            Query("sortby", "comma-separated queryables, +name ascending (default), -name descending", JsonSchemaType.String),
            Query("properties", "comma-separated properties to keep in each feature", JsonSchemaType.String),
            Query("f", "json or geojson (GeoJSON), csv (UTF-8 with BOM, lon/lat and WKT) or gpkg (GeoPackage); not csv or gpkg for the roll-up", JsonSchemaType.String, enumValues: ["json", "geojson", "csv", "gpkg"]),
        })
            operation.Parameters.Add(p);
        return Task.CompletedTask;
    }
}
