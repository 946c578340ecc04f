using System.Globalization;
using System.Text;
using DisasterHub.Api.Tests.Infrastructure;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Migration 0055. The hub's database survives the two PostgreSQL tools that run with a search path leaving out the
/// schema PostGIS is installed in:
/// - autovacuum's ANALYZE, which evaluates merged_feature's cell index expression. When it failed, the merged layer never
///   had statistics, and every page of the event stream was read by sorting the whole layer.
/// - pg_restore of a pg_dump. When it failed, CREATE TABLE merged_feature failed on its generated column, and the
///   restored database lacked the merged layer.
/// </summary>
public sealed class backup_restore_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        var rows = Enumerable.Range(0, 40).Select(i =>
            $$"""{"id":"B{{i}}","name":"復元試験{{i}}","status":"開設","evacuees":{{i}},"lat":37.0{{i % 10}},"lon":136.9{{i / 10}}}""");
        var doc = Encoding.UTF8.GetBytes($$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', rows)}}]}""");
        await _hub.PushOkAsync("nanao-status", _key, doc);
        // a changed state too, so the history tables hold rows
        doc = Encoding.UTF8.GetBytes("""{"municipality_code":"172022","observed_at":"2026-11-22T10:00:00+09:00","shelters":[{"id":"B1","name":"復元試験1","status":"閉鎖","evacuees":0,"lat":37.01,"lon":136.90}]}""");
        await _hub.PushOkAsync("nanao-status", _key, doc);
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    [Fact]
    public async Task analyze_the_merged_layer_with_autovacuums_search_path()
    {
        await using var conn = new NpgsqlConnection(_hub.Db.ConnectionString);
        await conn.OpenAsync();
        // what autovacuum runs: a partition of the merged layer (it never analyzes the partitioned table; migration
        // 0061), index expressions included, with only pg_catalog on the path
        await using (var c = new NpgsqlCommand("SET search_path = pg_catalog; ANALYZE public.merged_shared; RESET search_path", conn))
            await c.ExecuteNonQueryAsync();
        await using var stats = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'merged_shared_tile_cell' OR (tablename = 'merged_shared' AND attname = 'change_seq')", conn);
        Assert.Equal(3L, (long)(await stats.ExecuteScalarAsync())!);   // the index's two cell expressions and change_seq
    }

    [Fact]
    public async Task restore_from_pg_dump_with_every_table_and_its_rows()
    {
        var dump = Path.Combine(Path.GetTempPath(), $"hub-dump-{Guid.NewGuid():N}.pgc");
        await using var target = await TestDatabase.CreateAsync();
        try
        {
            var (dumped, dumpErr) = await RunAsync("pg_dump", ["-Fc", "-f", dump], _hub.Db.ConnectionString);
            Assert.True(dumped == 0, dumpErr);
            var (restored, restoreErr) = await RunAsync("pg_restore", ["--no-owner", "-d", target.Name, dump], target.ConnectionString);
            Assert.True(restored == 0, $"pg_restore exited {restored}:\n{restoreErr}");

            string[] tables = ["feature", "feature_past", "merged_feature", "merged_feature_past", "tile_cell", "raw_document", "source"];
            foreach (var table in tables)
            {
                var before = await _hub.Db.ScalarAsync($"SELECT count(*) FROM {table}");
                Assert.True(before > 0, $"{table} is empty: the test holds nothing to restore");
                Assert.Equal((table, before), (table, await target.ScalarAsync($"SELECT count(*) FROM {table}")));
            }
            // the generated tile point and the cell index came back as the hub wrote them
            const string cells = "SELECT count(*) FROM merged_feature WHERE hub_tile_cell_x(tile_pt) = hub_tile_cell_x(hub_tile_point(geom))";
            Assert.Equal(await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature"), await target.ScalarAsync(cells));
        }
        finally
        {
            File.Delete(dump);
        }
    }

    /// <summary>A PostgreSQL client tool against the test cluster, as the database's owner (the tests' superuser).</summary>
    private static async Task<(int Exit, string Output)> RunAsync(string tool, string[] args, string connectionString)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        string[] connect = ["-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username!];
        var (exit, stdout, stderr) = await browser_map_should.RunAsync(Path.Combine(TestDatabase.PgBin, tool), Path.GetTempPath(),
            [.. connect, .. args, .. tool == "pg_dump" ? new[] { cs.Database! } : []]);
        return (exit, stderr + stdout);
    }
}
