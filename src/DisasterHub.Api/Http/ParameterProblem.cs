namespace DisasterHub.Api.Http;

/// <summary>
/// An RFC 9457 problem about one query parameter, named in <c>parameter</c> (the shape every read path answers); for a
/// filter, also the 1-based <c>position</c> in its text and the <c>property</c> it names, when known.
/// </summary>
public static class ParameterProblem
{
    public static IResult For(string parameter, string detail, int status = 400, int? position = null, string? property = null)
    {
        var ext = new Dictionary<string, object?> { ["parameter"] = parameter };
        if (position is > 0) ext["position"] = position;
        if (property is not null) ext["property"] = property;
        return Results.Problem(statusCode: status, detail: detail, extensions: ext);
    }
}
