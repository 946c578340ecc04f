using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Data;
using Npgsql;

// pgbench-sql OUT [layer|merged]: the hub's tile SQL (TileQueries.Sql + ReadScope.Bind, anonymous caller, workspace "live")
// with every bound value as a literal, and z/x/y/tolerance/cell as pgbench variables picked from table bench_tile. For
// the merged layers the hub draws tiles below the cluster zoom from the precomputed cells (TileQueries.FromCells):
// the script does the same with pgbench's \if on :z.
// tile-latency CONNSTRING HUB_URL PER_ZOOM PREFIX: per zoom 0-14, up to PER_ZOOM distinct merged tiles that hold data
// (picked from a sample of the merged rows), each timed once over HTTP from the hub (uncached: what a client waits),
// and through TileQueries as the hub runs it: from the cells and from the rows (the request-time clustering, the path
// every zoom took before the cells) below the cluster zoom; prints "PREFIX_z{z}_{path}_{p50|p95|p99|n}" TSV lines.
// csv-read FILE [REPS]: Core's CsvReader against Sep on one CSV file (see CsvRead.cs).
// ingest-cpu FILE FORMAT [REPS]: the hub's own work per record of a batched push (parse, checks, staging bytes), without
// PostgreSQL (see IngestCpu.cs).
// validate-time FILE FORMAT [REPS]: ./hub validate's parse and record checks (the ingest's one checks path) on FILE, REPS
// times in this process after one warm-up; prints the median and fastest milliseconds (issue 16: where a push's
// "parse and checks" stage goes, without the hub's startup or PostgreSQL).
if (args is ["validate-time", var vPath, var vFormat, ..])
{
    var reps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
    DisasterHub.Api.HubCli.Validate([vPath, "--format", vFormat], TextWriter.Null); // warm-up
    var times = new List<double>();
    for (var r = 0; r < reps; r++)
    {
        var sw = Stopwatch.StartNew();
        DisasterHub.Api.HubCli.Validate([vPath, "--format", vFormat], TextWriter.Null);
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"validate_ms\t{times[times.Count / 2]:0}\nvalidate_min_ms\t{times[0]:0}");
    return 0;
}
if (args is ["ingest-cpu", var iPath, var iFormat, ..])
    return IngestCpu.Run(iPath, iFormat, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5);
if (args is ["csv-read", var csvPath, ..])
    return CsvRead.Run(csvPath, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
if (args is ["tile-latency", var connString, var hubUrl, var perZoomText, var prefix])
    return await TileLatency.RunAsync(connString, hubUrl, int.Parse(perZoomText, CultureInfo.InvariantCulture), prefix);
if (args is not ["pgbench-sql", var outPath, ..])
{
    Console.Error.WriteLine("usage: DisasterHub.Bench pgbench-sql OUT.sql [merged|LAYER] | tile-latency CONNSTRING HUB_URL PER_ZOOM PREFIX");
    return 2;
}
var which = args.Length > 2 ? args[2] : "merged";
var catalogue = LayerCatalogue.Load();
var publicOnly = ClassificationPolicy.Default().WithCatalogue(catalogue).ClearanceUpTo(Classifications.Public);
var scope = which == "merged"
    ? new ReadScope(RowSet.Merged, [.. catalogue.Ids], "live", publicOnly, DateTimeOffset.UtcNow)
    : new ReadScope(RowSet.Features, [which], "live", publicOnly, DateTimeOffset.UtcNow);
var lits = new Dictionary<string, string>
{
    ["z"] = ":z", ["x"] = ":x", ["y"] = ":y", ["tolerance"] = ":tol",
    ["shift"] = ":shift", ["cx0"] = ":cx0", ["cx1"] = ":cx1", ["cy0"] = ":cy0", ["cy1"] = ":cy1",
    ["cap"] = TileQueries.FeatureCap.ToString(CultureInfo.InvariantCulture),
    ["cluster_zoom"] = TileQueries.ClusterBelowZoom.ToString(CultureInfo.InvariantCulture),
};
static string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
string? Literal(bool fromCells)
{
    var sql = TileQueries.Sql(scope, fromCells);
    using var c = new NpgsqlCommand(sql);
    scope.Bind(c);
    foreach (NpgsqlParameter p in c.Parameters)
    {
        lits[p.ParameterName] = p.Value switch
        {
            string[] a => "ARRAY[" + string.Join(",", a.Select(Q)) + "]::text[]",
            DateTime => "now()",
            DateTimeOffset => "now()",
            string s when p.NpgsqlDbType == NpgsqlTypes.NpgsqlDbType.Jsonb => Q(s) + "::jsonb",
            string s => Q(s),
            bool b => b ? "true" : "false",
            int i => i.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            null or DBNull => "NULL",
            var v => Q(Convert.ToString(v, CultureInfo.InvariantCulture)!),
        };
    }
    var missing = new HashSet<string>();
    var body = Regex.Replace(sql, @"(?<![:@\w])@([a-z_][a-z0-9_]*)\b", m => lits.TryGetValue(m.Groups[1].Value, out var v) ? v : (missing.Add(m.Groups[1].Value) ? m.Value : m.Value));
    if (missing.Count > 0)
    {
        Console.Error.WriteLine("unbound parameters: " + string.Join(",", missing));
        return null;
    }
    // pgbench reads one statement per line set: no comments, no blank lines inside, one terminating semicolon
    return string.Join('\n', body.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal) && l.Trim().Length > 0)).Trim().TrimEnd(';') + ";\n";
}
var rows = Literal(false);
// below the cluster zoom a live tile of either set comes from its cells (TileQueries.FromCells: tile_cell for the
// merged layers, feature_tile_cell for one layer's per-source tiles), so the script does what the hub does
var cells = Literal(true);
if (rows is null || cells is null) return 1;
var head = new StringBuilder()
    .Append("\\set i random(1, :ntiles)\n")
    .Append("SELECT z, x, y FROM bench_tile WHERE i = :i \\gset\n")
    .Append("\\set tol 40075016.68557849 / pow(2, :z) / 4096.0 * 2\n")
    // the tile's cluster cells (TileQueries.TileAsync): both SQL files cluster on the cells of the grid below the cluster zoom
    .Append(CultureInfo.InvariantCulture, $"\\set shift greatest(0, {TileQueries.CellZoom} - :z)\n")
    .Append("\\set cx0 (16 * :x) << :shift\n\\set cx1 ((16 * :x + 16) << :shift) - 1\n")
    .Append("\\set cy0 (16 * :y) << :shift\n\\set cy1 ((16 * :y + 16) << :shift) - 1\n");
