using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Core;

namespace DisasterHub.Api.Tests;

/// <summary>
/// A hub with sharing rules that put every level to work, one pushed feature per layer carrying classified attributes
/// with sentinel values (and personal data that must never be kept), and the callers of every level. Answers are
/// fetched once per (caller, URL) and shared by the cells of the matrix.
/// </summary>
public sealed class MatrixHub : IAsyncLifetime
{
    /// <summary>Layer levels for this hub: two public, two responders, one restricted, and power at responders.</summary>
    public static readonly Dictionary<string, string> LayerLevels = new()
    {
        [Layers.Shelters] = Classifications.Public,
        [Layers.EvacuationOrders] = Classifications.Public,
        [Layers.Warnings] = Classifications.Responders,
        [Layers.Sensors] = Classifications.Restricted,
        [Layers.Damage] = Classifications.Responders,
        [Layers.PowerOutages] = Classifications.Responders,
    };

    /// <summary>Classified attributes per layer: (attribute, level, sentinel value that appears nowhere else).</summary>
    public static readonly Dictionary<string, (string Attr, string Level, string Sentinel)[]> ClassifiedAttrs = new()
    {
        [Layers.Shelters] = [("phone", Classifications.Responders, "MXSENT-PHONE"), ("notes", Classifications.Responders, "MXSENT-SHELTER-NOTES"), ("residents", Classifications.Restricted, "")],
        [Layers.Damage] = [("reporter", Classifications.Responders, "MXSENT-REPORTER"), ("notes", Classifications.Restricted, "MXSENT-DAMAGE-NOTES")],
        [Layers.PowerOutages] = [("obstacles", Classifications.Responders, "MXSENT-OBSTACLES"), ("grid_map", Classifications.Restricted, "MXSENT-GRIDMAP")],
    };

    /// <summary>Personal data sent in the shelter push: must not be stored in any feature row nor leave on any path.</summary>
    public const string PersonalSentinel = "MXSENT-PERSON";

    /// <summary>The last push (a public shelter): an event stream has delivered everything once it delivers this.</summary>
    public const string EndMarker = "MX-END";

    public static readonly string[] Callers = ["anonymous", "push-only key", "read:public", "read:responders", "read:restricted"];

    public HubServer Hub { get; private set; } = null!;
    public Dictionary<string, string?> Tokens { get; } = [];
    public DateTimeOffset BeforePushes { get; private set; }
    public DateTimeOffset AfterPushes { get; private set; }
    public Dictionary<string, (Guid MergedId, double Lon, double Lat)> Placed { get; } = [];

    private readonly ConcurrentDictionary<string, Task<(HttpStatusCode, byte[])>> _answers = new();
    private readonly ConcurrentDictionary<string, Task<string>> _streams = new();

    public async Task InitializeAsync()
    {
        var s = new Dictionary<string, string?>();
        foreach (var (layer, level) in LayerLevels) s[$"Hub:Classification:Layers:{layer}"] = level;
        foreach (var (layer, attrs) in ClassifiedAttrs)
            foreach (var (attr, level, _) in attrs) s[$"Hub:Classification:Attributes:{layer}:{attr}"] = level;
        s["Hub:RateLimit:ReadPerSecond"] = "100000";
        s["Hub:RateLimit:ReadBurst"] = "100000";
        TestSettings.AddPushSources(s, 20, "authorization matrix",
            ("mx-evac", "cap", Layers.EvacuationOrders), ("mx-warnings", "jma-vpww", Layers.Warnings),
            ("mx-sensors", "sensorthings", Layers.Sensors), ("mx-damage", "fdma-damage-json", Layers.Damage),
            ("mx-power", "power-push-json", Layers.PowerOutages));
        Hub = await HubServer.StartAsync(s);

        var pusher = await Hub.CreateKeyAsync("nanao-city", "push:shelters", "push:evacuation_orders", "push:warnings", "push:sensors", "push:damage", "push:power_outages");
        Tokens["anonymous"] = null;
        Tokens["push-only key"] = await Hub.CreateKeyAsync("nanao-city", "push:shelters");
        foreach (var level in new[] { "read:public", "read:responders", "read:restricted" }) Tokens[level] = await Hub.CreateKeyAsync("hub-operator", level);

        BeforePushes = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var (source, body, contentType) in Documents())
        {
            var r = await Hub.PushAsync(source, pusher, Encoding.UTF8.GetBytes(body), contentType);
            var text = await r.Content.ReadAsStringAsync();
            if (r.StatusCode != HttpStatusCode.OK || JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32() != 1)
                throw new InvalidOperationException($"matrix set-up push to {source} failed: {(int)r.StatusCode} {text}");
        }
        await Task.Delay(50);
        AfterPushes = DateTimeOffset.UtcNow;

