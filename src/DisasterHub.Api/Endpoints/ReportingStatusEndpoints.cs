using DisasterHub.Api.Http;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Endpoints;

/// <summary>
/// Who has not reported: the OGC API Features collection <c>reporting_status</c> — every municipality of the area an
/// officer chooses, with the time of its last report per EEI item (null = never) and its 災害対策本部 status.
/// </summary>
/// <remarks>
/// Area: <c>pref=</c> (17, 170003 or 石川県), <c>under=warnings</c>, <c>intensity_min=</c> (1–4, 5-/5弱, 5+/5強, 6-/6弱,
/// 6+/6強, 7), <c>bbox=</c>, <c>geom=</c> (WKT polygon), or a polygon POSTed (GeoJSON geometry/Feature, or WKT as
/// text/plain) to the items path; everything given applies at once. Reads under the caller's clearance like every
/// other collection, in the caller's workspace, and as of <c>datetime=</c>.
/// </remarks>
public static class ReportingStatusEndpoints
{
    public const string Collection = "reporting_status";
    private const string GeoJson = "application/geo+json";
    private const int DefaultLimit = 2000;
    private const int MaxLimit = 10_000;
    private const int MaxVertices = 10_000;
    private const int MaxBodyBytes = 1024 * 1024;

    private static readonly Dictionary<string, int> IntensityRanks = new(StringComparer.Ordinal)
    {
        ["1"] = 1, ["2"] = 2, ["3"] = 3, ["4"] = 4, ["5-"] = 5, ["5弱"] = 5, ["5+"] = 6, ["5強"] = 6,
        ["6-"] = 7, ["6弱"] = 7, ["6+"] = 8, ["6強"] = 8, ["7"] = 9,
    };

    public static IEndpointRouteBuilder MapReportingStatus(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup($"/ogc/collections/{Collection}").WithTags("OGC API Features").RequireRateLimiting(RateLimits.Read).RequireCors(ApiDescription.PublicReads).RequireAuthorization(HubPolicies.PublicRead);
        g.MapGet("", (HttpContext ctx) => Results.Json(Describe(ctx)));
        g.MapGet("/items", (HttpContext ctx, ReportingQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct) => Items(ctx, q, db, clock, null, ct));
        g.MapPost("/items", async (HttpContext ctx, ReportingQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var (wkb, problem) = await BodyPolygonAsync(ctx.Request, ct);
            if (problem is not null) await problem.ExecuteAsync(ctx);
            else await Items(ctx, q, db, clock, wkb, ct);
        }).DisableAntiforgery();
        g.MapGet("/items/{code}", Item);
        return app;
    }

    private static string Base(HttpContext ctx) => $"{DisasterHub.Api.Http.PublicUrlsExtensions.PublicBase(ctx)}/ogc"; // never the Host header (issue 17)

    /// <summary>The collection's description (also listed under /ogc/collections).</summary>
    public static object Describe(HttpContext ctx) => new
    {
        id = Collection,
        title = "reporting status (who has not reported)",
        description = "every municipality of the chosen area: last report per EEI item (shelters, damage, evacuation, lifelines; null = never) and 災害対策本部 status",
        itemType = "feature",
        crs = new[] { OgcEndpoints.Crs84 },
        extent = new { spatial = new { bbox = new[] { new[] { 122.0, 20.0, 154.0, 46.0 } }, crs = OgcEndpoints.Crs84 } },
        links = new object[]
        {
            new { href = $"{Base(ctx)}/collections/{Collection}", rel = "self", type = "application/json" },
            new { href = $"{Base(ctx)}/collections/{Collection}/items", rel = "items", type = GeoJson },
        },
    };

    private static IResult Problem(string detail, string parameter, int status = 400) => ParameterProblem.For(parameter, detail, status);

