using DisasterHub.Api.Tests.Infrastructure;
using System.Text.Json;

namespace DisasterHub.Api.Tests;

/// <summary>`./hub validate` on every real shelter sample: offline, no database.</summary>
public sealed class validate_command_should
{
    public static TheoryData<string> ShelterSamples()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "shelters-gsi", "shelters-digital-agency" })
            foreach (var f in Directory.GetFiles(Path.Combine(Samples.Dir, dir)).Order())
                data.Add(Path.Combine(dir, Path.GetFileName(f)));
        return data;
    }

    private static (int Exit, JsonElement Json) Run(params string[] args)
    {
        var sw = new StringWriter();
        var exit = HubCli.Validate(args, sw);
        return (exit, JsonDocument.Parse(sw.ToString()).RootElement);
    }

    [Theory]
    [MemberData(nameof(ShelterSamples))]
    public void accept_rows_from_every_shelter_sample(string sample)
    {
        var (exit, json) = Run(Samples.Path_(sample));
        Assert.Equal(0, exit);
        Assert.True(json.GetProperty("accepted").GetInt32() > 0, json.ToString());
        Assert.StartsWith(sample.Contains("gsi", StringComparison.Ordinal) ? "gsi-" : "da-", json.GetProperty("format").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void exit_2_for_an_unknown_format_or_unreadable_file()
    {
        var tmp = Path.GetTempFileName();
        File.WriteAllText(tmp, "this is not a feed\n");
        try
        {
            Assert.Equal(2, Run(tmp).Exit);
            Assert.Equal(2, Run(tmp + ".missing").Exit);
            Assert.Equal(2, Run(tmp, "--format", "no-such-format").Exit);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    [Fact]
    public void report_rejections_with_their_location()
    {
        var tmp = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(tmp, "ID,名称,所在地_全国地方公共団体コード,緯度,経度\nA,よい,172022,37.04,136.96\nB,わるい,172022,,\n");
        try
        {
            var (exit, json) = Run(tmp, "--format", "da-shelter-csv");
            Assert.Equal(0, exit);
            Assert.Equal(1, json.GetProperty("accepted").GetInt32());
            Assert.Equal("line 3", json.GetProperty("rejections")[0].GetProperty("at").GetString());
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static (int Exit, JsonElement Json) RunCsv(string rows, params string[] extra)
    {
        var tmp = Path.Combine(Path.GetTempPath(), $"rows-{Guid.NewGuid():N}.csv");
        File.WriteAllText(tmp, "ID,名称,所在地_全国地方公共団体コード,緯度,経度,想定収容人数\n" + rows);
        try
        {
            return Run([tmp, "--format", "da-shelter-csv", .. extra]);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    [Fact]
    public void print_the_normalized_records_it_would_store_as_geojson()
    {
        var (exit, json) = Run(Samples.Path_("shelters-digital-agency/nanao-open_shelter_2024-01-09-1800.csv"), "--records");
        Assert.Equal(0, exit);
        Assert.Equal("FeatureCollection", json.GetProperty("type").GetString());
        var features = json.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(json.GetProperty("accepted").GetInt32(), features.Count);
        Assert.True(features.Count > 10, json.GetProperty("accepted").ToString());
        var f = features[0];
        Assert.Equal("Point", f.GetProperty("geometry").GetProperty("type").GetString());
        var lon = f.GetProperty("geometry").GetProperty("coordinates")[0].GetDouble();
        var lat = f.GetProperty("geometry").GetProperty("coordinates")[1].GetDouble();
        Assert.InRange(lon, 136.7, 137.2);
        Assert.InRange(lat, 36.9, 37.3);
        var p = f.GetProperty("properties");
        Assert.Equal("shelters", p.GetProperty("layer").GetString());
        Assert.Equal("172022", p.GetProperty("municipality_code").GetString());
        Assert.Equal(f.GetProperty("id").GetString(), p.GetProperty("source_key").GetString());
        foreach (var field in new[] { "entity_key", "name", "status", "observed_at", "classification", "source_crs", "attrs" })
            Assert.True(p.TryGetProperty(field, out _), field);
        Assert.Equal(JsonValueKind.Number, p.GetProperty("attrs").GetProperty("evacuees").ValueKind);
    }

    [Fact]
    public void reject_a_shelter_at_tokyo_station_claiming_nanao_offline_as_the_hub_does()
    {
        var (exit, json) = RunCsv("A,七尾の避難所,172022,37.04826,136.96136,100\nB,東京駅,172022,35.6812,139.7671,100\n");
        Assert.Equal(0, exit);
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        var rejection = json.GetProperty("rejections")[0];
        Assert.Equal("line 3", rejection.GetProperty("at").GetString());
        var reason = rejection.GetProperty("reason").GetString()!;
        Assert.Contains("172022 七尾市", reason, StringComparison.Ordinal);
        Assert.Contains("131016 千代田区", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void test_the_japan_extent_against_the_outline_not_a_rectangle()
    {
        var (_, json) = RunCsv(string.Join("\n",
            "seoul,ソウル,172022,37.5665,126.9780,1",
            "vladivostok,ウラジオストク,172022,43.1155,131.8855,1",
            "pacific,太平洋,134210,30.0,150.0,1",
            "minamitori,南鳥島,134210,24.2867,153.9811,1",
            "okinotori,沖ノ鳥島,134210,20.4253,136.0819,1",
            "yonaguni,与那国,473821,24.4600,122.9400,1",
            "hegura,舳倉島,172049,37.8500,136.9180,1") + "\n");
        var reasons = json.GetProperty("rejections").EnumerateArray().ToDictionary(r => r.GetProperty("at").GetString()!, r => r.GetProperty("reason").GetString()!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["line 2"] = "outside service extent",
            ["line 3"] = "outside service extent",
            ["line 4"] = "outside service extent",
        }, reasons);
        Assert.Equal(4, json.GetProperty("accepted").GetInt32()); // 南鳥島, 沖ノ鳥島, 与那国, 舳倉島
    }

    [Fact]
    public void report_duplicate_ids_once_in_one_wording()
    {
        var (_, json) = RunCsv("A,一,172022,37.04826,136.96136,1\nA,二,172022,37.04826,136.96136,1\n");
        Assert.Equal(1, json.GetProperty("accepted").GetInt32());
        Assert.Equal("duplicate id 'A' (first at line 2)", json.GetProperty("rejections")[0].GetProperty("reason").GetString());
    }
}
