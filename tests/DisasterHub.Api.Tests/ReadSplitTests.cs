using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using DisasterHub.Data;
using Npgsql;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 16 item 8: ConnectionStrings:HubRead sends reads to replicas. Without it nothing changes (reads on the primary,
/// no replica in readiness); with it, the read pool and the replica monitor follow the string as given — several hosts,
/// a port per host, Target Session Attributes. The streaming replica itself is exercised by the fault drill
/// (<c>replica_drill_should</c>, ./hub test --faults).
/// </summary>
public sealed class read_split_should
{
    [Fact]
    public async Task name_every_host_of_a_multi_host_read_string_and_refuse_an_unknown_target_session()
    {
        await using var none = new ReplicaSet(null);
        Assert.False(none.Configured);
        await using var two = new ReplicaSet("Host=replica-a,replica-b:5433;Port=5432;Username=hub;Database=hub;Target Session Attributes=prefer-standby;Load Balance Hosts=true");
        Assert.True(two.Configured);
        Assert.Equal(["replica-a:5432", "replica-b:5433"], two.Hosts);
        var bad = Assert.Throws<ArgumentException>(() => DataServices.BuildRead("Host=a,b;Username=hub;Database=hub;Target Session Attributes=nearest"));
        Assert.Contains("target session attributes", bad.Message, StringComparison.OrdinalIgnoreCase); // Npgsql's own check of the string
    }

    [Fact]
    public async Task read_from_the_primary_and_report_no_replica_without_a_read_string()
    {
        await using var hub = await HubServer.StartAsync();
        var token = await hub.CreateKeyAsync("nanao-city", "push:shelters");
        using (var r = await hub.PushAsync("nanao-status", token, Shelter("RS1", "読書分離1"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // read-your-writes holds on the primary: the push is in the very next read
        Assert.Contains("読書分離1", await hub.Http.GetStringAsync("/ogc/collections/shelters/items?limit=1000"));
        using var ready = JsonDocument.Parse(await hub.Http.GetStringAsync("/health/ready"));
        Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, ready.RootElement.GetProperty("replica").ValueKind);
    }

    [Fact]
    public async Task read_through_a_multi_host_read_string_and_report_each_host()
    {
        // both hosts are the test cluster, a primary: prefer-standby falls back to it, and readiness reports it as not
        // in recovery with no lag (what a primary listed among the read hosts looks like)
        await using var db = await TestDatabase.CreateAsync();
        var b = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var read = $"Host={b.Host}:{b.Port},{b.Host}:{b.Port};Username={b.Username};Database={b.Database};Target Session Attributes=prefer-standby;Load Balance Hosts=true";
        await using var hub = await HubServer.StartAsync(new() { ["ConnectionStrings:HubRead"] = read }, sharedDb: db);
        var token = await hub.CreateKeyAsync("nanao-city", "push:shelters");
        using (var r = await hub.PushAsync("nanao-status", token, Shelter("RS2", "読書分離2"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("読書分離2", await hub.Http.GetStringAsync("/ogc/collections/shelters/items?limit=1000"));
        using var ready = JsonDocument.Parse(await hub.Http.GetStringAsync("/health/ready"));
        var replica = ready.RootElement.GetProperty("replica");
        Assert.Equal("ready", ready.RootElement.GetProperty("status").GetString());
        Assert.Equal("ok", replica.GetProperty("status").GetString());
        Assert.False(replica.GetProperty("in_recovery").GetBoolean());
        Assert.Equal(0, replica.GetProperty("lag_bytes").GetInt64());
        Assert.Equal(2, replica.GetProperty("hosts").GetArrayLength());
        // the read pool really is the read string's: its connections carry the read pool's name on that database
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var c = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'DisasterHub read'", conn);
        Assert.True((long)(await c.ExecuteScalarAsync())! >= 1);
    }

    private static byte[] Shelter(string id, string name) => Encoding.UTF8.GetBytes(
        $$"""{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{"id":"{{id}}","name":"{{name}}","status":"開設","evacuees":3,"lat":37.04,"lon":136.96}]}""");
}