if (cells is not null)
{
    head.Append(CultureInfo.InvariantCulture, $"\\if :z < {TileQueries.ClusterBelowZoom}\n")
        .Append(cells).Append("\\else\n").Append(rows).Append("\\endif\n");
    File.WriteAllText(outPath, head.ToString());
}
else File.WriteAllText(outPath, head + rows);
return 0;

internal static class TileLatency
{
    public static async Task<int> RunAsync(string connString, string hubUrl, int perZoom, string prefix)
    {
        // the hub's session settings (HubApp: JIT off), so the direct SQL figures are of the same work: with JIT a
        // z9 tile's statement spent ~3 s compiling
        await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connString) { Options = "-c jit=off" }.ConnectionString);
        var catalogue = LayerCatalogue.Load();
        var scope = new ReadScope(RowSet.Merged, [.. catalogue.Ids], "live",
            ClassificationPolicy.Default().WithCatalogue(catalogue).ClearanceUpTo(Classifications.Public), DateTimeOffset.UtcNow);
        var tiles = new TileQueries(db);
        using var http = new HttpClient { BaseAddress = new Uri(hubUrl), Timeout = TimeSpan.FromMinutes(5) };
        var rng = new Random(7);
        for (var z = 0; z <= 14; z++)
        {
            // tiles that hold data, from a sample of the live merged rows' representative points
            var picked = new List<(int X, int Y)>();
            await using (var c = db.CreateCommand("""
                SELECT DISTINCT floor((ST_X(tile_pt) + 20037508.342789244) / (40075016.68557849 / (1 << @z)))::int,
                                floor((20037508.342789244 - ST_Y(tile_pt)) / (40075016.68557849 / (1 << @z)))::int
                FROM merged_feature TABLESAMPLE SYSTEM (2) REPEATABLE (7) WHERE workspace = 'live'
                """))
            {
                c.Parameters.AddWithValue("z", z);
                await using var r = await c.ExecuteReaderAsync();
                while (await r.ReadAsync()) picked.Add((r.GetInt32(0), r.GetInt32(1)));
            }
            picked = [.. picked.OrderBy(_ => rng.Next()).Take(perZoom)];
            var times = new Dictionary<string, List<double>> { ["hub"] = [], ["sql_cells"] = [], ["sql_rows"] = [], ["layer_hub"] = [] };
            foreach (var (i, (x, y)) in picked.Index())
            {
                var t = Stopwatch.StartNew();
                await GetAsync(http, $"/tiles/merged/{z}/{x}/{y}.mvt");
                times["hub"].Add(t.Elapsed.TotalMilliseconds);
                // the map's per-source mode: one layer as every source reports it (feature_tile_cell below the cluster
                // zoom, migration 0063; the rows above it), a quarter of the tiles
                if (i % 4 == 0)
                {
                    t.Restart();
                    await GetAsync(http, $"/tiles/shelters/{z}/{x}/{y}.mvt");
                    times["layer_hub"].Add(t.Elapsed.TotalMilliseconds);
                }
                if (TileQueries.FromCells(scope, z))
                {
                    t.Restart();
                    await tiles.TileAsync(scope, z, x, y, fromCells: true, CancellationToken.None);
                    times["sql_cells"].Add(t.Elapsed.TotalMilliseconds);
                }
                t.Restart();
                await tiles.TileAsync(scope, z, x, y, fromCells: false, CancellationToken.None);
                times["sql_rows"].Add(t.Elapsed.TotalMilliseconds);
            }
            foreach (var (path, ms) in times.Where(kv => kv.Value.Count > 0))
            {
                ms.Sort();
                foreach (var (name, q) in new[] { ("p50", 0.50), ("p95", 0.95), ("p99", 0.99) })
                    Console.WriteLine(FormattableString.Invariant($"{prefix}_z{z}_{path}_{name}_ms\t{ms[Math.Min(ms.Count - 1, (int)(q * ms.Count))]:0.##}"));
                Console.WriteLine(FormattableString.Invariant($"{prefix}_z{z}_{path}_n\t{ms.Count}"));
            }
            Console.Error.WriteLine(FormattableString.Invariant($"z{z}: {picked.Count} tiles, hub p50 {Median(times["hub"]):0.#} ms, rows p50 {Median(times["sql_rows"]):0.#} ms, per-source layer p50 {Median(times["layer_hub"]):0.#} ms")
                + (times["sql_cells"].Count > 0 ? FormattableString.Invariant($", cells p50 {Median(times["sql_cells"]):0.#} ms") : ""));
        }
        return 0;
    }

    private static double Median(List<double> sorted) => sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];

    private static async Task GetAsync(HttpClient http, string path)
    {
        using var resp = await http.GetAsync(path);
        resp.EnsureSuccessStatusCode();
        await resp.Content.ReadAsByteArrayAsync();
    }
}