        foreach (var row in await Hub.Db.RowsAsync(
                     "SELECT layer, id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM merged_feature WHERE name IS DISTINCT FROM @end",
                     ("end", EndMarker)))
            Placed[(string)row[0]!] = ((Guid)row[1]!, (double)row[2]!, (double)row[3]!);
        if (Placed.Count != LayerLevels.Count) throw new InvalidOperationException($"expected one merged feature per layer, got {string.Join(',', Placed.Keys)}");
    }

    public Task DisposeAsync() => Hub.DisposeAsync().AsTask();

    private static IEnumerable<(string Source, string Body, string ContentType)> Documents()
    {
        yield return ("nanao-status", $$"""
            {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
              {"id":"MX-S1","name":"行列試験避難所","status":"開設","evacuees":42,"capacity":100,"residents":7,
               "phone":"MXSENT-PHONE","notes":"MXSENT-SHELTER-NOTES","evacuee_names":["{{PersonalSentinel}} 山田太郎"],
               "contact_person":"{{PersonalSentinel}} 担当者","lat":37.04826,"lon":136.96136}]}
            """, "application/json");
        yield return ("mx-evac", """
            <?xml version="1.0" encoding="UTF-8"?>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
              <identifier>MX-CAP-1</identifier><sender>alerts@example.invalid</sender><sent>2026-11-22T09:00:00+09:00</sent>
              <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
              <info><category>Met</category><event>避難指示</event><urgency>Immediate</urgency><severity>Severe</severity>
                <certainty>Observed</certainty><headline>行列試験 避難指示</headline>
                <area><areaDesc>七尾市</areaDesc><geocode><valueName>jisX0402</valueName><value>17202</value></geocode></area></info>
            </alert>
            """, "application/xml");
        yield return ("mx-warnings", """
            <?xml version="1.0" encoding="UTF-8"?>
            <Report xmlns="http://xml.kishou.go.jp/jmaxml1/">
              <Control><Title>気象特別警報・警報・注意報</Title><DateTime>2026-11-22T00:00:30Z</DateTime><Status>通常</Status>
                <EditorialOffice>架空地方気象台</EditorialOffice><PublishingOffice>架空地方気象台</PublishingOffice></Control>
              <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>行列試験</Title>
                <ReportDateTime>2026-11-22T09:00:00+09:00</ReportDateTime><TargetDateTime>2026-11-22T09:00:00+09:00</TargetDateTime>
                <EventID>MX-W</EventID><InfoType>発表</InfoType><Serial/><InfoKind>気象警報・注意報</InfoKind><InfoKindVersion>1.1_0</InfoKindVersion>
                <Headline><Text>架空</Text></Headline></Head>
              <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
                <Warning type="気象警報・注意報（市町村等）"><Item><Kind><Name>大雨警報</Name><Code>03</Code><Status>発表</Status></Kind>
                  <Area><Name>七尾市</Name><Code>1720200</Code></Area></Item></Warning>
              </Body>
            </Report>
            """, "application/xml");
        yield return ("mx-sensors", """
            {"value":[{"@iot.id":901,"name":"行列試験 水位観測所",
              "properties":{"municipality_code":"172022","flood_levels":{"caution":2.0,"warning":2.5,"critical":3.0}},
              "Locations":[{"@iot.id":902,"name":"観測所","encodingType":"application/geo+json","location":{"type":"Point","coordinates":[136.95,37.05]}}],
              "Datastreams":[{"@iot.id":903,"name":"行列試験 水位","unitOfMeasurement":{"name":"metre","symbol":"m"},"ObservedProperty":{"name":"Water Level"},
                "Observations":[{"@iot.id":904,"phenomenonTime":"2026-11-22T09:00:00+09:00","result":2.7}]}]}]}
            """, "application/json");
        yield return ("mx-damage", """
            {"report_no":1,"reported_at":"2026-11-22T10:00:00+09:00","reporter":"MXSENT-REPORTER","disaster_name":"行列試験",
             "municipalities":[{"municipality_code":"172022","municipality_name":"七尾市","deaths":3,"missing":1,"notes":"MXSENT-DAMAGE-NOTES"}]}
            """, "application/json");
        yield return ("mx-power", """
            {"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"MX-P1","municipality_code":"172022","name":"七尾市",
              "customers_out":1500,"customers_served":30000,"obstacles":"MXSENT-OBSTACLES","grid_map":"MXSENT-GRIDMAP"}]}
            """, "application/json");
        yield return ("nanao-status", $$"""
            {"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[
              {"id":"MX-END","name":"{{EndMarker}}","status":"開設","evacuees":1,"lat":37.05,"lon":136.97}]}
            """, "application/json");
    }

    public Task<(HttpStatusCode Status, byte[] Body)> GetAsync(string caller, string url) =>
        _answers.GetOrAdd($"{caller}|{url}", _ => Fetch(caller, url));

    private async Task<(HttpStatusCode, byte[])> Fetch(string caller, string url)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (Tokens[caller] is { } token) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var resp = await Hub.Http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The data lines of an event stream, read until the end marker arrives (everything before it has).</summary>
    public Task<string> StreamAsync(string caller, string query) => _streams.GetOrAdd($"{caller}|{query}", _ => ReadStream(caller, query));

    private async Task<string> ReadStream(string caller, string query)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events?" + query);
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (Tokens[caller] is { } token) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var sse = new HttpClient { BaseAddress = Hub.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var resp = await sse.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        resp.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync(cts.Token));
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            data.AppendLine(line[6..]);
            if (line.Contains($"\"name\":\"{EndMarker}\"", StringComparison.Ordinal) || line.Contains($"\"name\" : \"{EndMarker}\"", StringComparison.Ordinal)) return data.ToString();
        }
        throw new InvalidOperationException($"event stream {query} for {caller} ended before the end marker");
    }
}

