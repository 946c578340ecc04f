using System.Text;
using DisasterHub.Adapters.Alerts;
using DisasterHub.Core;
using DisasterHub.Core.Checks;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Alerts.Tests;

/// <summary>
/// Issue 11 §1, §2 at the parsers: they report what a document says it is (CAP status, EDXL-DE / L-Alert
/// distributionStatus) and how long it holds (CAP effective/onset/expires, L-Alert ValidDateTime and 解除 times) —
/// nothing more; ExerciseRule and ValidityRule decide.
/// </summary>
public class alert_document_status_should
{
    private static readonly ParseContext Context = new() { ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero) };

    private static byte[] With(string fixture, string from, string to) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Fixtures.Read(fixture)).Replace(from, to, StringComparison.Ordinal));

    [Theory]
    [InlineData("Actual", DocumentStatus.Actual)]
    [InlineData("Exercise", DocumentStatus.Exercise)]
    [InlineData("Test", DocumentStatus.Test)]
    [InlineData("System", DocumentStatus.System)]
    [InlineData("Draft", DocumentStatus.Draft)]
    public void report_the_cap_status(string status, DocumentStatus expected)
    {
        var records = new CapParser().Parse(With("cap-japan-fictional.cap", "<status>Actual</status>", $"<status>{status}</status>"), Context).Records;
        Assert.Equal(2, records.Count); // one per info: the alert's status covers both
        foreach (var r in records)
        {
            Assert.Equal(expected, r.DocumentStatus);
            Assert.Equal(expected == DocumentStatus.Actual ? null : $"/alert/status {status}", r.DocumentStatusAt);
            Assert.Equal(expected == DocumentStatus.Actual, ExerciseRule.Reason(r) is null);
        }
    }

    [Fact]
    public void take_cap_effective_and_expires_as_the_validity_window()
    {
        var records = new CapParser().Parse(Fixtures.Read("cap-japan-fictional.cap"), Context).Records;
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 0, 5, 0, TimeSpan.Zero), records[0].ValidFrom);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), records[0].ValidUntil);
        // the second info gives neither: open-ended
        Assert.Null(records[1].ValidFrom);
        Assert.Null(records[1].ValidUntil);
    }

    [SampleFact]
    public void take_the_validity_of_a_real_cap_sample()
    {
        var r = new CapParser().Parse(SampleFiles.Read("cap/weather.cap"), Context).Records[0];
        Assert.Equal(new DateTimeOffset(2010, 8, 30, 10, 7, 0, TimeSpan.Zero), r.ValidFrom);
        Assert.Equal(new DateTimeOffset(2010, 8, 30, 18, 0, 0, TimeSpan.Zero), r.ValidUntil);
        Assert.Equal(DocumentStatus.Actual, r.DocumentStatus);
    }

    [Fact]
    public void let_the_edxl_de_envelope_status_cover_its_actual_alerts()
    {
        var exercise = new EdxlDeCapParser().Parse(With("edxlde-japan-fictional.edxlde", "distributionStatus>Actual<", "distributionStatus>Exercise<"), Context);
        Assert.NotEmpty(exercise.Records);
        Assert.All(exercise.Records, r => Assert.Equal(DocumentStatus.Exercise, r.DocumentStatus));
        Assert.All(exercise.Records, r => Assert.Equal("/EDXLDistribution/distributionStatus Exercise", r.DocumentStatusAt));
        Assert.All(new EdxlDeCapParser().Parse(Fixtures.Read("edxlde-japan-fictional.edxlde"), Context).Records,
            r => Assert.Equal(DocumentStatus.Actual, r.DocumentStatus));
    }

    [Fact]
    public void mark_an_lalert_test_message_and_end_a_lifted_order_at_its_lift()
    {
        var result = new LAlertEvacuationParser().Parse(Fixtures.Read("lalert-evacuation-fictional.xml"), Context);
        Assert.All(result.Records, r => Assert.Equal(DocumentStatus.Test, r.DocumentStatus));
        var lifted = result.Records.Single(r => r.Name == "架空浜");
        Assert.Equal("解除", (string?)lifted.Attrs["issue_or_lift"]);
        Assert.Equal(lifted.ReportedAt, lifted.ValidUntil);
        Assert.Null(result.Records.Single(r => r.Name == "架空町一丁目").ValidUntil);
    }

    [SampleFact]
    public void read_the_valid_date_time_of_a_real_lalert_test_message()
    {
        var result = new LAlertEvacuationParser().Parse(SampleFiles.Read("lalert-commons/publiccommons-py-soap1.xml"), Context);
        Assert.NotEmpty(result.Records);
        Assert.All(result.Records, r => Assert.Equal(DocumentStatus.Test, r.DocumentStatus));
        Assert.All(result.Records, r => Assert.Equal(new DateTimeOffset(2013, 4, 12, 9, 56, 0, TimeSpan.Zero), r.ValidUntil));
    }

    [Fact]
    public void reject_a_validity_window_that_ends_before_it_starts()
    {
        var result = new CapParser().Parse(With("cap-japan-fictional.cap", "<expires>2026-11-23T09:00:00+09:00</expires>", "<expires>2026-11-22T09:00:00+09:00</expires>"), Context);
        ValidityRule.Apply(result);
        Assert.Equal("七尾市全域", Assert.Single(result.Records).Address); // the other info has no window
        Assert.Contains("valid_until 2026-11-22T00:00:00Z is before valid_from 2026-11-22T00:05:00Z", result.Rejections.Single().Reason, StringComparison.Ordinal);
    }
}
