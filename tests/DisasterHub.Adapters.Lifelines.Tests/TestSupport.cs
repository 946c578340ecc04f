using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines.Tests;

internal static class TestSupport
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Json(JsonObject attrs) => attrs.ToJsonString(Relaxed);

    public static DateTimeOffset Utc(int y, int mo, int d, int h, int mi) => new(y, mo, d, h, mi, 0, TimeSpan.Zero);

    public static ParseResult Parse(IFeedParser parser, string fixture, ParseContext? context = null) =>
        parser.Parse(Fixtures.Read(fixture), context ?? Fixtures.Context(fixture));

    public static ParseResult ParseThroughRegistry(IFeedParser parser, string fixture, ParseContext? context = null) =>
        new FormatRegistry([parser]).Parse(parser, Fixtures.Read(fixture), context ?? new ParseContext
        {
            // the hub's clock after the fixtures' times: the shared checks refuse times more than minutes ahead of it
            ReceivedAt = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
            FileName = fixture,
        });

    public static string Wkt(FeatureRecord r) => r.Geometry!.AsText();
}
