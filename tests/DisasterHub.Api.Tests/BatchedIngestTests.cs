using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 §1 through the real push path: a CSV registry is parsed in batches of <c>Hub:Ingest:BatchRecords</c> rows,
/// each checked and copied into staging while the next is read. What is stored and answered must be exactly what the
/// whole-document path stores and answers — rejections by line, duplicates across batches, unchanged re-pushes — and a
/// document found unreadable part-way stores none of its rows.
/// </summary>
public sealed class batched_ingest_should
{
    private static byte[] Registry(int rows, string? tail = null)
    {
        var sb = new StringBuilder("NO,市町村コード,施設・場所名,住所,緯度,経度\n");
        for (var i = 1; i <= rows; i++)
        {
            var no = i == 20 ? 3 : i;                                   // line 21 repeats line 4's id (another batch)
            var lat = i == 4 ? "abc" : $"{37.0 + i * 0.0005:0.0000}";   // line 5: not a number
            var name = i == 13 ? "" : $"分割試験避難所{i}";              // line 14: no name
            sb.Append($"{no},172022,{name},石川県七尾市試験町{i},{lat},{136.9 + i * 0.0005:0.0000}\n");
        }
        return Encoding.UTF8.GetBytes(sb + (tail ?? ""));
    }

    private static async Task<(HubServer Hub, string Key, ConcurrentQueue<string> Logs)> StartAsync(int batchRecords, int? ownPartitionFrom = null)
    {
        var s = sign_in_should.Settings();
        s["Hub:Ingest:BatchRecords"] = batchRecords.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (ownPartitionFrom is { } from) s["Hub:OwnPartitionFromRows"] = from.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var logs = new ConcurrentQueue<string>();
        var hub = await HubServer.StartAsync(s, configure: b => b.Logging.AddProvider(new LogCapture(logs)));
        return (hub, await hub.CreateKeyAsync("nanao-city", "push:shelters"), logs);
    }

