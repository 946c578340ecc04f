using DisasterHub.Core;

namespace DisasterHub.Core.Tests;

/// <summary>
/// What every shelter format must do with a document it accepts (STYLE.md: a conformance suite each adapter inherits).
/// </summary>
public abstract class ParserConformance<TParser> where TParser : IFeedParser, new()
{
    protected TParser Parser { get; } = new();

    /// <summary>A document of this format, with at least one good record.</summary>
    protected abstract byte[] SampleDocument { get; }

    protected virtual string? SampleFileName => null;

    /// <summary>Push formats may name a registered shelter without coordinates; the hub locates it.</summary>
    protected virtual bool AllowsRecordsWithoutGeometry => false;

    private ParseResult ParseSample() => Parser.Parse(SampleDocument, Fixtures.Context(SampleFileName));

    [Fact]
    public void give_identical_records_for_the_same_document_twice()
    {
        var a = ParseSample();
        var b = ParseSample();
        Assert.NotEmpty(a.Records);
        Assert.Equal(a.Records.Count, b.Records.Count);
        foreach (var (x, y) in a.Records.Zip(b.Records))
        {
            Assert.Equal(x.SourceKey, y.SourceKey);
            Assert.Equal(x.EntityKey, y.EntityKey);
            Assert.Equal(x.MunicipalityCode, y.MunicipalityCode);
            Assert.Equal(x.Geometry?.AsText(), y.Geometry?.AsText());
            Assert.Equal(x.Attrs.ToJsonString(), y.Attrs.ToJsonString());
            Assert.Equal(x.ObservedAt, y.ObservedAt);
        }
        Assert.Equal(a.Rejections, b.Rejections);
    }

    [Fact]
    public void produce_valid_wgs84_points_inside_japan()
    {
        foreach (var r in ParseSample().Records)
        {
            if (r.Geometry is null)
            {
                Assert.True(AllowsRecordsWithoutGeometry, $"{r.SourceKey} has no geometry");
                continue;
            }
            Assert.Equal(4326, r.Geometry.SRID);
            Assert.True(r.Geometry.IsValid, r.SourceKey);
            Assert.True(ServiceExtent.Japan.Contains(r.Geometry.EnvelopeInternal), $"{r.SourceKey} at {r.Geometry.AsText()}");
        }
    }

    [Fact]
    public void fill_the_shared_header_of_every_record()
    {
        foreach (var r in ParseSample().Records)
        {
            Assert.Equal(Layers.Shelters, r.Layer);
            Assert.Equal(Parser.Layer, r.Layer);
            Assert.False(string.IsNullOrWhiteSpace(r.EntityKey));
            Assert.Matches("^[0-9]{6}$", r.MunicipalityCode);
            Assert.True(MunicipalityCode.TryNormalize(r.MunicipalityCode, out _, out _));
            Assert.False(string.IsNullOrWhiteSpace(r.Location));
            Assert.True(r.ObservedAt is null || r.ObservedAt.Value.Offset == TimeSpan.Zero);
        }
    }

    [Fact]
    public void explain_every_rejection()
    {
        foreach (var j in ParseSample().Rejections)
        {
            Assert.False(string.IsNullOrWhiteSpace(j.At));
            Assert.False(string.IsNullOrWhiteSpace(j.Reason));
        }
    }

    [Fact]
    public void keep_source_keys_unique_within_a_document()
    {
        var keys = ParseSample().Records.Select(r => r.SourceKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void recognise_its_own_document_when_sniffing()
    {
        Assert.True(Parser.Sniff(SampleDocument, SampleFileName));
        var registry = new FormatRegistry(Adapters.Shelters.ShelterFormats.All);
        Assert.Equal(Parser.Format, registry.Detect(SampleDocument, SampleFileName)?.Format);
    }

    [Fact]
    public void refuse_a_document_that_is_not_its_format()
    {
        Assert.ThrowsAny<UnparseableDocumentException>(() => Parser.Parse("<xml/>"u8.ToArray(), Fixtures.Context()));
    }
}
