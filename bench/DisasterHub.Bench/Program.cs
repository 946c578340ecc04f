using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DisasterHub.Core;
using DisasterHub.Data;
using Npgsql;

// pgbench-sql OUT [layer|merged]: the hub's tile SQL (TileQueries.Sql + ReadScope.Bind, anonymous caller, workspace "live")
// with every bound value as a literal, and z/x/y/tolerance/cell as pgbench variables picked from table bench_tile.
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
var sql = TileQueries.Sql(scope);
using var c = new NpgsqlCommand(sql);
scope.Bind(c);
var lits = new Dictionary<string, string>
{
    ["z"] = ":z", ["x"] = ":x", ["y"] = ":y", ["tolerance"] = ":tol", ["cell"] = ":cell",
    ["cap"] = TileQueries.FeatureCap.ToString(CultureInfo.InvariantCulture),
    ["cluster_zoom"] = TileQueries.ClusterBelowZoom.ToString(CultureInfo.InvariantCulture),
};
static string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
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
var body = Regex.Replace(sql, @"(?<![:@\w])@([a-z_]+)\b", m => lits.TryGetValue(m.Groups[1].Value, out var v) ? v : (missing.Add(m.Groups[1].Value) ? m.Value : m.Value));
if (missing.Count > 0)
{
    Console.Error.WriteLine("unbound parameters: " + string.Join(",", missing));
    return 1;
}
body = string.Join('\n', body.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim().TrimEnd(';');
var head = new StringBuilder()
    .Append("\\set i random(1, :ntiles)\n")
    .Append("SELECT z, x, y FROM bench_tile WHERE i = :i \\gset\n")
    .Append("\\set tol 40075016.68557849 / pow(2, :z) / 4096.0 * 2\n")
    .Append("\\set cell 40075016.68557849 / pow(2, :z) / 16.0\n");
File.WriteAllText(outPath, head + body + ";\n");
return 0;
