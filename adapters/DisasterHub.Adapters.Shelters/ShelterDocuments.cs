using System.Text.Json;
using System.Text.Json.Nodes;
using DisasterHub.Core;
using DisasterHub.Core.Checks;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Shelters;

/// <summary>How a row locates itself: a point, or the reason it has none. Gets the attrs to flag swapped coordinates.</summary>
internal delegate bool Locate(JsonObject attrs, out Point point, out string reason);

/// <summary>Collects records, turning a second record with the same SourceKey into a rejection.</summary>
internal sealed class RecordCollector(ParseResult result)
{
    private readonly DuplicateIdCheck.FirstSeen _seen = new();

    public ParseResult Result { get; private set; } = result;

    /// <summary>Rows collected into the current batch (records and rejections).</summary>
    private int Count => Result.Records.Count + Result.Rejections.Count;

    /// <summary>
    /// Maps rows lazily, handing over a batch every <paramref name="batchSize"/> rows read (records and rejections) and
    /// the rest at the end (<see cref="IBatchedFeedParser"/>); the ids seen stay, so duplicates are found across batches.
    /// </summary>
    public IEnumerable<ParseResult> Batches<T>(IEnumerable<T> rows, int batchSize, Action<T> map)
    {
        foreach (var row in rows)
        {
            map(row);
            if (Count >= batchSize) yield return Next();
        }
        yield return Next();
    }

    private ParseResult Next()
    {
        var done = Result;
        Result = new ParseResult { Format = done.Format, Encoding = done.Encoding };
        return done;
    }

    /// <remarks>The rule and its wording are the record checks' (<see cref="DuplicateIdCheck"/>).</remarks>
    public void Add(FeatureRecord record)
    {
        if (_seen.Reason(record) is { } why)
        {
            Result.Reject(record.Location ?? record.SourceKey, why);
            return;
        }
        Result.Records.Add(record);
    }
}

/// <summary>A CSV document as header + rows of named fields, read as they are enumerated (once).</summary>
internal sealed class CsvDocument
{
    public required string Encoding { get; init; }
    public required IReadOnlyList<string> Header { get; init; }

    /// <summary>The data rows, decoded and split as they are enumerated: the document is never one string or one list.</summary>
    public required IEnumerable<(int Line, FieldRow Row)> Rows { get; init; }

    /// <summary>How a row of the shelter CSVs locates itself: its 緯度 and 経度 columns.</summary>
    public static Locate LatLon(FieldRow row) => (JsonObject attrs, out Point p, out string reason) =>
        ShelterFields.TryMakePoint(row.Get("緯度"), row.Get("経度"), attrs, out p, out reason);

    public static CsvDocument Read(ReadOnlyMemory<byte> content)
    {
        var (reader, encoding) = TextDecoding.OpenReader(content);
        var rows = CsvReader.Read(reader).GetEnumerator();
        IReadOnlyList<string>? header = null;
        while (header is null && rows.MoveNext())
            if (!CsvReader.IsBlank(rows.Current)) header = rows.Current.Fields.Select(f => f.Trim()).ToList();
        if (header is null) throw new UnparseableDocumentException("line 1", "empty document: no header row");
        return new CsvDocument { Encoding = encoding, Header = header, Rows = Data(rows, header) };
    }

    private static IEnumerable<(int, FieldRow)> Data(IEnumerator<CsvRow> rows, IReadOnlyList<string> header)
    {
        using var _ = rows;
        // one column map for the document; a row is its cells
        var names = new FieldNames(header.Select(h => h.Length > 0 ? FieldRow.Key(h) : null), sharedByRows: true);
        while (rows.MoveNext())
        {
            var row = rows.Current;
            if (CsvReader.IsBlank(row)) continue;
            yield return (row.Line, new FieldRow(names, row.Fields));
        }
    }

    /// <summary>The header row's column names, for sniffing (first line of the head only).</summary>
    public static HashSet<string> SniffHeader(ReadOnlySpan<byte> head)
    {
        var line = TextDecoding.DecodeFirstLine(head);
        if (line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in line.Split(','))
            names.Add(FieldRow.Key(f.Trim().Trim('"')));
        return names;
    }

    public static bool HasCsvExtension(string? fileName) =>
        fileName is not null && (fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".txt", StringComparison.OrdinalIgnoreCase));
}

/// <summary>One GeoJSON feature: its properties as a field row and its position (already in EPSG:4326, or why not).</summary>
internal sealed record GeoJsonFeature(int Index, FieldRow Properties, double[]? Position, string? GeometryProblem);

