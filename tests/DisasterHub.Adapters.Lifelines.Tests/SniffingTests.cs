using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines.Tests;

public class lifeline_formats_should
{
    [Theory]
    [InlineData("power-push-fictional.json", PowerPushJsonParser.FormatName)]
    [InlineData("power-push-bad-fictional.json", PowerPushJsonParser.FormatName)]
    [InlineData("tepco-fictional.xml", TepcoXmlParser.FormatName)]
    [InlineData("eagle-i-2024-fictional.csv", EagleICsvParser.FormatName)]
    [InlineData("eagle-i-2023-fictional.csv", EagleICsvParser.FormatName)]
    [InlineData("eagle-i-bad-fictional.csv", EagleICsvParser.FormatName)]
    [InlineData("kubra-thematic-fictional.json", KubraJsonParser.FormatName)]
    [InlineData("kubra-cluster-fictional.json", KubraJsonParser.FormatName)]
    [InlineData("kubra-summary-fictional.json", KubraJsonParser.FormatName)]
    [InlineData("fdma-damage-fictional.json", FdmaDamageJsonParser.FormatName)]
    [InlineData("fdma-damage-full-fictional.csv", FdmaDamageCsvParser.FormatName)]
    [InlineData("fdma-damage-subset-sjis-fictional.csv", FdmaDamageCsvParser.FormatName)]
    [InlineData("fdma-damage-bad-fictional.csv", FdmaDamageCsvParser.FormatName)]
    public void be_claimed_by_exactly_one_lifeline_parser(string fixture, string format)
    {
        var bytes = Fixtures.Read(fixture);
        var claimed = LifelineFormats.All.Where(p => p.Sniff(bytes, fixture)).Select(p => p.Format).ToList();
        Assert.Equal([format], claimed);
        Assert.Equal(format, new FormatRegistry(LifelineFormats.All).Detect(bytes, fixture)!.Format);
        Assert.Equal(format, new FormatRegistry(LifelineFormats.All).Detect(bytes, null)!.Format);
    }

    [Fact]
    public void register_every_format_with_a_known_layer()
    {
        var all = LifelineFormats.All.ToList();
        Assert.Equal(6, all.Count);
        Assert.Equal(all.Count, all.Select(p => p.Format).Distinct().Count());
        var catalogue = LayerCatalogue.Load();
        Assert.All(all, p => Assert.True(catalogue.IsKnown(p.Layer)));
    }

    [Fact]
    public void not_claim_shelter_style_documents()
    {
        byte[][] foreign =
        [
            """{"municipality_code":"172022","shelters":[{"id":"1","status":"開設"}]}"""u8.ToArray(),
            "NO,名称,全国地方公共団体コード,住所\n1,架空公園,172022,石川県七尾市\n"u8.ToArray(),
            """{"type":"FeatureCollection","features":[]}"""u8.ToArray(),
            "<Report xmlns=\"http://xml.kishou.go.jp/jmaxml1/\"/>"u8.ToArray(),
        ];
        foreach (var doc in foreign)
            Assert.DoesNotContain(LifelineFormats.All, p => p.Sniff(doc, null));
    }
}

public class lifeline_sniffers_on_real_samples_should
{
    /// <summary>There are no real lifeline samples: every real sample belongs to another family and must not be claimed.</summary>
    [SampleFact]
    public void claim_none_of_the_other_families_samples()
    {
        var claimed = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(SampleFiles.Root!).Select(d => Path.GetFileName(d)!))
        {
            foreach (var file in SampleFiles.In(folder))
            {
                var bytes = SampleFiles.Read(file);
                var head = bytes.AsSpan(0, Math.Min(bytes.Length, 64 * 1024));
                foreach (var p in LifelineFormats.All)
                    if (p.Sniff(head, Path.GetFileName(file)) || p.Sniff(head, null)) claimed.Add($"{file} by {p.Format}");
            }
        }
        Assert.Empty(claimed);
    }
}
