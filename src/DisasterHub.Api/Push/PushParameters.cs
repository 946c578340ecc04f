using DisasterHub.Core;

namespace DisasterHub.Api.Push;

/// <summary>
/// The push endpoint's parameters, checked before anything reads them: the source id (path), <c>format</c>,
/// <c>workspace</c> and <c>dry_run</c> (query). A NUL, a control or hidden formatting character, a repeated or over-long value is a 400
/// naming the parameter — PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep in SQL as a 500.
/// </summary>
public static class PushParameters
{
    public sealed record Bad(string Field, string Detail);

    public const int MaxLength = 100;

    public static Bad? Check(string id, IQueryCollection query)
    {
        if (Value("id", id) is { } badId) return badId;
        foreach (var name in new[] { "format", "workspace", "dry_run", "replace" })
        {
            var values = query[name];
            if (values.Count > 1) return new Bad(name, $"'{name}' given {values.Count} times");
            if (values.Count == 1 && Value(name, values[0] ?? "") is { } bad) return bad;
        }
        if (query["format"].ToString() is { Length: > 0 } format && !format.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return new Bad("format", "a format name has only ASCII letters, digits, '-', '_' and '.'");
        if (query["dry_run"].Count == 1 && DryRun(query) is null)
            return new Bad("dry_run", "dry_run is true or false");
        if (query["replace"].Count == 1 && Replace(query) is null)
            return new Bad("replace", "replace is true or false");
        return null;
    }

    /// <summary>
    /// <c>replace</c>: true/1 makes the document the source's complete set in the workspace (what it no longer holds is
    /// withdrawn: issue 16 §5), false/0 or absent adds to and updates what the source has; null for any other value.
    /// </summary>
    public static bool? Replace(IQueryCollection query) => Flag(query["replace"].ToString());

    /// <summary><c>dry_run</c>: true/1 previews (nothing stored), false/0 or absent pushes; null for any other value.</summary>
    public static bool? DryRun(IQueryCollection query) => Flag(query["dry_run"].ToString());

    private static bool? Flag(string value) => value.ToLowerInvariant() switch
    {
        "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => null,
    };

    private static Bad? Value(string name, string value)
    {
        if (value.Length > MaxLength) return new Bad(name, $"'{name}' longer than {MaxLength} characters");
        foreach (var c in value)
        {
            if (c == '\0') return new Bad(name, $"'{name}' contains a NUL character");
            if (char.IsControl(c) || TextSafety.IsHiddenControl(c))
                return new Bad(name, $"'{name}' contains a control character (U+{(int)c:X4})");
        }
        return null;
    }

    /// <summary>The key id of a presented "Bearer dh_{id}.{secret}" token (never the secret), when it is well-formed.</summary>
    public static string? PresentedKeyId(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer dh_", StringComparison.OrdinalIgnoreCase)) return null;
        var token = authorization["Bearer dh_".Length..];
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        var id = dot < 0 ? token : token[..dot];
        return id.Length is > 0 and <= 32 && id.All(char.IsAsciiLetterOrDigit) ? id : null;
    }
}
