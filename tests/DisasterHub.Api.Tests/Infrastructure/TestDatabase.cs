using Npgsql;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>
/// A fresh database on the embedded PostGIS cluster that ./hub test starts (HUB_TEST_PG), dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>The binaries of the embedded cluster's PostgreSQL (Debian's postgresql-15), for the tests that run its tools.</summary>
    public const string PgBin = "/usr/lib/postgresql/15/bin";

    public static string AdminConnection =>
        Environment.GetEnvironmentVariable("HUB_TEST_PG") is { Length: > 0 } cs ? cs : "Host=127.0.0.1;Port=54329;Username=postgres;Database=postgres";

    public string Name { get; }
    public string ConnectionString { get; }

    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name, Timezone = "UTC" }.ConnectionString;
    }

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = "hubtest_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(AdminConnection))
        {
            await admin.OpenAsync();
            await using var c = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await c.ExecuteNonQueryAsync();
        }
        return new TestDatabase(name);
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var c = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v);
        return Convert.ToInt64(await c.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<object?[]>> RowsAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var c = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in args) c.Parameters.AddWithValue(n, v);
        await using var r = await c.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await r.ReadAsync())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnection);
        await admin.OpenAsync();
        await using var c = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await c.ExecuteNonQueryAsync();
    }
}
