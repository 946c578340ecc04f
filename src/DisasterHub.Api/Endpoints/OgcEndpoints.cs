using System.Globalization;
using System.Text;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>OGC API – Features Part 1 over the EEI layers (landing, conformance, collections, items, item).</summary>
public static class OgcEndpoints
{
    private const string GeoJson = "application/geo+json";
    private const int DefaultLimit = 100;
    private const int MaxLimit = 10_000;

    public const string Rollup = "municipalities";
    public const string MergedPrefix = "merged_";

    /// <summary>Collections: each EEI layer per source, each merged layer, and the municipality roll-up.</summary>
    public static IEnumerable<string> CollectionIds =>
        [.. Layers.All, .. Layers.All.Select(l => MergedPrefix + l), Rollup];

    private static ReadScope? Scope(string collection, Clearance levels, string workspace, DateTimeOffset now, DateTimeOffset? at) =>
        collection == Rollup ? new ReadScope(RowSet.Merged, [.. Layers.All], workspace, levels, now, at)
        : Layers.IsKnown(collection) ? new ReadScope(RowSet.Features, [collection], workspace, levels, now, at)
        : collection.StartsWith(MergedPrefix, StringComparison.Ordinal) && Layers.IsKnown(collection[MergedPrefix.Length..])
            ? new ReadScope(RowSet.Merged, [collection[MergedPrefix.Length..]], workspace, levels, now, at)
            : null;

    /// <summary>OGC <c>datetime</c>: an instant, or an interval whose end is the instant read ("../T", "T1/T2").</summary>
    public static bool TryParseInstant(string? raw, out DateTimeOffset? at)
    {
        at = null;
        if (string.IsNullOrEmpty(raw)) return true;
        var end = raw.Contains('/', StringComparison.Ordinal) ? raw[(raw.LastIndexOf('/') + 1)..] : raw;
        if (end is ".." or "") return true;
        if (!DateTimeOffset.TryParse(end, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var t) || !HasZone(end)) return false;
        at = t;
        return true;
    }

    private static bool HasZone(string s) => s.EndsWith('Z') || s.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(s, @"[+-]\d\d:?\d\d$");

    public static IEndpointRouteBuilder MapOgc(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/ogc").WithTags("OGC API Features").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads);
        g.MapGet("", Landing);
        g.MapGet("/conformance", () => Results.Json(new
        {
            conformsTo = new[]
            {
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            },
        }));
        g.MapGet("/collections", Collections);
        g.MapGet("/collections/{layer}", Collection);
        g.MapGet("/collections/{layer}/items", Items);
        g.MapGet("/collections/{layer}/queryables", Queryables);
        g.MapGet("/collections/{layer}/items/{id}", Item);
        return app;
    }

    /// <summary>The standard parameters of every items request (the roll-up too); the collections' queryables come on top.</summary>
    private static readonly HashSet<string> ItemParameters = new(StringComparer.Ordinal) { "limit", "offset", "bbox", "datetime", "workspace", "f" };

    /// <summary>Links start at the configured public base URL, never at the request's Host header.</summary>
    private static string Base(HttpContext ctx) => $"{ctx.PublicBase()}/ogc";

    private static IResult Landing(HttpContext ctx) => Results.Json(new
    {
        title = "DisasterHub",
        description = "Essential elements of information (EEI) for disaster response, one layer per collection",
        links = new object[]
        {
            new { href = Base(ctx), rel = "self", type = "application/json", title = "this document" },
            new { href = $"{Base(ctx)}/conformance", rel = "conformance", type = "application/json", title = "conformance" },
            new { href = $"{ctx.PublicBase()}{ApiDescription.DocumentPath}", rel = "service-desc", type = "application/vnd.oai.openapi+json;version=3.1", title = "the API description (OpenAPI 3.1)" },
            new { href = $"{ctx.PublicBase()}/docs", rel = "service-doc", type = "text/html", title = "the API reference" },
            new { href = $"{Base(ctx)}/collections", rel = "data", type = "application/json", title = "collections" },
        },
    });

