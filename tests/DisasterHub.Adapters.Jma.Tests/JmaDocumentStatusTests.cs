using System.Text;
using DisasterHub.Adapters.Jma;
using DisasterHub.Core;
using DisasterHub.Testing;

namespace DisasterHub.Adapters.Jma.Tests;

/// <summary>Issue 11 §1, §2: JMA Control/Status 訓練/試験 and Head/ValidDateTime, reported on every record.</summary>
public class jma_document_status_should
{
    private static readonly FormatRegistry Registry = new(JmaFormats.All);
    private static readonly ParseContext Context = new() { ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero) };

    private static ParseResult Parse(byte[] bytes, string format) => Registry.Find(format)!.Parse(bytes, Context);

    [SampleFact]
    public void mark_the_training_telegram_as_an_exercise()
    {
        var quake = Assert.Single(Parse(SampleFiles.Read("jma-xml/32-35_01_02_240613_VXSE52.xml"), "jma-vxse").Records);
        Assert.Equal(DocumentStatus.Exercise, quake.DocumentStatus);
        Assert.Equal("/Report/Control/Status 訓練", quake.DocumentStatusAt);
    }

    [SampleFact]
    public void mark_a_test_telegram_and_leave_a_normal_one_actual()
    {
        var text = Encoding.UTF8.GetString(SampleFiles.Read("jma-xml/15_14_01_170216_VPWW53.xml"));
        Assert.Contains("<Status>通常</Status>", text, StringComparison.Ordinal);
        Assert.All(Parse(Encoding.UTF8.GetBytes(text), "jma-vpww").Records, r => Assert.Equal(DocumentStatus.Actual, r.DocumentStatus));
        var test = Parse(Encoding.UTF8.GetBytes(text.Replace("<Status>通常</Status>", "<Status>試験</Status>", StringComparison.Ordinal)), "jma-vpww");
        Assert.NotEmpty(test.Records);
        Assert.All(test.Records, r => Assert.Equal(DocumentStatus.Test, r.DocumentStatus));
    }

    [SampleFact]
    public void take_valid_date_time_as_the_end_of_validity()
    {
        var text = Encoding.UTF8.GetString(SampleFiles.Read("jma-xml/15_14_01_170216_VPWW53.xml"));
        Assert.All(Parse(Encoding.UTF8.GetBytes(text), "jma-vpww").Records, r => Assert.Null(r.ValidUntil));
        var withValid = text.Replace("</ReportDateTime>", "</ReportDateTime><ValidDateTime>2017-02-16T23:00:00+09:00</ValidDateTime>", StringComparison.Ordinal);
        var records = Parse(Encoding.UTF8.GetBytes(withValid), "jma-vpww").Records;
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal(new DateTimeOffset(2017, 2, 16, 14, 0, 0, TimeSpan.Zero), r.ValidUntil));
    }
}
