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
}
