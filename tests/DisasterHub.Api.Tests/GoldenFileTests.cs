using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Adapters;
using DisasterHub.Core;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Golden files (issue 12 item 6): for every format and every catalogue layer, the normalized records and rejections
/// of a committed input, as <c>./hub validate --records</c> makes them (parser, then the shared record checks, offline,
/// at a fixed receipt time), compared with <c>tests/golden/*.json</c>. After an intended change, <c>./hub bless</c>
/// (HUB_BLESS=1 for this class) rewrites them; the diff is then reviewed like code.
/// </summary>
public sealed class golden_files_should
{
    /// <summary>A day after the fixtures' events: their times are in the past, as when a feed is read.</summary>
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static readonly LayerCatalogue Catalogue = LayerCatalogue.Load();
    private static readonly FormatRegistry Formats = HubFormats.CreateRegistry(Catalogue);
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Each adapter format's input: a fixture the project wrote (fictional data), relative to the repository, and the
    /// companion file the format needs as "path=name the parser looks for".
    /// </summary>
    private static readonly (string Format, string Input, string? Companion)[] FormatInputs =
    [
        ("cap", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/cap-japan-fictional.cap", null),
        ("cap-atom", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/cap-index-japan-fictional.atom", null),
        ("edxl-de", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/edxlde-japan-fictional.edxlde", null),
        ("lalert-damage", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/lalert-damage-fictional.xml", null),
        ("lalert-evacuation", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/lalert-evacuation-fictional.xml", null),
        ("lalert-shelter", "tests/DisasterHub.Adapters.Alerts.Tests/Fixtures/lalert-shelter-fictional.xml", null),
        ("jma-amedas", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/amedas-map-20261122090000.json", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/amedastable-fictional.json=amedastable.json"),
        ("jma-amedas-table", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/amedastable-fictional.json", null),
        ("jma-quake-list", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/quake-list-fictional.json", null),
        ("jma-vpww", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/vpww-fictional.xml", null),
        ("jma-vtse", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/vtse-fictional.xml", null),
        ("jma-vxko", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/vxko-fictional.xml", null),
        ("jma-vxse", "tests/DisasterHub.Adapters.Jma.Tests/Fixtures/vxse-fictional.xml", null),
        ("eagle-i-csv", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/eagle-i-2024-fictional.csv", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/fips-centroids-fictional.csv=fips-centroids.csv"),
        ("fdma-damage-csv", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/fdma-damage-full-fictional.csv", null),
        ("fdma-damage-json", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/fdma-damage-fictional.json", null),
        ("kubra-json", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/kubra-thematic-fictional.json", null),
        ("power-push-json", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/power-push-fictional.json", null),
        ("tepco-xml", "tests/DisasterHub.Adapters.Lifelines.Tests/Fixtures/tepco-fictional.xml", null),
        ("sensorthings", "tests/DisasterHub.Adapters.Sensors.Tests/Fixtures/nanao-river-things-page1.json", null),
        ("da-shelter-csv", "tests/DisasterHub.Core.Tests/Fixtures/da-emergency-39-fictional.csv", null),
        ("da-shelter-geojson", "tests/DisasterHub.Core.Tests/Fixtures/da-open-shelter-fictional.geojson", null),
        ("gsi-shelter-csv", "tests/DisasterHub.Core.Tests/Fixtures/gsi-emergency-fictional.csv", null),
        ("gsi-shelter-geojson", "tests/DisasterHub.Core.Tests/Fixtures/gsi-emergency-fictional.geojson", null),
        ("shelter-status-json", "tests/DisasterHub.Core.Tests/Fixtures/shelter-status-fictional.json", null),
        ("disasterhub-shelters", "tests/golden/inputs/disasterhub-shelters.json", null),
    ];

    public static TheoryData<string> Formatted() => [.. FormatInputs.Select(f => f.Format)];

    public static TheoryData<string> CatalogueLayers() => [.. Catalogue.Ids];

    private static string Root => browser_map_should.RepoRoot();

    private static bool Blessing => Environment.GetEnvironmentVariable("HUB_BLESS") == "1";

    /// <summary>What the hub makes of a document: the normalized records as GeoJSON, and the rejections.</summary>
    private static string Normalize(string format, string inputPath, string? companionPath)
    {
        var parser = Formats.Find(format) ?? throw new InvalidOperationException($"no format {format}");
        var companions = new Dictionary<string, ReadOnlyMemory<byte>>();
        if (companionPath?.Split('=') is [var file, var name]) companions[name] = File.ReadAllBytes(Path.Combine(Root, file));
        var result = Formats.Parse(parser, File.ReadAllBytes(Path.Combine(Root, inputPath)),
            new ParseContext { FileName = Path.GetFileName(inputPath), ReceivedAt = ReceivedAt, Companions = companions });
        var doc = RecordsGeoJson.Collection(result.Records);
        doc["format"] = format;
        doc["layer"] = parser.Layer;
        doc["input"] = inputPath;
        doc["rejections"] = new JsonArray([.. result.Rejections.Select(r => (JsonNode?)new JsonObject { ["at"] = r.At, ["reason"] = r.Reason })]);
        // keys the document says are gone (another hub's deletions), only where a format reads any
        if (result.Withdrawals.Count > 0) doc["withdrawals"] = new JsonArray([.. result.Withdrawals.Select(k => (JsonNode?)k)]);
        return doc.ToJsonString(Pretty).ReplaceLineEndings("\n") + "\n";
    }

    private static void Compare(string actual, string goldenName)
    {
        var path = Path.Combine(Root, "tests", "golden", goldenName);
        if (Blessing)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"no golden file {path}: run ./hub bless, review the new file, commit it");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected == actual) return;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var line = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        Assert.Fail($"{goldenName} differs at line {line + 1}:\n  golden: {(line < e.Length ? e[line] : "<end>")}\n  now:    {(line < a.Length ? a[line] : "<end>")}\n" +
            "If the change is intended: ./hub bless, then review and commit the golden files.");
    }

    [Theory]
    [MemberData(nameof(Formatted))]
    public void match_the_golden_records_of_each_format(string format)
    {
        var (_, input, companion) = FormatInputs.Single(f => f.Format == format);
        Compare(Normalize(format, input, companion), $"format-{format}.json");
    }

    [Theory]
    [MemberData(nameof(CatalogueLayers))]
    public void match_the_golden_records_of_each_catalogue_layer(string layer) =>
        Compare(Normalize(layer + ".geojson", $"tests/golden/inputs/{layer}.geojson", null), $"layer-{layer}.json");

    [Fact]
    public void have_a_golden_input_for_every_adapter_format()
    {
        var generic = Catalogue.Ids.SelectMany(l => new[] { l + ".geojson", l + ".csv", "disasterhub-" + l }).ToHashSet();
        var missing = Formats.Parsers.Select(p => p.Format).Where(f => !generic.Contains(f) && FormatInputs.All(i => i.Format != f)).ToList();
        Assert.True(missing.Count == 0, $"formats without a golden input: {string.Join(", ", missing)}");
    }
}
