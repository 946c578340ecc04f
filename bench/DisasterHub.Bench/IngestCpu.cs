using System.Diagnostics;
using DisasterHub.Core;
using DisasterHub.Core.Checks;
using DisasterHub.Data;

/// <summary>
/// <c>ingest-cpu FILE FORMAT [REPS]</c> (issue 16): the hub's own work per record of a push read in batches, without
/// PostgreSQL or HTTP — the format's batches (5,000 records, as Hub:Ingest:BatchRecords), the record checks ingest runs
/// on them (the standard list less duplicate-id, which a batched parser applies itself), the validity rule, the
/// classification, and the bytes each record is staged with (<see cref="IngestStore.EncodeForStaging"/>). Prints the
/// median milliseconds of each phase and in all over REPS runs after one warm-up, as TSV lines (ingest_cpu_*).
/// </summary>
internal static class IngestCpu
{
    public static int Run(string path, string format, int reps)
    {
        var bytes = File.ReadAllBytes(path);
        var formats = DisasterHub.Ingestion.IngestionServices.CreateFormats(DisasterHub.Ingestion.IngestionServices.LoadCatalogue(
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()));
        var parser = formats.Find(format) as IBatchedFeedParser ?? throw new ArgumentException($"{format} is not a batched format");
        var checks = formats.Checks.WithoutDuplicateIds();
        var policy = ClassificationPolicy.Default();
        var boundaries = MunicipalBoundaries.LoadEmbedded();
        (long Parse, long Checks, long Encode) allocated = default;
        (double Parse, double Checks, double Encode, double Total, long Records) Once()
        {
            var now = DateTimeOffset.UtcNow;
            var context = new ParseContext { FileName = Path.GetFileName(path), Extent = ServiceExtent.Japan, ReceivedAt = now };
            var check = new CheckContext { Extent = ServiceExtent.Japan, ReceivedAt = now, Boundaries = boundaries };
            CheckRun? run = null;
            var clock = Stopwatch.StartNew();
            TimeSpan parse = TimeSpan.Zero, checking = TimeSpan.Zero, encode = TimeSpan.Zero;
            long records = 0, parseBytes = 0, checkBytes = 0, encodeBytes = 0;
            using var batches = parser.ParseBatches(bytes, context, 5000).GetEnumerator();
            while (true)
            {
                var t0 = clock.Elapsed;
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                var t1 = clock.Elapsed;
                var a1 = GC.GetAllocatedBytesForCurrentThread();
                run = run is null ? new CheckRun(check) : run.Continue(check);
                checks.Run(batch, run);
                ValidityRule.Apply(batch);
                foreach (var r in batch.Records) policy.Apply(r);
                var t2 = clock.Elapsed;
                var a2 = GC.GetAllocatedBytesForCurrentThread();
                var (wkb, _, _) = IngestStore.EncodeForStaging(batch.Records);
                records += wkb.Length;
                var t3 = clock.Elapsed;
                var a3 = GC.GetAllocatedBytesForCurrentThread();
                parseBytes += a1 - a0;
                checkBytes += a2 - a1;
                encodeBytes += a3 - a2;
                parse += t1 - t0;
                checking += t2 - t1;
                encode += t3 - t2;
            }
            allocated = (parseBytes, checkBytes, encodeBytes);
            return (parse.TotalMilliseconds, checking.TotalMilliseconds, encode.TotalMilliseconds, clock.Elapsed.TotalMilliseconds, records);
        }
        Once(); // warm-up
        var runs = Enumerable.Range(0, reps).Select(_ => Once()).ToList();
        static double Median(IEnumerable<double> xs)
        {
            var s = xs.Order().ToList();
            return s[s.Count / 2];
        }
        Console.WriteLine($"ingest_cpu_parse_ms\t{Median(runs.Select(r => r.Parse)):0}");
        Console.WriteLine($"ingest_cpu_checks_ms\t{Median(runs.Select(r => r.Checks)):0}");
        Console.WriteLine($"ingest_cpu_encode_ms\t{Median(runs.Select(r => r.Encode)):0}");
        Console.WriteLine($"ingest_cpu_total_ms\t{Median(runs.Select(r => r.Total)):0}");
        Console.WriteLine($"ingest_cpu_records\t{runs[0].Records}");
        // allocation is deterministic where this machine's timings are not (a third of the time here is collection)
        Console.WriteLine($"ingest_cpu_parse_alloc_mb\t{allocated.Parse / 1048576.0:0.0}");
        Console.WriteLine($"ingest_cpu_checks_alloc_mb\t{allocated.Checks / 1048576.0:0.0}");
        Console.WriteLine($"ingest_cpu_encode_alloc_mb\t{allocated.Encode / 1048576.0:0.0}");
        return 0;
    }
}