    private static async Task<object> Describe(HttpContext ctx, FeatureQueries q, string layer, ReadScope scope, CancellationToken ct)
    {
        var (bbox, _) = await q.ExtentAsync(scope, ct);
        return new
        {
            id = layer,
            title = layer == Rollup ? "municipality roll-up" : layer.StartsWith(MergedPrefix, StringComparison.Ordinal) ? $"{layer[MergedPrefix.Length..]} (merged)" : $"{layer} (per source)",
            itemType = "feature",
            crs = new[] { "http://www.opengis.net/def/crs/OGC/1.3/CRS84" },
            extent = new { spatial = new { bbox = new[] { bbox ?? [122.0, 20.0, 154.0, 46.0] }, crs = "http://www.opengis.net/def/crs/OGC/1.3/CRS84" } },
            links = new object[]
            {
                new { href = $"{Base(ctx)}/collections/{layer}", rel = "self", type = "application/json" },
                new { href = $"{Base(ctx)}/collections/{layer}/items", rel = "items", type = GeoJson },
            },
        };
    }

    private static async Task<IResult> Collections(HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var levels = await ReadAccess.LevelsAsync(ctx, db, ct);
        var list = new List<object>();
        foreach (var id in CollectionIds) list.Add(await Describe(ctx, q, id, Scope(id, levels, ReadAccess.Workspace(ctx), clock.GetUtcNow(), null)!, ct));
        list.Add(ReportingStatusEndpoints.Describe(ctx));
        return Results.Json(new
        {
            links = new object[] { new { href = $"{Base(ctx)}/collections", rel = "self", type = "application/json" } },
            collections = list,
        });
    }

    private static async Task<IResult> Collection(string layer, HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
        Scope(layer, await ReadAccess.LevelsAsync(ctx, db, ct), ReadAccess.Workspace(ctx), clock.GetUtcNow(), null) is { } scope
            ? Results.Json(await Describe(ctx, q, layer, scope, ct))
            : NotFound(layer);

    /// <summary>The properties a collection's items can be filtered on (<c>?status=開設</c>), as a JSON Schema.</summary>
    private static IResult Queryables(string layer, HttpContext ctx) =>
        layer == Rollup || !Layers.All.Any(l => layer == l || layer == $"merged_{l}")
            ? NotFound(layer)
            : Results.Json(new Dictionary<string, object>
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = $"{Base(ctx)}/collections/{layer}/queryables",
                ["type"] = "object",
                ["title"] = layer,
                ["properties"] = ItemQuery.Queryables.ToDictionary(x => x.Name, x => (object)new { type = x.Type, title = x.Title }),
                ["additionalProperties"] = false,
            }, contentType: "application/schema+json");

    private static IResult NotFound(string layer) =>
        Results.Problem(statusCode: 404, title: "Not Found", detail: $"no collection '{layer}'");

