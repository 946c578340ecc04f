using System.Globalization;
using System.Text;
using DisasterHub.Api.Auth;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Core.Cql2;
using DisasterHub.Data;

namespace DisasterHub.Api.Endpoints;

/// <summary>OGC API – Features Part 1 over the EEI layers (landing, conformance, collections, items, item).</summary>
public static class OgcEndpoints
{
    private const string GeoJson = "application/geo+json";
    private const int DefaultLimit = 100;
    private const int MaxLimit = 10_000;

    public const string Rollup = "municipalities";

    /// <summary>The one CRS of every collection, bbox and filter geometry (lon/lat WGS84).</summary>
    public const string Crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    public const string MergedPrefix = "merged_";

    /// <summary>Collections: each EEI layer per source, each merged layer, and the municipality roll-up.</summary>
    public static IEnumerable<string> CollectionIds(LayerCatalogue catalogue) =>
        [.. catalogue.Ids, .. catalogue.Ids.Select(l => MergedPrefix + l), Rollup];

    private static ReadScope? Scope(HttpContext ctx, string collection, Clearance levels, string workspace, DateTimeOffset now, DateTimeOffset? at) =>
        Scope(ctx.RequestServices.GetRequiredService<LayerCatalogue>(), collection, levels, workspace, now, at);