/// <summary>
/// DESIGN §4 / issue 5: every cell of (caller level × layer × read path) is checked. A layer is visible exactly when
/// the caller's level reaches the layer's; a classified attribute appears exactly when the caller's level reaches the
/// attribute's; personal data appears for nobody. Checks look at the whole answer (provenance and conflicts
/// included), not only at the attributes object.
/// </summary>
public sealed class authorization_matrix_should(MatrixHub m) : IClassFixture<MatrixHub>
{
    public static readonly string[] Paths =
    [
        "ogc items (per source)", "ogc items (merged)", "ogc item by id", "ogc collection extent",
        "ogc items as of (per source)", "ogc items as of (merged)", "roll-up", "roll-up as of",
        "tile (layer)", "tile (merged)", "tile as of", "tile clustered (z6)", "events (live)", "events (history)",
    ];

    public static IEnumerable<object[]> Cells() =>
        from caller in MatrixHub.Callers
        from layer in MatrixHub.LayerLevels.Keys
        from path in Paths
        select new object[] { caller, layer, path };

    private static int Rank(string caller) => caller switch
    {
        "read:responders" => 1,
        "read:restricted" => 2,
        _ => 0,
    };

    private static bool Allowed(string caller, string level) => Rank(caller) >= ClassificationPolicy.Rank(level);

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task show_each_layer_and_attribute_only_to_callers_cleared_for_it(string caller, string layer, string path)
    {
        var layerVisible = Allowed(caller, MatrixHub.LayerLevels[layer]);
        var (seen, text, carriesAttrs) = await Read(caller, layer, path);

        Assert.True(seen == layerVisible, $"{caller} × {layer} × {path}: layer {(seen ? "shown" : "hidden")}, expected {(layerVisible ? "shown" : "hidden")}");
        Assert.DoesNotContain(MatrixHub.PersonalSentinel, text, StringComparison.Ordinal);
        foreach (var (attr, level, sentinel) in MatrixHub.ClassifiedAttrs.GetValueOrDefault(layer) ?? [])
        {
            var expected = layerVisible && carriesAttrs && Allowed(caller, level);
            if (sentinel.Length > 0)
                Assert.True(text.Contains(sentinel, StringComparison.Ordinal) == expected, $"{caller} × {layer} × {path}: attribute {attr} ({level}) {(expected ? "missing" : "leaked")}");
            else if (carriesAttrs && layerVisible)
                Assert.True(text.Contains($"\"{attr}\"", StringComparison.Ordinal) == expected, $"{caller} × {layer} × {path}: attribute {attr} ({level}) {(expected ? "missing" : "leaked")}");
            else
                Assert.DoesNotContain($"\"{attr}\"", text, StringComparison.Ordinal);
        }
    }

