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
    public static IServiceCollection AddHubData(this IServiceCollection services, string connectionString, int readPoolSize = DefaultReadPoolSize)
    {
        var dataSource = Build(connectionString);
        services.AddSingleton(dataSource);
        var read = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Math.Max(1, readPoolSize), ApplicationName = "DisasterHub read" };
        services.AddKeyedSingleton(Read, new NpgsqlDataSourceBuilder(read.ConnectionString).Build());
        services.AddDbContextPool<HubDbContext>(o => Configure(o, dataSource));
        return services;
    }

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
