using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DisasterHub.Data;

public static class DataServices
{
    /// <summary>Service key of the read pool (items, tiles, roll-up, event streams).</summary>
    public const string Read = "read";

    public const int DefaultReadPoolSize = 30;

    /// <summary>
    /// The main NpgsqlDataSource (EF Core, ingest, the scheduler, health) and a separate, smaller one for reads
    /// (keyed <see cref="Read"/>, application name "DisasterHub read").
    /// </summary>
    /// <remarks>
    /// Two pools so readers can never starve ingest or health: 150 event streams woken by one push all want a
    /// connection at once; with one pool they took every connection and a push waited 14 s behind them. Now they
    /// queue on the read pool while pushes and <c>/health/ready</c> use the main one.
    /// </remarks>
    /// <param name="readConnectionString">
    /// <c>ConnectionStrings:HubRead</c>: where reads go (streaming replicas; several hosts with
    /// <c>Target Session Attributes=prefer-standby</c> and <c>Load Balance Hosts=true</c>, say). Null: the primary, as
    /// before. Writes, LISTEN/NOTIFY, Hangfire and migrations always use <paramref name="connectionString"/>.
    /// </param>
    public static IServiceCollection AddHubData(this IServiceCollection services, string connectionString, int readPoolSize = DefaultReadPoolSize, string? readConnectionString = null)
    {
        var dataSource = Build(connectionString);
        services.AddSingleton(dataSource);
        services.AddKeyedSingleton(Read, BuildRead(readConnectionString ?? connectionString, readPoolSize));
        services.AddSingleton(_ => new ReplicaSet(readConnectionString)); // made by the container, so disposed with it
        services.AddDbContextPool<HubDbContext>(o => Configure(o, dataSource));
        return services;
    }

    /// <summary>
    /// The read pool. Several hosts make a multi-host data source that picks a host per connection by the string's
    /// <c>Target Session Attributes</c> (prefer-standby when it names none: a replica while one answers, else the
    /// primary); a single host, a plain one.
    /// </summary>
    public static NpgsqlDataSource BuildRead(string connectionString, int readPoolSize = DefaultReadPoolSize)
    {
        var read = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Math.Max(1, readPoolSize), ApplicationName = "DisasterHub read" };
        // Reads repeat a few statements (items, counts, tiles, roll-up) thousands of times: Npgsql prepares the ones
        // it sees twice on each connection (least recently used first out), so they are parsed and, once PostgreSQL
        // settles on a generic plan, planned once — planning was ~3.5 of an items request's ~8.5 ms in PostgreSQL.
        // Only reads: no statement here touches a temporary table or changes its result's shape. A string that sets
        // its own value keeps it.
        if (read.MaxAutoPrepare == 0)
        {
            read.MaxAutoPrepare = 64;
            read.AutoPrepareMinUsages = 2;
        }
        if ((read.Host ?? "").Contains(',', StringComparison.Ordinal))
        {
            var target = TargetSession(read.TryGetValue("Target Session Attributes", out var t) ? t as string : null);
            read.Remove("Target Session Attributes");
            return new NpgsqlDataSourceBuilder(read.ConnectionString).BuildMultiHost().WithTargetSession(target);
        }
        return new NpgsqlDataSourceBuilder(read.ConnectionString).Build();
    }

    private static TargetSessionAttributes TargetSession(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "prefer-standby" => TargetSessionAttributes.PreferStandby,
        "any" => TargetSessionAttributes.Any,
        "standby" => TargetSessionAttributes.Standby,
        "read-only" => TargetSessionAttributes.ReadOnly,
        "primary" => TargetSessionAttributes.Primary,
        "prefer-primary" => TargetSessionAttributes.PreferPrimary,
        "read-write" => TargetSessionAttributes.ReadWrite,
        _ => throw new ArgumentException($"Target Session Attributes '{value}' is not one of any, primary, standby, prefer-primary, prefer-standby, read-write, read-only"),
    };

    /// <summary>
    /// The main data source: geometry values map to NetTopologySuite types (the Npgsql NTS plugin), which the registry's
    /// EF entities use (an organization's service area). Feature SQL moves geometry as WKB and GeoJSON text, unaffected.
    /// </summary>
    public static NpgsqlDataSource Build(string connectionString)
    {
        var b = new NpgsqlDataSourceBuilder(connectionString);
        b.UseNetTopologySuite();
        return b.Build();
    }

    /// <summary>EF Core over that data source, with the NTS plugin for geometry properties.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder o, NpgsqlDataSource dataSource) =>
        o.UseNpgsql(dataSource, n => n.UseNetTopologySuite());
}
