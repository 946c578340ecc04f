using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DisasterHub.Data;

public static class DataServices
{
    /// <summary>One NpgsqlDataSource for the process, shared by EF Core, the feature store and the scheduler.</summary>
    public static IServiceCollection AddHubData(this IServiceCollection services, string connectionString)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        services.AddSingleton(dataSource);
        services.AddDbContextPool<HubDbContext>(o => o.UseNpgsql(dataSource));
        return services;
    }
}