    /// <summary>The rows an items collection reads (null for an unknown collection); the view export reads through it too.</summary>
    public static ReadScope? Scope(LayerCatalogue catalogue, string collection, Clearance levels, string workspace, DateTimeOffset now, DateTimeOffset? at) =>
        collection == Rollup ? new ReadScope(RowSet.Merged, [.. catalogue.Ids], workspace, levels, now, at)
        : catalogue.IsKnown(collection) ? new ReadScope(RowSet.Features, [collection], workspace, levels, now, at)
        : collection.StartsWith(MergedPrefix, StringComparison.Ordinal) && catalogue.IsKnown(collection[MergedPrefix.Length..])
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
        var g = app.MapGroup("/ogc").WithTags("OGC API Features").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("", Landing);
        g.MapGet("/conformance", () => Results.Json(new { conformsTo = ConformanceClasses }));
        g.MapGet("/collections", Collections);
        g.MapGet("/collections/{layer}", Collection);
        g.MapGet("/collections/{layer}/queryables", QueryablesOf);
        g.MapGet("/collections/{layer}/items", Items).AddOpenApiOperationTransformer(OgcOpenApi.ItemsParameters);
        g.MapGet("/collections/{layer}/items/{id}", Item);
        return app;
    }

    /// <summary>What <c>/ogc/conformance</c> declares: Part 1 core + GeoJSON, Part 3 filtering with CQL2 text.</summary>
    public static readonly string[] ConformanceClasses =
    [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    ];

    /// <summary>Parameters of the items path besides property filters (queryables); anything else answers 400.</summary>
    private static readonly HashSet<string> ItemsParameters = new(StringComparer.Ordinal)
        { "limit", "offset", "bbox", "datetime", "workspace", "filter", "filter-lang", "filter-crs", "sortby", "properties", "f" };

    /// <summary>The roll-up is computed, not stored: no filtering or sorting on it.</summary>
    private static readonly HashSet<string> RollupParameters = new(StringComparer.Ordinal) { "limit", "offset", "bbox", "datetime", "workspace", "f" };

    private static string LayerOf(string collection) =>
        collection.StartsWith(MergedPrefix, StringComparison.Ordinal) ? collection[MergedPrefix.Length..] : collection;

    /// <summary>What this caller may filter and sort the collection on: the layer's queryables less what is hidden from it.</summary>
    private static IReadOnlyDictionary<string, QueryableProperty> QueryablesFor(HttpContext ctx, string collection, Clearance clearance)
    {
        if (collection == Rollup) return new Dictionary<string, QueryableProperty>();
        var layer = LayerOf(collection);
        var hidden = ctx.RequestServices.GetRequiredService<ClassificationPolicy>().Hidden(clearance.Levels).GetValueOrDefault(layer) ?? [];
        return Queryables.For(ctx.RequestServices.GetRequiredService<LayerCatalogue>().Find(layer), hidden);
    }

    private static async Task<IResult> QueryablesOf(string layer, HttpContext ctx, HubDbContext db, CancellationToken ct)
    {
        if (!CollectionIds(ctx.RequestServices.GetRequiredService<LayerCatalogue>()).Contains(layer)) return NotFound(layer);
        var queryables = QueryablesFor(ctx, layer, await ReadAccess.LevelsAsync(ctx, db, ct));
        return Results.Json(new Dictionary<string, object>
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"{Base(ctx)}/collections/{layer}/queryables",
            ["type"] = "object",
            ["title"] = layer,
            ["properties"] = queryables.Values.ToDictionary(q => q.Name, Queryables.Schema),
            ["additionalProperties"] = false,
        }, contentType: "application/schema+json");
    }

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
            new { href = $"{Base(ctx)}/collections", rel = "data", type = "application/json", title = "collections" },
            new { href = $"{ctx.PublicBase()}{ApiDescription.DocumentPath}", rel = "service-desc", type = "application/vnd.oai.openapi+json;version=3.1", title = "the API description (OpenAPI 3.1)" },
            new { href = $"{ctx.PublicBase()}/docs", rel = "service-doc", type = "text/html", title = "the API reference" },
        },
    });

    /// <summary>The catalogue's titles of a layer ("道路規制 / Road closures").</summary>
    private static string Title(HttpContext ctx, string layer) =>
        ctx.RequestServices.GetRequiredService<LayerCatalogue>().Find(layer) is { } l ? $"{l.TitleJa} / {l.TitleEn}" : layer;

    private static async Task<object> Describe(HttpContext ctx, FeatureQueries q, string layer, ReadScope scope, CancellationToken ct)
    {
        var (bbox, _, first, last) = await q.ExtentAsync(scope, ct);
        return new
        {
            id = layer,
            title = layer == Rollup ? "municipality roll-up" : $"{Title(ctx, LayerOf(layer))} ({(layer.StartsWith(MergedPrefix, StringComparison.Ordinal) ? "merged" : "per source")})",
            itemType = "feature",
            crs = new[] { Crs84 },
            extent = new
            {
                spatial = new { bbox = new[] { bbox ?? [122.0, 20.0, 154.0, 46.0] }, crs = Crs84 },
                temporal = new { interval = new[] { new[] { Rfc3339(first), Rfc3339(last) } }, trs = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian" },
            },
            links = new object[]
            {
                new { href = $"{Base(ctx)}/collections/{layer}", rel = "self", type = "application/json" },
                new { href = $"{Base(ctx)}/collections/{layer}/items", rel = "items", type = GeoJson },
                new { href = $"{Base(ctx)}/collections/{layer}/queryables", rel = "http://www.opengis.net/def/rel/ogc/1.0/queryables", type = "application/schema+json" },
            },
        };
    }

    private static string? Rfc3339(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static async Task<IResult> Collections(HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var levels = await ReadAccess.LevelsAsync(ctx, db, ct);
        var list = new List<object>();
        foreach (var id in CollectionIds(ctx.RequestServices.GetRequiredService<LayerCatalogue>())) list.Add(await Describe(ctx, q, id, Scope(ctx, id, levels, ReadAccess.Workspace(ctx), clock.GetUtcNow(), null)!, ct));
        list.Add(ReportingStatusEndpoints.Describe(ctx));
        return Results.Json(new
        {
            links = new object[] { new { href = $"{Base(ctx)}/collections", rel = "self", type = "application/json" } },
            collections = list,
        });
    }

    private static async Task<IResult> Collection(string layer, HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
        Scope(ctx, layer, await ReadAccess.LevelsAsync(ctx, db, ct), ReadAccess.Workspace(ctx), clock.GetUtcNow(), null) is { } scope
            ? Results.Json(await Describe(ctx, q, layer, scope, ct))
            : NotFound(layer);

    private static IResult NotFound(string layer) =>
        Results.Problem(statusCode: 404, title: "Not Found", detail: $"no collection '{layer}'");

    private static async Task Items(string layer, HttpContext ctx, FeatureQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        if (!TryParseInstant(query.One("datetime"), out var at))
        {
            await ParameterProblem.For("datetime", "datetime must be an RFC 3339 instant with a zone, or an interval ending in one").ExecuteAsync(ctx);
            return;
        }
        var clearance = await ReadAccess.LevelsAsync(ctx, db, ct);
        var scope = Scope(ctx, layer, clearance, ReadAccess.Workspace(ctx), clock.GetUtcNow(), at);
        if (scope is null)
        {
            await NotFound(layer).ExecuteAsync(ctx);
            return;
        }
        var rollup = layer == Rollup;
        var queryables = QueryablesFor(ctx, layer, clearance);
        if (QueryGuard.Unknown(query, rollup ? RollupParameters : ItemsParameters, queryables.ContainsKey) is { } unknown)
        {
            await ParameterProblem.For(unknown, rollup
                ? $"unknown parameter '{unknown}': the roll-up takes {string.Join(", ", RollupParameters)}"
                : $"unknown parameter '{unknown}': neither a parameter of this path nor a queryable of {layer} (see {Base(ctx)}/collections/{layer}/queryables)").ExecuteAsync(ctx);
            return;
        }
        if (!TryInt(query.One("limit"), DefaultLimit, 1, MaxLimit, out var limit) || !TryInt(query.One("offset"), 0, 0, int.MaxValue, out var offset))
        {
            await ParameterProblem.For(query.ContainsKey("limit") ? "limit" : "offset", $"limit must be 1–{MaxLimit} and offset ≥ 0").ExecuteAsync(ctx);
            return;
        }
        double[]? bbox = null;
        if (query.One("bbox") is { Length: > 0 } b)
        {
            var parts = b.Split(',');
            bbox = parts.Length == 4 && parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? [.. parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture))]
                : null;
            if (bbox is null || bbox[0] > bbox[2] || bbox[1] > bbox[3])
            {
                await ParameterProblem.For("bbox", "bbox must be minLon,minLat,maxLon,maxLat").ExecuteAsync(ctx);
                return;
            }
        }

        var iq = new ItemQuery(scope, bbox, limit, offset)
        {
            ItemsUrl = $"{Base(ctx)}/collections/{layer}/items",
            CollectionUrl = $"{Base(ctx)}/collections/{layer}",
            RollupJson = rollup ? ctx.RequestServices.GetRequiredService<LayerCatalogue>().RollupJson : "{}",
        };
        if (!rollup)
        {
            var (filter, problem) = FilterOf(query, queryables);
            if (problem is not null)
            {
                await problem.ExecuteAsync(ctx);
                return;
            }
            var properties = Names(query.One("properties"));
            if (properties?.FirstOrDefault(p => !queryables.ContainsKey(p) && !OutputProperties.Contains(p)) is { } unknownProperty)
            {
                await ParameterProblem.For("properties", $"unknown property '{unknownProperty}' in properties", property: unknownProperty).ExecuteAsync(ctx);
                return;
            }
            iq = iq with { Filter = filter!, Properties = properties };
        }
        var format = query.One("f") ?? "json";
        if (format is not ("json" or "geojson" or "csv" or "gpkg") || (rollup && format is "csv" or "gpkg"))
        {
            await ParameterProblem.For("f", rollup ? "f must be json or geojson for the roll-up" : "f must be json, geojson, csv or gpkg").ExecuteAsync(ctx);
            return;
        }
        if (format is "csv" or "gpkg")
        {
            await ItemsAsFile(ctx, q, iq, layer, format, offset, limit, clock, ct);
            return;
        }
        // the page and numberMatched in one round trip on one connection; the count is read after the features
        var count = new System.Runtime.CompilerServices.StrongBox<long>(-1);
        // the live roll-up is shared by callers asking the same until the next change (RollupCache)
        List<string>? shared = null;
        if (rollup && at is null)
        {
            var key = string.Join('|', iq.Scope.Workspace, iq.Scope.Clearance.CacheKey, bbox is null ? "" : string.Join(',', bbox), limit, offset);
            var (rows, hit) = await ctx.RequestServices.GetRequiredService<RollupCache>().GetAsync(key, iq.Scope.Workspace, async () =>
            {
                var list = new List<string>();
                await foreach (var row in q.RollupAsync(iq, CancellationToken.None)) list.Add(row);
                return list;
            }, ct);
            ctx.Response.Headers["X-Rollup-Cache"] = hit ? "hit" : "miss";
            shared = rows;
        }
        ctx.Response.ContentType = GeoJson;
        var w = ctx.Response.BodyWriter;
        var returned = 0;
        Write(w, "{\"type\":\"FeatureCollection\",\"features\":[");
        await foreach (var feature in shared is not null ? shared.ToAsyncEnumerable() : rollup ? q.RollupAsync(iq, ct) : q.PageAsync(iq, count, ct))
        {
            if (returned++ > 0) Write(w, ",");
            Write(w, feature);
            if (returned % 200 == 0) await w.FlushAsync(ct);
        }
        var matched = count.Value;
        var self = $"{Base(ctx)}/collections/{layer}/items";
        var keep = Kept(query);
        var links = new List<string> { Link($"{self}?limit={limit}&offset={offset}{keep}", "self") };
        if (rollup ? returned == limit : offset + returned < matched) links.Add(Link($"{self}?limit={limit}&offset={offset + limit}{keep}", "next"));
        if (offset > 0) links.Add(Link($"{self}?limit={limit}&offset={Math.Max(0, offset - limit)}{keep}", "prev"));
        links.Add($"{{\"href\":{System.Text.Json.JsonSerializer.Serialize($"{Base(ctx)}/collections/{layer}")},\"rel\":\"collection\",\"type\":\"application/json\"}}");
        Write(w, $"],{(rollup ? "" : $"\"numberMatched\":{matched},")}\"numberReturned\":{returned},\"timeStamp\":\"{clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}\",\"links\":[{string.Join(',', links)}]}}");
        await w.FlushAsync(ct);
    }

    /// <summary>
    /// <c>f=csv</c> / <c>f=gpkg</c>: the same page of features as a file (<see cref="Exports.ItemsFile"/>), named after the
    /// collection; the total and the next page are in headers (<c>OGC-NumberMatched</c>, <c>Link: rel="next"</c>).
    /// </summary>
    private static async Task ItemsAsFile(HttpContext ctx, FeatureQueries q, ItemQuery iq, string layer, string format, int offset, int limit,
        TimeProvider clock, CancellationToken ct)
    {
        var matched = await q.CountAsync(iq, ct);
        var now = clock.GetUtcNow();
        var name = $"{layer}-{now:yyyyMMdd'T'HHmmss'Z'}";
        ctx.Response.Headers["OGC-NumberMatched"] = matched.ToString(CultureInfo.InvariantCulture);
        if (offset + limit < matched)
        {
            var next = $"{Base(ctx)}/collections/{layer}/items?limit={limit}&offset={offset + limit}{Kept(ctx.Request.Query)}";
            ctx.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }
        if (format == "csv")
        {
            ctx.Response.ContentType = "text/csv; charset=utf-8";
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.csv\"";
            await Exports.ItemsFile.WriteCsvAsync(ctx.Response.Body, q.ItemsAsync(iq, ct), iq.Properties, ct);
            return;
        }
        var info = new List<(string, string)>
        {
            ("generated_at", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            ("collection", layer), ("workspace", iq.Scope.Workspace), ("clearance", string.Join(',', iq.Scope.Clearance.Levels)),
            ("request", $"{ctx.Request.Path}{ctx.Request.QueryString}"), ("number_matched", matched.ToString(CultureInfo.InvariantCulture)),
            ("licences", "each feature's licenses column names its sources' licence and attribution"), ("producer", "DisasterHub"),
        };
        await Exports.ItemsFile.SendGeoPackageAsync(ctx, name, path => Exports.ItemsFile.WriteGeoPackageAsync(path, layer, q.ItemsAsync(iq, ct), iq.Properties, info, now, ct), ct);
    }

    /// <summary>Every parameter but the page, kept on self/next/prev links: filters, sort, properties, format, as-of, workspace.</summary>
    private static string Kept(IQueryCollection query) => string.Concat(query.Where(p => p.Key is not "limit" and not "offset")
        .Select(p => $"&{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.Count > 0 ? p.Value[0] ?? "" : "")}"));

    /// <summary>Properties of every item besides the queryables, which <c>properties=</c> may name too.</summary>
    private static readonly HashSet<string> OutputProperties = new(StringComparer.Ordinal)
        { "layer", "sources", "source_key", "classification", "workspace", "conflicts", "provenance", "licenses", "attrs" };

    private static string[]? Names(string? list) => string.IsNullOrWhiteSpace(list) ? null
        : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.TrimStart('+'))];

    /// <summary>
    /// <c>filter</c> (CQL2 text), property filters (<c>?status=開設</c>, each a queryable) and <c>sortby</c> made into
    /// parameterized SQL; a syntax error, an unknown or hidden property, or a type mismatch → 400 naming it.
    /// </summary>
    private static (SqlFilter? Filter, IResult? Problem) FilterOf(IQueryCollection query, IReadOnlyDictionary<string, QueryableProperty> queryables)
    {
        Cql2Node? tree = null;
        if (query.One("filter") is { Length: > 0 } text)
        {
            try
            {
                tree = Cql2Parser.Parse(text);
            }
            catch (Cql2Exception e)
            {
                return (null, ParameterProblem.For("filter", $"filter: {e.Message}", position: e.Position, property: e.Property));
            }
        }
        var equals = query.Where(p => queryables.ContainsKey(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value.Count > 0 ? p.Value[0] ?? "" : "")).ToList();
        var sort = new List<(string, bool)>();
        foreach (var item in Names(query.One("sortby")) ?? [])
        {
            // "+name" arrives as " name" when the '+' was not escaped; TrimEntries has removed that space
            var desc = item.StartsWith('-');
            sort.Add((desc || item.StartsWith('+') ? item[1..].Trim() : item, desc));
        }
        try
        {
            return (Cql2Sql.Compile(queryables, tree, equals, sort), null);
        }
        catch (Cql2Exception e)
        {
            var parameter = tree is not null && e.Position > 0 ? "filter"
                : e.Property is { } p && equals.Any(x => x.Key == p) ? p
                : sort.Count > 0 && e.Property is not null && sort.Any(x => x.Item1 == e.Property) ? "sortby"
                : "filter";
            return (null, ParameterProblem.For(parameter, parameter == "filter" ? $"filter: {e.Message}" : e.Message, position: e.Position, property: e.Property));
        }
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
        var scope = Scope(ctx, layer, await ReadAccess.LevelsAsync(ctx, db, ct), ReadAccess.Workspace(ctx), clock.GetUtcNow(), at);
        if (scope is null || layer == Rollup) return NotFound(layer);
        if (!Guid.TryParse(id, out var guid)) return Results.Problem(statusCode: 404, title: "Not Found", detail: $"no feature '{id}'");
        var one = new ItemQuery(scope, null, 1, 0, guid) { ItemsUrl = $"{Base(ctx)}/collections/{layer}/items", CollectionUrl = $"{Base(ctx)}/collections/{layer}" };
        await foreach (var f in q.ItemsAsync(one, ct))
            return Results.Text(f, GeoJson, Encoding.UTF8);
        return Results.Problem(statusCode: 404, title: "Not Found", detail: $"no feature '{id}'");
    }
}