    /// <summary>The query's area, or the problem with the first parameter that does not read.</summary>
    public static (ReportingArea? Area, IResult? Problem) ParseArea(IQueryCollection query, byte[]? postedPolygon)
    {
        string? pref = null;
        if (query["pref"].ToString() is { Length: > 0 } p)
        {
            pref = PrefectureOf(p.Trim());
            if (pref is null) return (null, Problem($"pref '{p}' is not a prefecture (a code such as 17 or 170003, or a name such as 石川県)", "pref"));
        }
        var under = false;
        if (query["under"].ToString() is { Length: > 0 } u)
        {
            if (u != "warnings") return (null, Problem($"under '{u}': the only value is 'warnings'", "under"));
            under = true;
        }
        int? rank = null;
        if (query["intensity_min"].ToString() is { Length: > 0 } i)
        {
            if (!IntensityRanks.TryGetValue(i.Trim(), out var r))
                return (null, Problem($"intensity_min '{i}' is not a JMA seismic intensity (1, 2, 3, 4, 5-, 5+, 6-, 6+, 7 or 5弱 … 6強)", "intensity_min"));
            rank = r;
        }
        double[]? bbox = null;
        if (query["bbox"].ToString() is { Length: > 0 } b)
        {
            var parts = b.Split(',');
            bbox = parts.Length == 4 && parts.All(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                ? [.. parts.Select(x => double.Parse(x, CultureInfo.InvariantCulture))]
                : null;
            if (bbox is null || bbox[0] > bbox[2] || bbox[1] > bbox[3]) return (null, Problem("bbox must be minLon,minLat,maxLon,maxLat", "bbox"));
        }
        var area = postedPolygon;
        if (query["geom"].ToString() is { Length: > 0 } wkt)
        {
            if (area is not null) return (null, Problem("give the polygon either as geom= or in the body, not both", "geom"));
            Geometry? g;
            try
            {
                g = new WKTReader().Read(wkt);
            }
            catch (Exception e) when (e is ParseException or ArgumentException or FormatException)
            {
                return (null, Problem($"geom is not WKT: {e.Message}", "geom"));
            }
            var (bytes, why) = CheckPolygon(g);
            if (bytes is null) return (null, Problem($"geom: {why}", "geom"));
            area = bytes;
        }
        return (new ReportingArea(pref, under, rank, bbox, area), null);
    }

    internal static string? PrefectureOf(string p)
    {
        if (p.Length is 1 or 2 && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && MunicipalityCode.IsPrefecture(n))
            return n.ToString("00", CultureInfo.InvariantCulture);
        if (p.Length == 6 && MunicipalityCode.TryNormalize(p, out var code6, out _) && code6[2..5] == "000" && MunicipalityCode.IsPrefecture(int.Parse(code6[..2], CultureInfo.InvariantCulture)))
            return code6[..2];
        return MunicipalityDirectory.LoadEmbedded().Entries.FirstOrDefault(e => e.IsPrefecture && e.Prefecture == p)?.Code[..2];
    }

    /// <summary>A polygon the view can use: (Multi)Polygon, valid, lon/lat, not absurdly large.</summary>
    private static (byte[]? Wkb, string? Why) CheckPolygon(Geometry? g)
    {
        if (g is null || g.IsEmpty) return (null, "empty geometry");
        if (g is not (Polygon or MultiPolygon)) return (null, $"a {g.GeometryType} is not an area: draw a Polygon or MultiPolygon");
        if (g.NumPoints > MaxVertices) return (null, $"{g.NumPoints} vertices (at most {MaxVertices})");
        var e = g.EnvelopeInternal;
        if (e.MinX < -180 || e.MaxX > 180 || e.MinY < -90 || e.MaxY > 90) return (null, "coordinates must be longitude, latitude (EPSG:4326)");
        if (!g.IsValid) return (null, "the polygon is not valid (it crosses itself or its rings are not closed)");
        return (new WKBWriter(ByteOrder.LittleEndian, false).Write(g), null);
    }

    private static async Task<(byte[]? Wkb, IResult? Problem)> BodyPolygonAsync(HttpRequest req, CancellationToken ct)
    {
        if (req.ContentLength > MaxBodyBytes) return (null, Problem($"body larger than {MaxBodyBytes} bytes", "body", 413));
        using var reader = new StreamReader(req.Body, Encoding.UTF8);
        var buffer = new char[MaxBodyBytes + 1];
        var n = await reader.ReadBlockAsync(buffer, ct);
        if (n > MaxBodyBytes) return (null, Problem($"body larger than {MaxBodyBytes} bytes", "body", 413));
        var text = new string(buffer, 0, n).Trim();
        if (text.Length == 0) return (null, Problem("POST a polygon: a GeoJSON geometry or Feature, or WKT as text/plain", "body"));
        Geometry? g;
        if (text[0] is '{')
        {
            System.Text.Json.Nodes.JsonNode? node;
            try
            {
                node = SafeJson.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (UnparseableDocumentException e)
            {
                return (null, Problem(e.Reason, "body"));
            }
            if (!DisasterHub.Adapters.Sensors.GeoJsonGeometry.TryRead(node, out g, out var why)) return (null, Problem($"body: {why}", "body"));
        }
        else
        {
            try
            {
                g = new WKTReader().Read(text);
            }
            catch (Exception e) when (e is ParseException or ArgumentException or FormatException)
            {
                return (null, Problem($"body is neither GeoJSON nor WKT: {e.Message}", "body"));
            }
        }
        var (wkb, reason) = CheckPolygon(g);
        return wkb is null ? (null, Problem($"body: {reason}", "body")) : (wkb, null);
    }

    private static async Task Items(HttpContext ctx, ReportingQueries q, HubDbContext db, TimeProvider clock, byte[]? posted, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        if (!OgcEndpoints.TryParseInstant(query["datetime"], out var at))
        {
            await Problem("datetime must be an RFC 3339 instant with a zone, or an interval ending in one", "datetime").ExecuteAsync(ctx);
            return;
        }
        if (!TryInt(query["limit"], DefaultLimit, 1, MaxLimit, out var limit) || !TryInt(query["offset"], 0, 0, int.MaxValue, out var offset))
        {
            await Problem($"limit must be 1–{MaxLimit} and offset ≥ 0", "limit").ExecuteAsync(ctx);
            return;
        }
        var (area, problem) = ParseArea(query, posted);
        if (problem is not null)
        {
            await problem.ExecuteAsync(ctx);
            return;
        }
        var scope = new ReadScope(RowSet.Features, ReportingQueries.Layers, ReadAccess.Workspace(ctx), await ReadAccess.LevelsAsync(ctx, db, ct), clock.GetUtcNow(), at);

        // the first row is read before anything is written, so a failing query is an error answer, not a cut-off body
        await using var rows = q.StatusAsync(scope, area!, limit, offset, ct).GetAsyncEnumerator(ct);
        var more = await rows.MoveNextAsync();
        ctx.Response.ContentType = GeoJson;
        var w = ctx.Response.BodyWriter;
        var returned = 0;
        long matched = 0;
        Write(w, "{\"type\":\"FeatureCollection\",\"features\":[");
        for (; more; more = await rows.MoveNextAsync())
        {
            var (feature, total) = rows.Current;
            if (returned++ > 0) Write(w, ",");
            Write(w, feature);
            matched = total;
            if (returned % 200 == 0) await w.FlushAsync(ct);
        }
        if (returned == 0 && offset > 0) matched = -1; // past the end: the total is not known from this page
        var self = $"{Base(ctx)}/collections/{Collection}/items";
        var keep = string.Concat(query.Where(kv => kv.Key is not ("limit" or "offset")).Select(kv => $"&{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value.ToString())}"));
        var links = new List<string> { Link($"{self}?limit={limit}&offset={offset}{keep}", "self") };
        if (offset + returned < matched) links.Add(Link($"{self}?limit={limit}&offset={offset + limit}{keep}", "next"));
        if (offset > 0) links.Add(Link($"{self}?limit={limit}&offset={Math.Max(0, offset - limit)}{keep}", "prev"));
        var stamp = (at ?? clock.GetUtcNow()).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        Write(w, $"],{(matched >= 0 ? $"\"numberMatched\":{matched}," : "")}\"numberReturned\":{returned},\"timeStamp\":\"{stamp}\",\"links\":[{string.Join(',', links)}]}}");
        await w.FlushAsync(ct);
    }

