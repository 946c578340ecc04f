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
if (args is not ["pgbench-sql", var outPath, ..])
{
    Console.Error.WriteLine("usage: DisasterHub.Bench pgbench-sql OUT.sql [merged|LAYER]");
    return 2;
}
var which = args.Length > 2 ? args[2] : "merged";
var publicOnly = ClassificationPolicy.Default().ClearanceUpTo(Classifications.Public);
var scope = which == "merged"
    ? new ReadScope(RowSet.Merged, [.. Layers.All], "live", publicOnly, DateTimeOffset.UtcNow)
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
var cells = which == "merged" ? Literal(true) : null;
if (rows is null || (which == "merged" && cells is null)) return 1;
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
