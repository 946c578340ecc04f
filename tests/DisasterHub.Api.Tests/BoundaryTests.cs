using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;
using DisasterHub.Core.Checks;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Tests;

public sealed class boundary_import_should : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public Task DisposeAsync() => _db.DisposeAsync().AsTask();

    private async Task<int> Import(string sample)
    {
        var output = new StringWriter();
        var exit = await HubCli.ImportAsync(["boundaries", Samples.Path_(sample), "--db", _db.ConnectionString], output);
        Assert.Equal(0, exit);
        return int.Parse(output.ToString().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task load_n03_geojson_with_check_digits_and_one_row_per_municipality()
    {
        var n = await Import("boundaries/N03-21_210101_municipalities_s0001.geojson");
        Assert.Equal(1894, n); // 1,897 parts, three 所属未定地 without a code
        var nanao = await _db.RowsAsync("SELECT name, prefecture, ST_Contains(geom, ST_SetSRID(ST_MakePoint(136.96136, 37.04826), 4326)), ST_Contains(geom, point) FROM municipality_boundary WHERE code = '172022'");
        Assert.Equal("七尾市", nanao[0][0]);
        Assert.Equal("石川県", nanao[0][1]);
        Assert.Equal(true, nanao[0][2]);
        Assert.Equal(true, nanao[0][3]);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE NOT ST_IsValid(geom)"));
    }

    [Fact]
    public async Task load_the_same_municipalities_from_topojson()
    {
        var n = await Import("boundaries/N03-21_210101_municipalities_s0001.topojson");
        // 太地町 (304221) is a three-point sliver in this heavily simplified edition; TopoJSON's quantization
        // collapses it to a line, which is not an area, so it is left out rather than stored as a broken polygon.
        Assert.Equal(1893, n);
        Assert.Equal(0, await _db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE code = '304221'"));
        Assert.Equal("千代田区", (await _db.RowsAsync("SELECT name FROM municipality_boundary WHERE code = '131016'"))[0][0]);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE code = '172022' AND ST_Contains(geom, ST_SetSRID(ST_MakePoint(136.96136, 37.04826), 4326))"));
    }

    [Fact]
    public async Task give_code_located_records_the_imported_boundary()
    {
        await Import("boundaries/N03-21_13_tokyo_s0010.geojson");
        await using var ds = NpgsqlDataSource.Create(_db.ConnectionString);
        await using var conn = await ds.OpenConnectionAsync();
        using var set = new BoundarySet();
        var lookup = await set.CurrentAsync(conn, null, CancellationToken.None);
        var result = new ParseResult { Format = "test" };
        var located = new FeatureRecord { Layer = Layers.Warnings, SourceKey = "a", MunicipalityCode = "131016", LocatedByCode = true };
        var notByCode = new FeatureRecord { Layer = Layers.Shelters, SourceKey = "b", MunicipalityCode = "131016" };
        result.Records.AddRange([located, notByCode]);
        RecordChecks.Standard().Run(result, new CheckContext { Extent = ServiceExtent.Japan, ReceivedAt = DateTimeOffset.UtcNow, Boundaries = lookup });
        Assert.Equal("MultiPolygon", located.Geometry?.GeometryType);
        Assert.Equal("boundary", located.Attrs["location_precision"]?.GetValue<string>());
        // the imported s0010 千代田区 (not the embedded one): its area in PostGIS equals the record's
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM municipality_boundary WHERE code = '131016' AND abs(ST_Area(geom) - @a) < 1e-9", ("a", located.Geometry!.Area)));
        Assert.Null(notByCode.Geometry);
        Assert.Equal(new Rejection("b", "no usable location"), Assert.Single(result.Rejections));
    }

    [Fact]
    public async Task refuse_a_file_that_is_not_n03()
    {
        var tmp = Path.GetTempFileName();
        await File.WriteAllTextAsync(tmp, "{\"type\":\"Feature\"}");
        try
        {
            var exit = await HubCli.RunAsync(["import", "boundaries", tmp, "--db", _db.ConnectionString]);
            Assert.Equal(2, exit);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