    /// <summary>Whether the path shows the layer's feature to the caller, the answer as text, and whether the path carries attributes.</summary>
    private async Task<(bool Seen, string Text, bool CarriesAttrs)> Read(string caller, string layer, string path)
    {
        var placed = m.Placed[layer];
        var asOf = Uri.EscapeDataString(m.AfterPushes.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        switch (path)
        {
            case "ogc items (per source)": return await Items(caller, $"/ogc/collections/{layer}/items?limit=1000", layer);
            case "ogc items (merged)": return await Items(caller, $"/ogc/collections/merged_{layer}/items?limit=1000", layer);
            case "ogc items as of (per source)": return await Items(caller, $"/ogc/collections/{layer}/items?limit=1000&datetime={asOf}", layer);
            case "ogc items as of (merged)": return await Items(caller, $"/ogc/collections/merged_{layer}/items?limit=1000&datetime={asOf}", layer);
            case "ogc item by id":
            {
                var (status, body) = await m.GetAsync(caller, $"/ogc/collections/merged_{layer}/items/{placed.MergedId}");
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"item by id: {(int)status}");
                return (status == HttpStatusCode.OK, Encoding.UTF8.GetString(body), true);
            }
            case "ogc collection extent":
            {
                var (status, body) = await m.GetAsync(caller, $"/ogc/collections/merged_{layer}");
                Assert.Equal(HttpStatusCode.OK, status);
                var bbox = JsonDocument.Parse(body).RootElement.GetProperty("extent").GetProperty("spatial").GetProperty("bbox")[0];
                var whole = bbox[0].GetDouble() == 122.0 && bbox[2].GetDouble() == 154.0; // the service extent: nothing visible
                return (!whole, Encoding.UTF8.GetString(body), false);
            }
            case "roll-up": return await Rollup(caller, "/ogc/collections/municipalities/items?limit=1000", layer);
            case "roll-up as of": return await Rollup(caller, $"/ogc/collections/municipalities/items?limit=1000&datetime={asOf}", layer);
            case "tile (layer)": return await Tile(caller, $"/tiles/{layer}", 14, placed, "", layer);
            case "tile (merged)": return await Tile(caller, "/tiles/merged", 14, placed, "", layer);
            case "tile as of": return await Tile(caller, "/tiles/merged", 14, placed, $"?at={asOf}", layer);
            case "tile clustered (z6)": return await Tile(caller, "/tiles/merged", 6, placed, "", layer);
            case "events (live)": return Events(await m.StreamAsync(caller, "since=0"), layer);
            case "events (history)":
                return Events(await m.StreamAsync(caller, "at=" + Uri.EscapeDataString(m.BeforePushes.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))), layer);
            default: throw new ArgumentOutOfRangeException(nameof(path), path, null);
        }
    }

    private async Task<(bool, string, bool)> Items(string caller, string url, string layer)
    {
        var (status, body) = await m.GetAsync(caller, url);
        Assert.Equal(HttpStatusCode.OK, status);
        var features = JsonDocument.Parse(body).RootElement.GetProperty("features").EnumerateArray()
            .Where(f => f.GetProperty("properties").GetProperty("layer").GetString() == layer && f.GetProperty("properties").GetProperty("name").ToString() != MatrixHub.EndMarker)
            .ToList();
        return (features.Count > 0, Encoding.UTF8.GetString(body), true);
    }

    private async Task<(bool, string, bool)> Rollup(string caller, string url, string layer)
    {
        var (status, body) = await m.GetAsync(caller, url);
        Assert.Equal(HttpStatusCode.OK, status);
        var nanao = JsonDocument.Parse(body).RootElement.GetProperty("features").EnumerateArray()
            .Single(f => f.GetProperty("properties").GetProperty("municipality_code").GetString() == "172022").GetProperty("properties");
        var seen = layer switch
        {
            Layers.Shelters => nanao.GetProperty("evacuees").GetInt32() == 42 + 1, // the end marker's 1 is public as well
            Layers.EvacuationOrders => nanao.GetProperty("active_evacuation_orders").GetInt32() > 0,
            Layers.Warnings => nanao.GetProperty("active_warnings").GetInt32() > 0,
            Layers.Sensors => nanao.GetProperty("worst_sensor_severity").ValueKind == JsonValueKind.Number,
            Layers.Damage => nanao.GetProperty("damage_reports").GetInt32() > 0 && nanao.GetProperty("deaths").GetInt32() == 3,
            Layers.PowerOutages => nanao.GetProperty("customers_out").GetInt32() == 1500,
            _ => throw new ArgumentOutOfRangeException(nameof(layer)),
        };
        return (seen, Encoding.UTF8.GetString(body), false);
    }

    private async Task<(bool, string, bool)> Tile(string caller, string prefix, int z, (Guid, double Lon, double Lat) at, string query, string layer)
    {
        var (x, y) = TestSettings.TileOf(at.Lon, at.Lat, z);
        var (status, body) = await m.GetAsync(caller, $"{prefix}/{z}/{x}/{y}.mvt{query}");
        Assert.Equal(HttpStatusCode.OK, status);
        var layers = MvtReader.Read(body);
        var text = string.Join('\n', layers.SelectMany(l => l.Keys.Select(k => $"\"{k}\"").Concat(l.StringValues)));
        return (layers.Any(l => l.Name == layer && l.Features > 0), text, false);
    }

    private static (bool, string, bool) Events(string stream, string layer)
    {
        var lines = stream.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("properties"))
            .Where(p => p.GetProperty("layer").GetString() == layer && p.GetProperty("name").ToString() != MatrixHub.EndMarker)
            .ToList();
        return (lines.Count > 0, stream, true);
    }

    [Fact]
    public async Task keep_no_personal_data_in_any_stored_feature()
    {
        foreach (var table in new[] { "feature", "feature_version", "merged_feature", "merged_feature_version" })
            Assert.Equal(0, await m.Hub.Db.ScalarAsync($"SELECT count(*) FROM {table} WHERE attrs::text LIKE '%' || @p || '%'", ("p", MatrixHub.PersonalSentinel)));
        // the classified attributes themselves are kept (filtered on the way out, not thrown away)
        Assert.Equal(1, await m.Hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE attrs ->> 'grid_map' = 'MXSENT-GRIDMAP'"));
        Assert.Equal(1, await m.Hub.Db.ScalarAsync("SELECT count(*) FROM merged_feature WHERE (attrs ->> 'residents')::int = 7"));
    }

    [Fact]
    public async Task mark_tiles_above_public_as_private_and_vary_on_authorization()
    {
        var p = m.Placed[Layers.Shelters];
        var (x, y) = TestSettings.TileOf(p.Lon, p.Lat, 14);
        foreach (var (caller, isPrivate) in new[] { ("anonymous", false), ("read:responders", true) })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, $"/tiles/merged/14/{x}/{y}.mvt");
            if (m.Tokens[caller] is { } t) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
            using var resp = await m.Hub.Http.SendAsync(req);
            Assert.Contains("Authorization", resp.Headers.Vary);
            Assert.Equal(isPrivate, resp.Headers.CacheControl?.Private ?? false);
        }
    }
}
