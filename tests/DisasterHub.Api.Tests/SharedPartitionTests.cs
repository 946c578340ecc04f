using System.Text;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 at national scale (migration 0060): small sources — a source per municipality — share one partition of
/// feature, and only a large first load gets a partition of its own. Every ingest looks features up across sources, and
/// a statement over a partition per source was planned over all of them (a 3-shelter push took 1.1 s beside 504).
/// </summary>
public sealed class shared_partition_should : IAsyncLifetime
{
    private const int Municipalities = 30;
    private HubServer _hub = null!;
    private string _cityKey = null!;
    private string _prefKey = null!;

    public async Task InitializeAsync()
    {
        // a first load of 25 rows or more takes the bulk path here; smaller sources share feature_shared
        var settings = TestSettings.AddPrefecturePusher(new() { ["Hub:OwnPartitionFromRows"] = "25" });
        for (var i = 0; i < Municipalities; i++)
        {
            settings[$"Hub:Sources:{40 + i}:Id"] = $"muni-{i:00}";
            settings[$"Hub:Sources:{40 + i}:Kind"] = "push";
            settings[$"Hub:Sources:{40 + i}:Format"] = "shelter-status-json";
            settings[$"Hub:Sources:{40 + i}:Layer"] = "shelters";
            settings[$"Hub:Sources:{40 + i}:OwnerOrg"] = "nanao-city";
        }
        _hub = await HubServer.StartAsync(settings);
        _cityKey = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
        _prefKey = await _hub.CreateKeyAsync("ishikawa-pref", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private static byte[] Doc(string prefix, int count) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{{string.Join(',', Enumerable.Range(0, count).Select(i =>
            $$$"""{"id":"{{{prefix}}}{{{i}}}","name":"共有試験{{{prefix}}}{{{i}}}","status":"開設","evacuees":5,"lat":{{{37.0 + i * 0.001:0.000}}},"lon":136.95}"""))}}]}""");

    private Task<long> Scalar(string sql, string source = "") => _hub.Db.ScalarAsync(sql, ("s", source));

    /// <summary>The partitions of feature besides the shared one.</summary>
    private Task<long> OwnPartitions() =>
        Scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'feature'::regclass AND inhrelid <> 'feature_shared'::regclass AND @s = ''");

    /// <summary>How many partitions hold the source's rows, and how many rows it has.</summary>
    private async Task<(long Partitions, long Rows)> Where(string source) =>
        (await Scalar("SELECT count(DISTINCT tableoid) FROM feature WHERE source_id = @s", source),
         await Scalar("SELECT count(*) FROM feature WHERE source_id = @s", source));

    [Fact]
    public async Task keep_small_sources_in_one_partition_and_give_a_large_first_load_its_own()
    {
        for (var i = 0; i < Municipalities; i++) await _hub.PushOkAsync($"muni-{i:00}", _cityKey, Doc($"M{i}-", 3));
        Assert.Equal(0L, await OwnPartitions());
        Assert.Equal(3L * Municipalities, await Scalar("SELECT count(*) FROM feature_shared WHERE @s = ''"));
        Assert.Equal(3L * Municipalities, await Scalar("SELECT count(*) FROM merged_feature WHERE name LIKE '共有試験M%' AND @s = ''"));

        // a large first load: its own partition, indexed after the load
        await _hub.PushOkAsync("pref-status", _prefKey, Doc("P", 30));
        Assert.Equal(1L, await OwnPartitions());
        Assert.Equal(30L, await Scalar("SELECT count(*) FROM feature WHERE source_id = @s AND tableoid = to_regclass(hub_feature_partition(@s))", "pref-status"));

        // a source that started small stays in the shared partition when it grows; the large one upserts into its own
        await _hub.PushOkAsync("muni-00", _cityKey, Doc("M0-", 40));
        await _hub.PushOkAsync("pref-status", _prefKey, Doc("P", 31));
        Assert.Equal((1L, 40L), await Where("muni-00"));
        Assert.Equal(40L, await Scalar("SELECT count(*) FROM feature_shared WHERE source_id = @s", "muni-00"));
        Assert.Equal((1L, 31L), await Where("pref-status"));
        Assert.Equal(1L, await OwnPartitions());
    }

    [Fact]
    public async Task never_split_a_source_between_two_partitions_when_a_small_and_a_large_first_load_race()
    {
        // the small one writes to the shared partition under the source's lock held shared; the large one creates the
        // source's partition only holding it exclusively, and none once the shared partition has the source's rows
        await Task.WhenAll(
            _hub.PushOkAsync("nanao-status", _cityKey, Doc("S", 3)),
            _hub.PushOkAsync("nanao-status", _cityKey, Doc("L", 30)),
            _hub.PushOkAsync("pref-status", _prefKey, Doc("L", 30)),
            _hub.PushOkAsync("pref-status", _prefKey, Doc("S", 3)));
        Assert.Equal((1L, 33L), await Where("nanao-status"));
        Assert.Equal((1L, 33L), await Where("pref-status"));
        // and each of them keeps writing to that one partition
        await _hub.PushOkAsync("nanao-status", _cityKey, Doc("L", 31));
        await _hub.PushOkAsync("pref-status", _prefKey, Doc("S", 4));
        Assert.Equal((1L, 34L), await Where("nanao-status"));
        Assert.Equal((1L, 34L), await Where("pref-status"));
    }
}
