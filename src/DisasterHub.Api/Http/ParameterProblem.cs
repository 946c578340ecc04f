namespace DisasterHub.Api.Http;

/// <summary>An RFC 9457 problem about one query parameter, named in <c>parameter</c> (the shape every read path answers).</summary>
public static class ParameterProblem
{
    public static IResult For(string parameter, string detail, int status = 400) =>
        Results.Problem(statusCode: status, detail: detail, extensions: new Dictionary<string, object?> { ["parameter"] = parameter });
}
