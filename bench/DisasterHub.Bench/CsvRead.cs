using System.Diagnostics;
using System.Text;
using DisasterHub.Core;
using nietras.SeparatedValues;

/// <summary>
/// <c>csv-read FILE [REPS]</c> (issue 16 item 1: "use a maintained fast CSV reader (e.g. Sep) if it beats the
/// hand-written one in a measurement you record"): reads every field of every row of FILE (UTF-8 text already in
/// memory, as a push's body is decoded) with Core's <see cref="CsvReader"/> and with Sep, REPS times each after one
/// warm-up, and prints the median milliseconds and rows of each as TSV lines (csv_read_hub_ms, csv_read_sep_ms, …).
/// Both materialize each field as a string, as the parsers need them.
/// </summary>
internal static class CsvRead
{
    public static int Run(string path, int reps)
    {
        var text = Encoding.UTF8.GetString(File.ReadAllBytes(path));
        long Hub()
        {
            long n = 0;
            foreach (var row in CsvReader.Read(text)) n += row.Fields.Count;
            return n;
        }
        long SepRead()
        {
            long n = 0;
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true }).FromText(text);
            foreach (var row in reader)
                for (var i = 0; i < row.ColCount; i++)
                {
                    _ = row[i].ToString();
                    n++;
                }
            return n + reader.Header.ColNames.Count; // the header row too, as CsvReader counts it
        }
        foreach (var (name, read) in new (string, Func<long>)[] { ("hub", Hub), ("sep", SepRead) })
        {
            var fields = read(); // warm-up
            var times = new List<double>();
            for (var r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                fields = read();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"csv_read_{name}_ms\t{times[times.Count / 2]:0.0}");
            Console.WriteLine($"csv_read_{name}_fields\t{fields}");
        }
        return 0;
    }
}