    private static async Task<JsonElement> PushAsync(HubServer hub, string key, byte[] body, HttpStatusCode expected)
    {
        var r = await hub.PushAsync("nanao-status", key, body, "text/csv", format: "gsi-shelter-csv");
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    // what both hubs must hold alike (the times differ: each hub received the document at its own instant)
    private static Task<List<object?[]>> StoredAsync(HubServer hub) => hub.Db.RowsAsync(
        "SELECT f.source_key, encode(f.content_hash, 'hex'), m.entity_key, m.name, ST_AsText(m.geom), m.attrs::text, m.sources::text, " +
        "m.provenance - 'geometry' - 'name' - 'address' - 'municipality_code' - 'attrs.kind' = '{}'::jsonb FROM feature f " +
        "JOIN merged_feature m ON m.workspace = f.workspace AND m.layer = f.layer AND m.entity_key = f.entity_key " +
        "WHERE f.source_id = 'nanao-status' ORDER BY f.source_key");

    [Fact]
    public async Task store_and_answer_what_the_whole_document_path_does()
    {
        var body = Registry(23);
        var (batched, key, logs) = await StartAsync(5);
        await using var _ = batched;
        var (whole, wholeKey, _) = await StartAsync(0);
        await using var __ = whole;

        var a = await PushAsync(batched, key, body, HttpStatusCode.OK);
        var b = await PushAsync(whole, wholeKey, body, HttpStatusCode.OK);
        Assert.Equal(20, a.GetProperty("accepted").GetInt32());
        Assert.Equal(20, a.GetProperty("changed").GetInt32());
        var rejections = a.GetProperty("rejections").EnumerateArray().Select(r => (r.GetProperty("at").GetString(), r.GetProperty("reason").GetString())).ToList();
        Assert.Equal(["line 5", "line 14", "line 21"], rejections.Select(r => r.Item1));
        Assert.Equal("duplicate id '3' (first at line 4)", rejections[2].Item2);
        foreach (var field in new[] { "accepted", "rejected", "changed", "rejections" })
            Assert.Equal(b.GetProperty(field).GetRawText(), a.GetProperty(field).GetRawText());
        // the same rows, hashes and merged rows on both hubs, and the rejections stored with the raw document
        var stored = await StoredAsync(batched);
        Assert.Equal(20, stored.Count);
        Assert.Equal((await StoredAsync(whole)).Select(r => string.Join('|', r)), stored.Select(r => string.Join('|', r)));
        Assert.Equal(3L, await batched.Db.ScalarAsync("SELECT count(*) FROM rejection"));
        // it was read in batches: 23 rows → 5 batches (the last holds 3)
        Assert.Contains(logs, l => l.Contains("DisasterHub.Ingestion.IngestPipeline Ingested raw document", StringComparison.Ordinal)
                                   && l.Contains("; 5 batches, 20 records staged, 0 current hashes read at once)", StringComparison.Ordinal));

        // the same document again: every batch's keys and hashes probed, no record copied into staging, nothing written
        var again = await PushAsync(batched, key, body, HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("changed").GetInt32());
        Assert.Contains(logs, l => l.Contains("20 accepted, 3 rejected, 0 changed", StringComparison.Ordinal)
                                   && l.Contains("; 5 batches, 0 records staged, 0 current hashes read at once)", StringComparison.Ordinal));
        Assert.Equal(20L, await batched.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_id = 'nanao-status'"));
    }

    /// <summary>A re-push of the registry without the rows the first push rejected: the even rows' names changed.</summary>
    private static byte[] Revised(int rows, string? tail = null)
    {
        var sb = new StringBuilder("NO,市町村コード,施設・場所名,住所,緯度,経度\n");
        for (var i = 1; i <= rows; i++)
        {
            if (i is 4 or 13 or 20) continue;                                      // the rows the first push rejected
            var name = i % 2 == 0 ? $"分割試験避難所{i}（改）" : $"分割試験避難所{i}";
            sb.Append($"{i},172022,{name},石川県七尾市試験町{i},{37.0 + i * 0.0005:0.0000},{136.9 + i * 0.0005:0.0000}\n");
        }
        return Encoding.UTF8.GetBytes(sb + (tail ?? ""));
    }

    [Fact]
    public async Task stage_a_re_push_in_the_background_as_the_whole_document_path_stores_it()
    {
        // a re-push probes and copies each batch on the pool while the next is read: what it stores is what the whole
        // document path stores
        var (batched, key, logs) = await StartAsync(5);
        await using var _ = batched;
        var (whole, wholeKey, _) = await StartAsync(0);
        await using var __ = whole;
        foreach (var (hub, k) in new[] { (batched, key), (whole, wholeKey) })
        {
            await PushAsync(hub, k, Registry(23), HttpStatusCode.OK);
            var revised = await PushAsync(hub, k, Revised(23), HttpStatusCode.OK);
            Assert.Equal(20, revised.GetProperty("accepted").GetInt32());
            Assert.Equal(9, revised.GetProperty("changed").GetInt32());
        }
        var stored = await StoredAsync(batched);
        Assert.Equal((await StoredAsync(whole)).Select(r => string.Join('|', r)), stored.Select(r => string.Join('|', r)));
        Assert.Equal("分割試験避難所8（改）", stored.Single(r => (string)r[0]! == "8")[3]);
        Assert.True(logs.Any(l => l.Contains("20 accepted, 0 rejected, 9 changed", StringComparison.Ordinal)
                                  && l.Contains("; 5 batches, 9 records staged, 0 current hashes read at once)", StringComparison.Ordinal)), string.Join("\n", logs.Where(l => l.Contains("Ingested", StringComparison.Ordinal))));

        // a re-push found unreadable part-way (a batch still in flight when the bad line is read) stores none of its
        // rows, and its reason — written on the connection once the batch in flight has ended
        var versions = await batched.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_id = 'nanao-status'");
        var rejections = await batched.Db.ScalarAsync("SELECT count(*) FROM rejection");
        var refused = await PushAsync(batched, key, Revised(12, "13,172022,\"壊れた行,石川県七尾市\n"), HttpStatusCode.BadRequest);
        Assert.Equal("line 13", refused.GetProperty("pointer").GetString());
        Assert.Equal(versions, await batched.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_id = 'nanao-status'"));
        Assert.Equal(rejections + 1, await batched.Db.ScalarAsync("SELECT count(*) FROM rejection"));
    }

    [Fact]
    public async Task compare_a_large_sources_later_batches_with_its_hashes_read_at_once_as_the_probes_would()
    {
        // a source whose first load made it a partition of its own (100 rows, 97 accepted): a re-push in batches of 5
        // probes its first batches key by key, and once it has probed an eighth of the partition's rows (batch 3: 15 × 8
        // ≥ 97) reads the source's current hashes at once and compares the rest in memory (ingest_current_hashes.sql)
        var (batched, key, logs) = await StartAsync(5, ownPartitionFrom: 50);
        await using var _ = batched;
        var (whole, wholeKey, _) = await StartAsync(0, ownPartitionFrom: 50);
        await using var __ = whole;
        foreach (var (hub, k) in new[] { (batched, key), (whole, wholeKey) })
        {
            await PushAsync(hub, k, Registry(100), HttpStatusCode.OK);
            Assert.Equal(97L, await hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE part = 'nanao-status'"));
            // the even rows renamed (48 of them: 4 and 20 are left out, as the first push rejected them): changes in the
            // probed batches (rows 2, 6, 8, 10) and in the compared ones; row 101 is new (no current hash: staged)
            var revised = await PushAsync(hub, k, Revised(101), HttpStatusCode.OK);
            Assert.Equal(101 - 3, revised.GetProperty("accepted").GetInt32());
            Assert.Equal(48 + 1, revised.GetProperty("changed").GetInt32());
            // and again: nothing changed, in the probed batches or the compared ones
            Assert.Equal(0, (await PushAsync(hub, k, Revised(101), HttpStatusCode.OK)).GetProperty("changed").GetInt32());
        }
        var stored = await StoredAsync(batched);
        Assert.Equal(98, stored.Count);
        Assert.Equal((await StoredAsync(whole)).Select(r => string.Join('|', r)), stored.Select(r => string.Join('|', r)));
        Assert.Equal("分割試験避難所2（改）", stored.Single(r => (string)r[0]! == "2")[3]);
        Assert.Equal("分割試験避難所100（改）", stored.Single(r => (string)r[0]! == "100")[3]);
        var ingested = logs.Where(l => l.Contains("Ingested raw document", StringComparison.Ordinal)).ToList();
        Assert.True(ingested.Count(l => l.Contains("; 20 batches, 49 records staged, 97 current hashes read at once)", StringComparison.Ordinal)) == 1
                    && ingested.Count(l => l.Contains("; 20 batches, 0 records staged, 98 current hashes read at once)", StringComparison.Ordinal)) == 1,
            string.Join("\n", ingested));
    }

    [Fact]
    public async Task store_none_of_a_document_found_unreadable_part_way()
    {
        var (hub, key, _) = await StartAsync(5);
        await using var _ = hub;
        // twelve good rows (two batches staged) before an unterminated quote on line 14
        var refused = await PushAsync(hub, key, Registry(12, "13,172022,\"壊れた行,石川県七尾市\n"), HttpStatusCode.BadRequest);
        Assert.Equal("line 14", refused.GetProperty("pointer").GetString());
        Assert.Contains("unterminated quoted field", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, await hub.Db.ScalarAsync("SELECT count(*) FROM feature WHERE source_id = 'nanao-status'"));
        Assert.Equal(0L, await hub.Db.ScalarAsync("SELECT count(*) FROM feature_version WHERE source_id = 'nanao-status'"));
        // the document itself is kept, marked unparseable with its reason
        Assert.Equal(1L, await hub.Db.ScalarAsync("SELECT count(*) FROM raw_document WHERE source_id = 'nanao-status' AND status = 'unparseable'"));
        Assert.Equal(1L, await hub.Db.ScalarAsync("SELECT count(*) FROM rejection WHERE at = 'line 14'"));

        // the source takes its next document as usual
        var next = await PushAsync(hub, key, Registry(12), HttpStatusCode.OK);
        Assert.Equal(11, next.GetProperty("accepted").GetInt32());
    }
}