    private static async Task<IResult> Item(string code, HttpContext ctx, ReportingQueries q, HubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!OgcEndpoints.TryParseInstant(ctx.Request.Query["datetime"], out var at)) return Problem("bad datetime", "datetime");
        if (!MunicipalityCode.TryNormalize(code, out var code6, out _)) return Results.Problem(statusCode: 404, detail: $"no feature '{code}'");
        var scope = new ReadScope(RowSet.Features, ReportingQueries.Layers, ReadAccess.Workspace(ctx), await ReadAccess.LevelsAsync(ctx, db, ct), clock.GetUtcNow(), at);
        await foreach (var (feature, _) in q.StatusAsync(scope, new ReportingArea(null, false, null, null, null, code6), 1, 0, ct))
            return Results.Text(feature, GeoJson, Encoding.UTF8);
        return Results.Problem(statusCode: 404, detail: $"no feature '{code}'");
    }

    private static string Link(string href, string rel) => $"{{\"href\":{JsonSerializer.Serialize(href)},\"rel\":\"{rel}\",\"type\":\"{GeoJson}\"}}";

    private static void Write(System.IO.Pipelines.PipeWriter w, string s)
    {
        var span = w.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        w.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    private static bool TryInt(string? raw, int fallback, int min, int max, out int value)
    {
        value = fallback;
        if (string.IsNullOrEmpty(raw)) return true;
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }
}
