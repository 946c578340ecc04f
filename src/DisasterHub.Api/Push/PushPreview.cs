using System.Globalization;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Ingestion;

namespace DisasterHub.Api.Push;

/// <summary>
/// The answer to <c>POST /api/v1/sources/{id}/documents?dry_run=true</c>: every record the push would accept (where in
/// the document, its key and name, what it says) and every rejection with its line or JSON pointer, the field when the
/// pointer names one, and the reason — so a person sees which rows count before committing the document.
/// </summary>
public static partial class PushPreview
{
    /// <summary>Rows listed at most (the counts are always complete).</summary>
    public const int MaxListed = 1000;

    [GeneratedRegex(@"^line (\d+)(?:, column (\d+))?")]
    private static partial Regex LineAt();

    [GeneratedRegex(@"^/(?:[^/]+)/(\d+)(?:/|$)")]
    private static partial Regex IndexAt();

    public static IResult Answer(PreviewOutcome preview, string? format)
    {
        var body = new Dictionary<string, object?>();
        var status = 200;
        if (preview.Status != IngestStatus.Ingested)
        {
            // the same refusal the push would answer, with the rejection in the preview's shape as well
            status = 400;
            var why = preview.Rejections[0];
            var title = preview.Status switch
            {
                IngestStatus.WrongLayer => "format of another layer",
                IngestStatus.UnknownFormat => "format not recognised",
                _ => "document could not be parsed",
            };
            body["type"] = "about:blank";
            body["title"] = title;
            body["status"] = 400;
            body["detail"] = $"{why.At}: {why.Reason}";
            if (preview.Status is IngestStatus.WrongLayer || (preview.Status is IngestStatus.UnknownFormat && format is not null)) body["field"] = "format";
            else if (preview.Status is IngestStatus.Unparseable) body["pointer"] = why.At;
        }
        var routed = preview.Routed?.Records ?? [];
        body["dry_run"] = true;
        body["format"] = preview.Format;
        body["layer"] = preview.Layer;
        body["accepted_count"] = preview.Accepted.Count + routed.Count;
        body["rejected_count"] = preview.Rejections.Count;
        body["accepted"] = preview.Accepted.Select(r => Accepted(r, null))
            .Concat(routed.Select(r => Accepted(r, preview.Routed!.Workspace))).Take(MaxListed).ToList();
        body["rejected"] = preview.Rejections.Take(MaxListed).Select(Rejected).ToList();
        // ?replace=true: whether the push would be taken as the source's complete set, and what it would withdraw
        body["replace"] = preview.Replacement is { } rep ? new
        {
            applies = rep.Applied,
            withdrawing = rep.Withdrawn,
            reason = rep.NotApplied,
            withdrawn_records = preview.Withdrawing.Select(w => new { key = w.Key, name = w.Name }),
        } : null;
        return Results.Json(body, contentType: status == 200 ? "application/json" : "application/problem+json", statusCode: status);
    }

    private static Dictionary<string, object?> Accepted(FeatureRecord r, string? routedTo)
    {
        var row = Where(r.Location);
        row["key"] = r.SourceKey;
        row["entity_key"] = r.EntityKey;
        row["name"] = r.Name;
        row["municipality_code"] = r.MunicipalityCode;
        row["status"] = r.Status;
        row["observed_at"] = r.ObservedAt;
        row["classification"] = r.Classification;
        if (r.Geometry is { } g && !g.IsEmpty)
        {
            var c = g.Centroid;
            row["lon"] = Math.Round(c.X, 6);
            row["lat"] = Math.Round(c.Y, 6);
        }
        row["attrs"] = r.Attrs;
        if (routedTo is not null) row["routed_to"] = routedTo;
        return row;
    }

    private static Dictionary<string, object?> Rejected(Rejection r)
    {
        var row = Where(r.At);
        row["field"] = Field(r.At);
        row["reason"] = r.Reason;
        return row;
    }

    /// <summary>"line 12" → line 12; "/shelters/3/status" → pointer and index 3; anything else as it is ("document", a key).</summary>
    private static Dictionary<string, object?> Where(string? at)
    {
        var row = new Dictionary<string, object?> { ["at"] = at };
        if (at is null) return row;
        if (LineAt().Match(at) is { Success: true } line)
        {
            row["line"] = int.Parse(line.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            if (line.Groups[2].Success) row["column"] = int.Parse(line.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        }
        else if (at.StartsWith('/'))
        {
            row["pointer"] = at;
            if (IndexAt().Match(at) is { Success: true } index) row["index"] = int.Parse(index.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        }
        return row;
    }

    /// <summary>The member a JSON pointer ends in ("/shelters/3/status" → status); null when it names a whole record or a line.</summary>
    private static string? Field(string at)
    {
        if (!at.StartsWith('/')) return null;
        var last = at[(at.LastIndexOf('/') + 1)..];
        return last.Length == 0 || last.All(char.IsAsciiDigit) ? null : last.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
    }
}
