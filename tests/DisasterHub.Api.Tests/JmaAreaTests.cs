using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Area-coded JMA telegrams through the real push path into PostGIS: 津波予報区 on their coasts, 地震情報／細分区域 on
/// their polygons, and 取消 retracting what it cancels through the normal upsert and merge.
/// </summary>
public sealed class jma_areas_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync(new()
        {
            // JMA pushes nationally: its jurisdiction is a service area covering Japan (area records claim no municipality)
            ["Hub:Organizations:10:Id"] = "jma",
            ["Hub:Organizations:10:Name"] = "気象庁",
            ["Hub:Organizations:10:Kind"] = "national",
            ["Hub:Organizations:10:ServiceArea"] = """{"type":"Polygon","coordinates":[[[122,20],[154,20],[154,46],[122,46],[122,20]]]}""",
            ["Hub:Sources:20:Id"] = "jma-tsunami",
            ["Hub:Sources:20:Kind"] = "push",
            ["Hub:Sources:20:Format"] = "jma-vtse",
            ["Hub:Sources:20:Layer"] = "warnings",
            ["Hub:Sources:20:OwnerOrg"] = "jma",
            ["Hub:Sources:21:Id"] = "jma-quake",
            ["Hub:Sources:21:Kind"] = "push",
            ["Hub:Sources:21:Format"] = "jma-vxse",
            ["Hub:Sources:21:Layer"] = "sensors",
            ["Hub:Sources:21:OwnerOrg"] = "jma",
        });
        _key = await _hub.CreateKeyAsync("jma", "push:warnings", "push:sensors");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    private async Task<JsonElement> Push(string source, byte[] doc, int accepted, int rejected)
    {
        var r = await _hub.PushAsync(source, _key, doc, "application/xml");
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.True(json.GetProperty("accepted").GetInt32() == accepted && json.GetProperty("rejected").GetInt32() == rejected, body);
        return json;
    }

    private static byte[] Noto(string infoType, string reportTime = "2026-11-22T09:05:00+09:00") => Encoding.UTF8.GetBytes($"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
          <Control><Title>津波警報・注意報・予報a</Title><DateTime>2026-11-22T00:05:00Z</DateTime><Status>通常</Status>
            <EditorialOffice>気象庁本庁</EditorialOffice><PublishingOffice>気象庁</PublishingOffice></Control>
          <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/">
            <Title>{(infoType == "取消" ? "津波警報・注意報・予報" : "大津波警報・津波警報・津波注意報")}</Title>
            <ReportDateTime>{reportTime}</ReportDateTime><TargetDateTime>{reportTime}</TargetDateTime>
            <EventID>20261122090100</EventID><InfoType>{infoType}</InfoType><Serial></Serial>
            <InfoKind>津波警報・注意報・予報</InfoKind><InfoKindVersion>1.0_1</InfoKindVersion>
            <Headline><Text>架空の津波警報です。</Text></Headline>
          </Head>
          <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/seismology1/" xmlns:jmx_eb="http://xml.kishou.go.jp/jmaxml1/elementBasis1/">
            {(infoType == "取消" ? "<Text>先ほどの津波警報を取り消します。</Text>" : """
            <Tsunami><Forecast>
              <Item><Area><Name>石川県能登</Name><Code>360</Code></Area>
                <Category><Kind><Name>大津波警報</Name><Code>52</Code></Kind></Category>
                <FirstHeight><Condition>ただちに津波来襲と予測</Condition></FirstHeight>
                <MaxHeight><jmx_eb:TsunamiHeight type="津波の高さ" unit="m" description="５ｍ">5</jmx_eb:TsunamiHeight></MaxHeight></Item>
              <Item><Area><Name>石川県加賀</Name><Code>361</Code></Area>
                <Category><Kind><Name>津波警報</Name><Code>51</Code></Kind></Category>
                <FirstHeight><ArrivalTime>2026-11-22T09:30:00+09:00</ArrivalTime></FirstHeight>
                <MaxHeight><jmx_eb:TsunamiHeight type="津波の高さ" unit="m" description="３ｍ">3</jmx_eb:TsunamiHeight></MaxHeight></Item>
              <Item><Area><Name>富山県</Name><Code>350</Code></Area>
                <Category><Kind><Name>津波注意報</Name><Code>62</Code></Kind></Category></Item>
            </Forecast></Tsunami>
            """)}
          </Body>
        </Report>
        """);

    [Fact]
    public async Task place_tsunami_areas_on_their_coasts_and_retract_them_on_cancellation()
    {
        await Push("jma-tsunami", Samples.Bytes("jma-xml/38-39_02_04_250206_VTSE41.xml"), 3, 0);
        await Push("jma-tsunami", Noto("発表"), 3, 0);

        var rows = await _hub.Db.RowsAsync("""
            SELECT entity_key, name, status, severity, municipality_code, ST_GeometryType(geom), attrs->>'grade',
                   ST_Within(geom, ST_MakeEnvelope(136.0, 36.0, 137.8, 37.8, 4326)), attrs->>'first_wave_arrival'
            FROM merged_feature WHERE layer = 'warnings' ORDER BY entity_key
            """);
        Assert.Equal(["jma-tsunami:350", "jma-tsunami:360", "jma-tsunami:361", "jma-tsunami:771", "jma-tsunami:772", "jma-tsunami:773"], rows.Select(r => (string)r[0]!));
        var noto = rows[1];
        Assert.Equal(("石川県能登", "大津波警報", 3), ((string)noto[1]!, (string)noto[2]!, Convert.ToInt32(noto[3], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Null(noto[4]); // no municipality claimed
        Assert.Equal("ST_MultiLineString", noto[5]);
        Assert.Equal("大津波警報", noto[6]);
        Assert.True((bool)noto[7]!);
        Assert.Equal("2026-11-22T00:30:00Z", rows[2][8]);
        Assert.All(rows.Skip(3), r => Assert.Equal(("津波注意報解除", "解除", (short)0), ((string)r[2]!, (string)r[6]!, (short)r[3]!)));
        Assert.All(rows.Skip(3), r => Assert.False((bool)r[7]!));
        Assert.Equal(6, await _hub.Db.ScalarAsync("SELECT count(DISTINCT ST_AsBinary(geom)) FROM merged_feature WHERE layer = 'warnings'"));

        // the map reads them through OGC API Features like every warning
        var fc = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_warnings/items?bbox=136.0,36.0,137.8,37.8")).RootElement;
        var features = fc.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(3, features.Count);
        Assert.All(features, f => Assert.Contains("LineString", f.GetProperty("geometry").GetProperty("type").GetString(), StringComparison.Ordinal));

        // 取消 names only the event: every stored record of that event is retracted; the Kagoshima event stays
        await Push("jma-tsunami", Noto("取消", "2026-11-22T09:10:00+09:00"), 3, 0);
        var after = await _hub.Db.RowsAsync("SELECT entity_key, status, severity, attrs->>'info_type', ST_GeometryType(geom) FROM merged_feature WHERE layer = 'warnings' ORDER BY entity_key");
        Assert.Equal(6, after.Count);
        Assert.All(after.Take(3), r => Assert.Equal(("取消", (short)0, "取消"), ((string)r[1]!, (short)r[2]!, (string)r[3]!)));
        Assert.Equal("ST_MultiLineString", after[1][4]); // still on its coast, now inactive
        Assert.All(after.Skip(3), r => Assert.Equal("津波注意報解除", r[1]));
        Assert.Equal(0, await _hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE layer = 'warnings' AND severity > 0"));
        // the retraction is history, not an overwrite: the 発表 version is kept
        Assert.Equal(2, await _hub.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_key = 'tsunami:360'"));
    }

    [Fact]
    public async Task give_each_intensity_area_its_polygon_and_retract_the_event_on_cancellation()
    {
        var flash = Samples.Bytes("jma-xml/32-35_04_01_100831_VXSE51.xml");
        await Push("jma-quake", flash, 5, 0);
        var rows = await _hub.Db.RowsAsync("""
            SELECT entity_key, name, status, municipality_code, ST_GeometryType(geom),
                   CASE WHEN attrs->>'prefecture_code' = '460001' THEN ST_Within(geom, ST_MakeEnvelope(128.3, 26.9, 131.4, 32.4, 4326))
                        ELSE ST_Within(geom, ST_MakeEnvelope(130.6, 31.3, 131.95, 32.9, 4326)) END, attrs->>'prefecture_code'
            FROM merged_feature WHERE layer = 'sensors' ORDER BY entity_key
            """);
        Assert.Equal(["jma-seis-area:762", "jma-seis-area:763", "jma-seis-area:770", "jma-seis-area:771", "jma-seis-area:776"], rows.Select(r => (string)r[0]!));
        Assert.Equal(["宮崎県南部平野部", "宮崎県南部山沿い", "鹿児島県薩摩", "鹿児島県大隅", "鹿児島県種子島"], rows.Select(r => (string)r[1]!));
        Assert.Equal(["震度3", "震度3", "震度3", "震度4", "震度4"], rows.Select(r => (string)r[2]!));
        Assert.All(rows, r => Assert.Null(r[3]));
        Assert.All(rows, r => Assert.Contains((string)r[4]!, new[] { "ST_Polygon", "ST_MultiPolygon" }));
        Assert.All(rows, r => Assert.True((bool)r[5]!, $"{r[1]} outside its prefecture's box")); // 鹿児島県 / 宮崎県
        Assert.Equal(["450006", "450006", "460001", "460001", "460001"], rows.Select(r => (string)r[6]!));
        // distinct polygons that do not overlap
        Assert.Equal(0, await _hub.Db.ScalarAsync("""
            SELECT count(*) FROM merged_feature a JOIN merged_feature b ON a.entity_key < b.entity_key
            WHERE a.layer = 'sensors' AND b.layer = 'sensors' AND ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-6
            """));

        var cancel = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(flash)
            .Replace("<InfoType>発表</InfoType>", "<InfoType>取消</InfoType>", StringComparison.Ordinal));
        await Push("jma-quake", cancel, 5, 0);
        var after = await _hub.Db.RowsAsync("SELECT status, severity, ST_GeometryType(geom) FROM merged_feature WHERE layer = 'sensors'");
        Assert.Equal(5, after.Count);
        Assert.All(after, r => Assert.Equal(("取消", (short)0), ((string)r[0]!, (short)r[1]!)));
        Assert.All(after, r => Assert.Contains("Polygon", (string)r[2]!, StringComparison.Ordinal));
    }
}