/// <summary>A GeoJSON FeatureCollection of points, with an optional named <c>crs</c> member.</summary>
internal sealed class GeoJsonDocument
{
    public static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public required string Encoding { get; init; }
    public required int Epsg { get; init; }
    public required List<GeoJsonFeature> Features { get; init; }

    public string SourceCrs => Crs.Name(Epsg);

    public static GeoJsonDocument Read(ReadOnlyMemory<byte> content)
    {
        var (text, encoding) = TextDecoding.DecodeJson(content.Span);
        // SafeJson turns malformed JSON into UnparseableDocumentException with the line and byte
        var root = SafeJson.Parse(text, Options);
        if (root is not JsonObject obj) throw new UnparseableDocumentException("/", "not a JSON object");
        if (obj["type"]?.GetValueKind() != JsonValueKind.String || (string?)obj["type"] != "FeatureCollection")
            throw new UnparseableDocumentException("/type", "not a GeoJSON FeatureCollection");
        if (obj["features"] is not JsonArray features) throw new UnparseableDocumentException("/features", "missing features array");

        var epsg = 4326;
        if (obj["crs"] is JsonObject crs)
        {
            var name = crs["properties"]?["name"];
            var nameText = name?.GetValueKind() == JsonValueKind.String ? (string?)name : null;
            if (!Crs.TryParseEpsg(nameText, out epsg) || !Crs.IsSupported(epsg))
                throw new UnparseableDocumentException("/crs", $"unsupported CRS '{nameText ?? crs.ToJsonString()}'");
        }

        var list = new List<GeoJsonFeature>(features.Count);
        for (var i = 0; i < features.Count; i++)
        {
            var f = features[i] as JsonObject;
            var values = new List<KeyValuePair<string, string?>>();
            if (f?["properties"] is JsonObject props)
                foreach (var (k, v) in props) values.Add(new(FieldRow.Key(k), ShelterFields.JsonText(v)));
            string? problem = null;
            double[]? position = null;
            if (f is null) problem = "feature is not an object";
            else if (f["geometry"] is not JsonObject g) problem = "feature has no geometry";
            else if ((g["type"]?.GetValueKind() == JsonValueKind.String ? (string?)g["type"] : null) != "Point")
                problem = $"geometry type {g["type"]?.ToJsonString() ?? "(none)"} is not supported (expected Point)";
            else if (g["coordinates"] is not JsonArray c || c.Count < 2 || c[0]?.GetValueKind() != JsonValueKind.Number || c[1]?.GetValueKind() != JsonValueKind.Number)
                problem = "Point coordinates are not two numbers";
            else
            {
                var x = c[0]!.GetValue<double>();
                var y = c[1]!.GetValue<double>();
                var projected = epsg is not (4326 or 6668 or 4612 or 4301);
                if (projected && Math.Abs(x) <= 180 && Math.Abs(y) <= 90)
                    problem = $"coordinates ({x}, {y}) look like degrees, but the document says {Crs.Name(epsg)} (metres)";
                else if (CoordinateTransform.TryToWgs84(epsg, x, y, out var lon, out var lat)) position = [lon, lat];
                else problem = $"coordinates cannot be transformed from {Crs.Name(epsg)}";
            }
            list.Add(new GeoJsonFeature(i, new FieldRow(values), position, problem));
        }
        return new GeoJsonDocument { Encoding = encoding, Epsg = epsg, Features = list };
    }

    /// <summary>Locates from the geometry, falling back to 緯度/経度 properties when the geometry is missing.</summary>
    public static Locate LocateFeature(GeoJsonFeature f) => (JsonObject attrs, out Point point, out string reason) =>
    {
        if (f.Position is { } p) return ShelterFields.TryMakePoint(p[1], p[0], attrs, out point, out reason);
        var lat = f.Properties.Get("緯度");
        var lon = f.Properties.Get("経度");
        if (lat is not null && lon is not null) return ShelterFields.TryMakePoint(lat, lon, attrs, out point, out reason);
        point = null!;
        reason = f.GeometryProblem ?? "no geometry";
        return false;
    };

    /// <summary>Whether the head looks like a FeatureCollection carrying any of the given property names.</summary>
    public static bool SniffProperties(ReadOnlySpan<byte> head, string? fileName, params string[] propertyNames)
    {
        if (fileName is not null && (fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)))
            return false;
        var text = TextDecoding.DecodeHead(head).Text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (!text.StartsWith('{') || !text.Contains("\"FeatureCollection\"", StringComparison.Ordinal)) return false;
        return propertyNames.Any(n => text.Contains($"\"{n}\"", StringComparison.Ordinal));
    }
}
