using System.Globalization;
using System.Text.RegularExpressions;
using DisasterHub.Api.Endpoints;
using DisasterHub.Core;

namespace DisasterHub.Api.Http;

/// <summary>
/// Every request's query string is checked here, once, before any endpoint or SQL sees it: no control characters
/// (NUL included) in any name or value or in the path, each known parameter given once and well-formed. A bad one is
/// answered 400 with problem details naming the parameter.
/// </summary>
/// <remarks>
/// One place instead of a check per endpoint: an endpoint added later is covered without remembering to be. The
/// endpoints still parse their parameters (the shapes they need); this guard makes sure nothing malformed reaches them.
/// </remarks>
public static partial class QueryGuard
{
    public const int MaxValueLength = 2048;
    private const int MaxLimit = 10_000;

    [GeneratedRegex(@"^[\p{L}\p{N}_.\-]{1,64}$")]
    private static partial Regex WorkspaceName();

    /// <summary>Known parameters and their rule: null when fine, else why not.</summary>
    private static readonly Dictionary<string, Func<string, HttpRequest, string?>> Rules = new(StringComparer.Ordinal)
    {
        ["workspace"] = (v, _r) => WorkspaceName().IsMatch(v) ? null : "workspace must be 1–64 letters, digits, '_', '-' or '.'",
        ["bbox"] = (v, _r) => Bbox(v),
        ["datetime"] = (v, _r) => OgcEndpoints.TryParseInstant(v, out _) ? null : "datetime must be an RFC 3339 instant with a zone, or an interval ending in one",
        ["at"] = (v, _r) => OgcEndpoints.TryParseInstant(v, out _) && !v.Contains('/', StringComparison.Ordinal) ? null : "at must be an RFC 3339 instant with a zone",
        ["limit"] = (v, _r) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit ? null : $"limit must be an integer 1–{MaxLimit}",
        ["offset"] = (v, _r) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : "offset must be an integer ≥ 0",
        // the audit log's since / until are times; everywhere else since is an event id
        ["since"] = (v, r) => AuditEndpoints.IsAudit(r) ? AuditEndpoints.TimeProblem("since", v)
            : long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : "since must be an event id (an integer ≥ 0)",
        ["until"] = (v, r) => AuditEndpoints.IsAudit(r) ? AuditEndpoints.TimeProblem("until", v) : null,
        // the layers are the hub's catalogue's
        ["layer"] = (v, r) => r.HttpContext.RequestServices.GetRequiredService<LayerCatalogue>() is var c
            && v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(c.IsKnown)
                ? null : $"layer must be a comma-separated list of: {string.Join(", ", c.Ids)}",
        ["format"] = (v, _r) => v.Length <= 64 ? null : "format must be at most 64 characters",
        ["action"] = (v, _r) => v.Length <= 100 ? null : "action must be at most 100 characters",
        ["status"] = (v, _r) => v.Length <= 64 ? null : "status must be at most 64 characters",
        ["area"] = (v, _r) => v.Length <= 64 ? null : "area must be at most 64 characters",
        ["maxzoom"] = (v, _r) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var z) && z <= 22 ? null : "maxzoom must be an integer 0–22",
        // OGC API – Features Part 3 (filtering) and the items parameters beside it
        ["filter-lang"] = (v, _r) => v == "cql2-text" ? null : "filter-lang must be cql2-text (cql2-json is not supported)",
        ["filter-crs"] = (v, _r) => v is OgcEndpoints.Crs84 ? null : $"filter-crs must be {OgcEndpoints.Crs84}",
        ["sortby"] = (v, _r) => NameList().IsMatch(v) ? null : "sortby must be a comma-separated list of queryables, each optionally prefixed with + or -",
        ["properties"] = (v, _r) => NameList().IsMatch(v) && !v.Contains('+', StringComparison.Ordinal) && !v.Contains('-', StringComparison.Ordinal) ? null : "properties must be a comma-separated list of property names",
    };

    /// <summary>"+name,-other,name" (a '+' arrives as a space when the caller did not escape it).</summary>
    [GeneratedRegex(@"^\s*[+\- ]?[A-Za-z_][A-Za-z0-9_]{0,63}(\s*,\s*[+\- ]?[A-Za-z_][A-Za-z0-9_]{0,63})*\s*$")]
    private static partial Regex NameList();

    /// <summary>
    /// The first parameter of a request that is neither in <paramref name="allowed"/> nor a property filter the
    /// endpoint accepts (<paramref name="isProperty"/>): endpoints with a closed set of parameters (OGC items) answer
    /// 400 naming it instead of silently ignoring it.
    /// </summary>
    public static string? Unknown(IQueryCollection query, IReadOnlySet<string> allowed, Func<string, bool> isProperty)
    {
        foreach (var name in query.Keys)
            if (!allowed.Contains(name) && !isProperty(name)) return name;
        return null;
    }

    /// <summary>The first value of a parameter (a repeat may only repeat it: see <see cref="Check"/>).</summary>
    public static string? One(this IQueryCollection query, string name) => query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    private static string? Bbox(string v)
    {
        var parts = v.Split(',');
        var n = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out n[i]) || !double.IsFinite(n[i])) n = [];
        return n.Length == 4 && n[0] <= n[2] && n[1] <= n[3] && n[0] >= -180 && n[2] <= 180 && n[1] >= -90 && n[3] <= 90
            ? null
            : "bbox must be minLon,minLat,maxLon,maxLat in degrees (WGS84), min ≤ max";
    }

    /// <summary>The first problem with a request's path and query, as (parameter, reason), or null.</summary>
    public static (string Parameter, string Reason)? Check(HttpRequest request)
    {
        if (HasControl(request.Path.Value)) return ("path", "the path contains a control character");
        foreach (var (name, values) in request.Query)
        {
            var shown = HasControl(name) ? Uri.EscapeDataString(name) : name;
            if (HasControl(name)) return (shown, "a parameter name contains a control character");
            foreach (var v in values)
            {
                if (v is null) continue;
                if (HasControl(v)) return (shown, $"{shown} contains a control character");
                if (v.Length > MaxValueLength) return (shown, $"{shown} is longer than {MaxValueLength} characters");
            }
            if (!Rules.TryGetValue(name, out var rule)) continue;
            // a repeat of the same value is harmless (clients that append their own parameters to every link do so)
            if (values.Count > 1 && values.Distinct(StringComparer.Ordinal).Count() > 1) return (name, $"{name} is given more than once with different values");
            if (values.ToString() is { Length: > 0 } value && rule(value, request) is { } why) return (name, why);
        }
        return null;
    }

    /// <summary>C0 controls (NUL, tab, newline…), DEL and C1 controls: never part of a legitimate query value.</summary>
    private static bool HasControl(string? s)
    {
        if (s is null) return false;
        foreach (var c in s)
            if (c < 0x20 || c is >= '\u007f' and <= '\u009f') return true;
        return false;
    }

    public static IApplicationBuilder UseQueryGuard(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        if (Check(ctx.Request) is { } bad)
        {
            await ParameterProblem.For(bad.Parameter, bad.Reason).ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    });
}
