namespace DisasterHub.Core.Checks;

/// <summary>
/// Validity (issue 11 §2): a record may hold from <see cref="FeatureRecord.ValidFrom"/> until
/// <see cref="FeatureRecord.ValidUntil"/>. This class is the record check (a window that ends before it starts is
/// rejected) and the one definition of "active at T" that the read SQL mirrors
/// (<c>valid_until IS NULL OR valid_until &gt; T</c>).
/// </summary>
/// <remarks>
/// A record that arrives already past its end is accepted and kept (history, as-of reads, the <c>expired</c> event)
/// but is inactive on every live read. valid_from is informative: an alert issued ahead of its onset is shown, as
/// CAP readers do, because officers want to see what is coming.
/// </remarks>
public static class ValidityRule
{
    public static bool IsActive(DateTimeOffset? validUntil, DateTimeOffset at) => validUntil is not { } end || end > at;

    /// <summary>Why the record's validity cannot be right, or null.</summary>
    public static string? Check(FeatureRecord r) =>
        r.ValidFrom is { } from && r.ValidUntil is { } until && until < from
            ? $"valid_until {until:yyyy-MM-ddTHH:mm:ssZ} is before valid_from {from:yyyy-MM-ddTHH:mm:ssZ}"
            : r.ValidUntil is { } u && u < TimesCheck.EarliestPlausible
                ? $"valid_until {u:yyyy-MM-ddTHH:mm:ssZ} is before 1900"
                : null;

    /// <summary>Moves records whose validity cannot be right to the rejections.</summary>
    public static void Apply(ParseResult result) =>
        result.Records.RemoveAll(r =>
        {
            if (Check(r) is not { } why) return false;
            result.Reject(r.Location ?? r.SourceKey, why);
            return true;
        });
}
