namespace DisasterHub.Core.Checks;

/// <summary>
/// Exercises and tests never reach live (issue 11 §1): the one place that decides what a record's
/// <see cref="FeatureRecord.DocumentStatus"/> means. Parsers only report the status; ingest (push and pull) asks here.
/// </summary>
/// <remarks>
/// Into a drill workspace everything goes (a drill is where exercises belong). Into live, an actual record stays;
/// any other (CAP Exercise/Test/System/Draft, EDXL-DE or L-Alert distributionStatus Exercise/Test, JMA 訓練/試験) is
/// moved to the source's exercise workspace when it names one, else rejected from live with the reason. The raw
/// document is stored either way, so nothing that arrived is lost.
/// </remarks>
public static class ExerciseRule
{
    /// <summary>The records to write elsewhere, and where.</summary>
    public sealed record Routed(string Workspace, List<FeatureRecord> Records);

    /// <summary>Why a record is not live, or null when it is actual.</summary>
    public static string? Reason(FeatureRecord r) => r.DocumentStatus == DocumentStatus.Actual
        ? null
        : $"{r.DocumentStatus.ToString().ToLowerInvariant()} document ({r.DocumentStatusAt ?? "status"}): not part of the live picture";

    /// <summary>
    /// Removes non-actual records from <paramref name="result"/> when <paramref name="workspace"/> is live: routed to
    /// <paramref name="exerciseWorkspace"/> (returned) when given, else rejected with <see cref="Reason"/>.
    /// </summary>
    public static Routed? Apply(ParseResult result, string workspace, string? exerciseWorkspace)
    {
        if (workspace != "live") return null;
        var routed = new List<FeatureRecord>();
        result.Records.RemoveAll(r =>
        {
            if (Reason(r) is not { } why) return false;
            if (!string.IsNullOrEmpty(exerciseWorkspace) && exerciseWorkspace != "live") routed.Add(r);
            else result.Reject(r.Location ?? r.SourceKey, $"{why}; rejected from live (no exercise workspace configured for the source)");
            return true;
        });
        return routed.Count == 0 ? null : new Routed(exerciseWorkspace!, routed);
    }
}
