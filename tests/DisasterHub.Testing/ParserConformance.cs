using DisasterHub.Core;

namespace DisasterHub.Testing;

/// <summary>
/// What every format must do with a document it accepts (STYLE.md: a conformance suite each adapter inherits):
/// stable ids, no new versions for the same document, valid EPSG:4326 inside the service extent, every rejection
/// located and explained, its own documents recognised and foreign ones refused.
/// </summary>
public abstract class ParserConformance<TParser> where TParser : IFeedParser, new()
{
    protected TParser Parser { get; } = new();

    /// <summary>The shipped layer catalogue: every record's layer must be one of it.</summary>
    protected static LayerCatalogue Catalogue { get; } = LayerCatalogue.Load();

    /// <summary>A document of this format, with at least one good record.</summary>
    protected abstract byte[] SampleDocument { get; }

    protected virtual string? SampleFileName => null;

    /// <summary>Companion reference files the format needs (e.g. the AMeDAS station table), by file name.</summary>
    protected virtual IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Companions => new Dictionary<string, ReadOnlyMemory<byte>>();

    /// <summary>The extent the sample lives in (CAP samples from abroad use the world).</summary>
    protected virtual ServiceExtent Extent => ServiceExtent.Japan;

    /// <summary>Push formats may name a registered feature without coordinates; the hub locates it from the store.</summary>
    protected virtual bool AllowsRecordsWithoutGeometry => false;

    /// <summary>A document that is well-formed for some other format but not this one.</summary>
    protected virtual byte[] ForeignDocument => "<xml/>"u8.ToArray();

    /// <remarks>
    /// The hub's clock for the fixtures: after every time they claim (up to 15:10 JST on 2026-11-22; the clock reads 21:00 JST), since the shared
    /// checks refuse a time more than a few minutes ahead of the hub's clock.
    /// </remarks>
    private ParseContext Context() => new()
    {
        ReceivedAt = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
        FileName = SampleFileName,
        Extent = Extent,
        Companions = Companions,
    };

    /// <summary>The parser's output, before the registry's shared checks.</summary>
    protected ParseResult ParseRaw() => Parser.Parse(SampleDocument, Context());

    /// <summary>What the hub keeps: the parser's output after code resolution and the shared checks.</summary>
    protected ParseResult ParseThroughRegistry() => new FormatRegistry([Parser]).Parse(Parser, SampleDocument, Context());

    [Fact]
    public void give_identical_records_for_the_same_document_twice()
    {
        var a = ParseRaw();
        var b = ParseRaw();
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
            Assert.Equal(x.Status, y.Status);
            Assert.Equal(x.Severity, y.Severity);
        }
        Assert.Equal(a.Rejections, b.Rejections);
    }

    [Fact]
    public void produce_valid_wgs84_geometries_inside_the_extent_or_reject_them()
    {
        var result = ParseThroughRegistry();
        Assert.NotEmpty(result.Records);
        foreach (var r in ParseRaw().Records.Where(r => r.Geometry is null))
            Assert.True(AllowsRecordsWithoutGeometry || (r.LocatedByCode && r.MunicipalityCode is not null), $"{r.SourceKey} has neither geometry nor a code to place it by");
        foreach (var r in result.Records)
        {
            Assert.NotNull(r.Geometry);
            Assert.Equal(4326, r.Geometry.SRID);
            Assert.True(r.Geometry.IsValid, r.SourceKey);
            Assert.True(Extent.Contains(r.Geometry.EnvelopeInternal), $"{r.SourceKey} at {r.Geometry.AsText()}");
        }
    }

    [Fact]
    public void fill_the_shared_header_of_every_record()
    {
        foreach (var r in ParseRaw().Records)
        {
            Assert.Equal(Parser.Layer, r.Layer);
            Assert.True(Catalogue.IsKnown(r.Layer), r.Layer);
            Assert.False(string.IsNullOrWhiteSpace(r.SourceKey));
            Assert.False(string.IsNullOrWhiteSpace(r.EntityKey));
            if (r.MunicipalityCode is not null)
            {
                Assert.Matches("^[0-9]{6}$", r.MunicipalityCode);
                Assert.True(MunicipalityCode.TryNormalize(r.MunicipalityCode, out _, out _), r.MunicipalityCode);
            }
            Assert.False(string.IsNullOrWhiteSpace(r.Location));
            Assert.True(r.ObservedAt is null || r.ObservedAt.Value.Offset == TimeSpan.Zero, "observed_at in UTC");
            Assert.True(r.ReportedAt is null || r.ReportedAt.Value.Offset == TimeSpan.Zero, "reported_at in UTC");
            Assert.True(r.Severity is null or >= 0 and <= 3, $"severity {r.Severity}");
        }
    }

    [Fact]
    public void explain_every_rejection()
    {
        foreach (var j in ParseThroughRegistry().Rejections)
        {
            Assert.False(string.IsNullOrWhiteSpace(j.At));
            Assert.False(string.IsNullOrWhiteSpace(j.Reason));
        }
    }

    [Fact]
    public void keep_source_keys_unique_within_a_document()
    {
        var keys = ParseRaw().Records.Select(r => r.SourceKey).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void recognise_its_own_document_when_sniffing()
    {
        // Cross-family detection (no other format claims this document first) is checked over every real sample in
        // DisasterHub.Api.Tests, which sees the whole registry.
        Assert.True(Parser.Sniff(SampleDocument, SampleFileName));
    }

    [Fact]
    public void refuse_a_document_that_is_not_its_format()
    {
        Assert.ThrowsAny<UnparseableDocumentException>(() => Parser.Parse(ForeignDocument, Context()));
    }
}
