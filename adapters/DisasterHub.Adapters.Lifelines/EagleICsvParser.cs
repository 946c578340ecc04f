using System.Globalization;
using System.Text.Json.Nodes;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>eagle-i-csv</c>: ORNL EAGLE-I county outage snapshots (figshare 24237376, FIELDS §6): fips_code, county, state,
/// customers_out (2023: <c>sum</c>), run_start_time (UTC, "YYYY-MM-DD HH:MM:SS"), and from 2024 total_customers.
/// One record per county: the row with the latest run_start_time.
/// </summary>
/// <remarks>
/// Rows are located by county FIPS code, which the hub has no geometry for. A <see cref="ParseContext.Companions"/>
/// entry <c>fips-centroids.csv</c> (fips,lon,lat) gives points; without it (or for a county not in it) the record has no
/// geometry and the registry rejects it ("no usable location").
/// </remarks>
public sealed class EagleICsvParser : IFeedParser
{
    public const string FormatName = "eagle-i-csv";
    public const string CentroidsCompanion = "fips-centroids.csv";

    public string Format => FormatName;
    public string Layer => Layers.PowerOutages;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !(fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || !Path.HasExtension(fileName)))
            return false;
        var first = TextDecoding.DecodeFirstLine(head).TrimStart('\uFEFF').ToLowerInvariant();
        return first.Contains("fips_code", StringComparison.Ordinal) && first.Contains("run_start_time", StringComparison.Ordinal);
    }

    private sealed record Row(int Line, string Fips, string? County, string? State, long Out, long? Total, DateTimeOffset Time, int Seen);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.Decode(content.Span);
        using var rows = CsvReader.Read(text).GetEnumerator();
        if (!rows.MoveNext()) throw new UnparseableDocumentException("line 1", "empty document");
        var header = rows.Current.Fields.Select(h => h.Trim().TrimStart('\uFEFF').ToLowerInvariant()).ToList();
        int Col(string name) => header.IndexOf(name);
        var fipsCol = Col("fips_code");
        var outCol = Col("customers_out");
        var outColumnName = "customers_out";
        if (outCol < 0)
        {
            outCol = Col("sum");
            outColumnName = "sum";
        }
        var timeCol = Col("run_start_time");
        var countyCol = Col("county");
        var stateCol = Col("state");
        var totalCol = Col("total_customers");
        if (fipsCol < 0 || outCol < 0 || timeCol < 0)
            throw new UnparseableDocumentException("line 1", "not an EAGLE-I file: needs fips_code, customers_out (or sum) and run_start_time columns");

        var centroids = LoadCentroids(context);
        var result = new ParseResult { Format = Format, Encoding = encoding };
        var latest = new Dictionary<string, Row>(StringComparer.Ordinal);
        var seenAt = new Dictionary<(string, DateTimeOffset), int>();
        while (rows.MoveNext())
        {
            var row = rows.Current;
            if (CsvReader.IsBlank(row)) continue;
            var at = $"line {row.Line}";
            var fips = row[fipsCol].Trim();
            if (fips.Length is 0 or > 5 || !fips.All(char.IsAsciiDigit))
            {
                result.Reject(at, $"fips_code '{fips}' is not a county FIPS code (up to 5 digits)");
                continue;
            }
            fips = fips.PadLeft(5, '0');
            if (!LifelineFields.TryCountText(row[outCol], out var customersOut))
            {
                result.Reject(at, $"{outColumnName} '{row[outCol]}' must be a non-negative integer");
                continue;
            }
            long? total = null;
            if (totalCol >= 0 && row[totalCol].Trim().Length > 0)
            {
                if (!LifelineFields.TryCountText(row[totalCol], out var t))
                {
                    result.Reject(at, $"total_customers '{row[totalCol]}' must be a non-negative integer");
                    continue;
                }
                total = t;
            }
            var timeText = row[timeCol].Trim();
            if (!DateTime.TryParseExact(timeText, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                result.Reject(at, $"run_start_time '{timeText}' is not YYYY-MM-DD HH:MM:SS (UTC)");
                continue;
            }
            var utc = new DateTimeOffset(time, TimeSpan.Zero);
            if (seenAt.TryGetValue((fips, utc), out var firstLine))
            {
                result.Reject(at, $"duplicate row for fips_code {fips} at {timeText} (line {firstLine} kept)");
                continue;
            }
            seenAt[(fips, utc)] = row.Line;
            var county = row[countyCol].Trim();
            var state = row[stateCol].Trim();
            var seen = latest.TryGetValue(fips, out var previous) ? previous.Seen + 1 : 1;
            var candidate = new Row(row.Line, fips, county.Length > 0 ? county : null, state.Length > 0 ? state : null, customersOut, total, utc, seen);
            latest[fips] = previous is null || utc > previous.Time ? candidate : previous with { Seen = seen };
        }

        foreach (var r in latest.Values.OrderBy(r => r.Line))
        {
            var attrs = new JsonObject { ["fips_code"] = r.Fips };
            if (r.County is not null) attrs["county"] = r.County;
            if (r.State is not null) attrs["state"] = r.State;
            attrs["customers_out"] = r.Out;
            if (r.Total is not null) attrs["customers_served"] = r.Total.Value;
            if (r.Seen > 1) attrs["superseded_rows"] = r.Seen - 1;
            Point? point = centroids.TryGetValue(r.Fips, out var c) ? LifelineFields.Factory.CreatePoint(new Coordinate(c.Lon, c.Lat)) : null;
            if (point is not null) attrs["location_precision"] = "county";
            result.Records.Add(new FeatureRecord
            {
                Layer = Layers.PowerOutages,
                SourceKey = r.Fips,
                EntityKey = "us-county:" + r.Fips,
                Name = r.County is null ? null : r.State is null ? r.County : $"{r.County}, {r.State}",
                Geometry = point,
                LocatedByCode = false,
                Status = PowerOutage.Status(r.Out),
                Severity = PowerOutage.Severity(r.Out, r.Total),
                ObservedAt = r.Time,
                Attrs = attrs,
                Location = $"line {r.Line}",
            });
        }
        return result;
    }

    /// <summary>The optional companion: "fips,lon,lat" (header optional); a malformed line fails the document.</summary>
    private static Dictionary<string, (double Lon, double Lat)> LoadCentroids(ParseContext context)
    {
        var map = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        if (!context.Companions.TryGetValue(CentroidsCompanion, out var bytes)) return map;
        foreach (var row in CsvReader.Read(TextDecoding.Decode(bytes.Span).Text))
        {
            if (CsvReader.IsBlank(row)) continue;
            var fips = row[0].Trim().TrimStart('\uFEFF');
            if (row.Line == 1 && fips.Equals("fips", StringComparison.OrdinalIgnoreCase)) continue;
            if (fips.Length is 0 or > 5 || !fips.All(char.IsAsciiDigit)
                || !double.TryParse(row[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon)
                || !double.TryParse(row[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat)
                || lon is < -180 or > 180 || lat is < -90 or > 90)
                throw new UnparseableDocumentException($"{CentroidsCompanion} line {row.Line}", "expected fips,lon,lat");
            map[fips.PadLeft(5, '0')] = (lon, lat);
        }
        return map;
    }
}