    private static async Task Items(string layer, HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        if (!TryParseInstant(query["datetime"], out var at))
        {
            await Results.Problem(statusCode: 400, title: "Bad Request", detail: "datetime must be an RFC 3339 instant with a zone, or an interval ending in one").ExecuteAsync(ctx);
            return;
        }
        var scope = Scope(layer, await ReadAccess.LevelsAsync(ctx, db, ct), ReadAccess.Workspace(ctx), clock.GetUtcNow(), at);
        if (scope is null)
        {
            await NotFound(layer).ExecuteAsync(ctx);
            return;
        }
        if (!TryInt(query["limit"], DefaultLimit, 1, MaxLimit, out var limit) || !TryInt(query["offset"], 0, 0, int.MaxValue, out var offset))
        {
            await Results.Problem(statusCode: 400, title: "Bad Request", detail: $"limit must be 1–{MaxLimit} and offset ≥ 0").ExecuteAsync(ctx);
            return;
        }
        double[]? bbox = null;
        if (query["bbox"].ToString() is { Length: > 0 } b)
        {
            var parts = b.Split(',');
            bbox = parts.Length == 4 && parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? [.. parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture))]
                : null;
            if (bbox is null || bbox[0] > bbox[2] || bbox[1] > bbox[3])
            {
                await Results.Problem(statusCode: 400, title: "Bad Request", detail: "bbox must be minLon,minLat,maxLon,maxLat").ExecuteAsync(ctx);
                return;
            }
        }

        // every parameter is one the collection knows: an unknown one is a 400, not silently nothing
        var properties = new Dictionary<string, string>();
        foreach (var (name, values) in query)
        {
            if (ItemParameters.Contains(name)) continue;
            var queryable = layer == Rollup ? default : ItemQuery.Queryables.FirstOrDefault(x => x.Name == name);
            if (queryable.Name is null)
            {
                await ParameterProblem.For(name, $"unknown parameter '{name}': this collection takes {string.Join(", ", ItemParameters.Order(StringComparer.Ordinal))}{(layer == Rollup ? "" : ", and the queryables " + string.Join(", ", ItemQuery.Queryables.Select(x => x.Name)))}").ExecuteAsync(ctx);
                return;
            }
            if (queryable.Type == "integer" && !int.TryParse(values.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                await ParameterProblem.For(name, $"{name} must be an integer").ExecuteAsync(ctx);
                return;
            }
            properties[name] = values.ToString();
        }
        if (query["f"].ToString() is { Length: > 0 } f && f is not ("json" or "geojson"))
        {
            await ParameterProblem.For("f", "f must be json or geojson").ExecuteAsync(ctx);
            return;
        }
        var iq = new ItemQuery(scope, bbox, limit, offset, Properties: properties);
        var rollup = layer == Rollup;
        var matched = rollup ? -1 : await q.CountAsync(iq, ct);
        ctx.Response.ContentType = GeoJson;
        var w = ctx.Response.BodyWriter;
        var returned = 0;
        Write(w, "{\"type\":\"FeatureCollection\",\"features\":[");
        await foreach (var feature in rollup ? q.RollupAsync(iq, ct) : q.ItemsAsync(iq, ct))
        {
            if (returned++ > 0) Write(w, ",");
            Write(w, feature);
            if (returned % 200 == 0) await w.FlushAsync(ct);
        }
        var self = $"{Base(ctx)}/collections/{layer}/items";
        var keep = (bbox is null ? "" : $"&bbox={string.Join(',', bbox.Select(v => v.ToString(CultureInfo.InvariantCulture)))}")
            + (at is null ? "" : $"&datetime={Uri.EscapeDataString(at.Value.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture))}")
            + (query["workspace"].ToString() is { Length: > 0 } ws ? $"&workspace={Uri.EscapeDataString(ws)}" : "")
            + string.Concat(properties.Select(p => $"&{p.Key}={Uri.EscapeDataString(p.Value)}"));
        var links = new List<string> { Link($"{self}?limit={limit}&offset={offset}{keep}", "self") };
        if (rollup ? returned == limit : offset + returned < matched) links.Add(Link($"{self}?limit={limit}&offset={offset + limit}{keep}", "next"));
        if (offset > 0) links.Add(Link($"{self}?limit={limit}&offset={Math.Max(0, offset - limit)}{keep}", "prev"));
        Write(w, $"],{(rollup ? "" : $"\"numberMatched\":{matched},")}\"numberReturned\":{returned},\"timeStamp\":\"{clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}\",\"links\":[{string.Join(',', links)}]}}");
        await w.FlushAsync(ct);
    }

    private static string Link(string href, string rel) => $"{{\"href\":{System.Text.Json.JsonSerializer.Serialize(href)},\"rel\":\"{rel}\",\"type\":\"{GeoJson}\"}}";

    private static void Write(System.IO.Pipelines.PipeWriter w, string s)
    {
        var span = w.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        var n = Encoding.UTF8.GetBytes(s, span);
        w.Advance(n);
    }

    private static bool TryInt(string? raw, int fallback, int min, int max, out int value)
    {
        value = fallback;
        if (string.IsNullOrEmpty(raw)) return true;
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }

    private static async Task<IResult> Item(string layer, string id, HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!TryParseInstant(ctx.Request.Query["datetime"], out var at)) return Results.Problem(statusCode: 400, title: "Bad Request", detail: "bad datetime");
        var scope = Scope(layer, await ReadAccess.LevelsAsync(ctx, db, ct), ReadAccess.Workspace(ctx), clock.GetUtcNow(), at);
        if (scope is null || layer == Rollup) return NotFound(layer);
        if (!Guid.TryParse(id, out var guid)) return Results.Problem(statusCode: 404, title: "Not Found", detail: $"no feature '{id}'");
        await foreach (var f in q.ItemsAsync(new ItemQuery(scope, null, 1, 0, guid), ct))
            return Results.Text(f, GeoJson, Encoding.UTF8);
        return Results.Problem(statusCode: 404, title: "Not Found", detail: $"no feature '{id}'");
    }
}
