using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Configuration;
using Hangfire.Common;
using Hangfire.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DisasterHub.Ingestion;

/// <summary>
/// Hangfire on the hub's PostgreSQL: storage in its own schema (<c>hangfire</c>), one server per node, settings for
/// 5 s schedules and fast fail-over. The storage, job activator, clients and server are this hub's own DI singletons
/// (not <c>JobStorage.Current</c>), so several hubs in one process (tests) each use their own database.
/// </summary>
public static class HangfireSetup
{
    public const string Schema = "hangfire";

    /// <summary>How often the recurring-job scheduler looks for due firings (Hangfire's default is 15 s).</summary>
    public static readonly TimeSpan SchedulePollingInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle worker asks the queue for a job (the storage's default is 15 s).</summary>
    public static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Recurring jobs the scheduler triggers at once: each trigger is a dozen round trips (lock row, job, state, queue,
    /// next execution), so 30 feeds due on one second, one after the other, put the last one 2–3 s late under load.
    /// </summary>
    public const int SchedulerParallelism = 4;

    /// <summary>
    /// A job fetched by a node is invisible to the others this long after the node's last keep-alive (sliding:
    /// a running job renews it every fifth of it), then another node may run it again.
    /// </summary>
    public static readonly TimeSpan InvisibilityTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A lock row (Hangfire.PostgreSql keeps its distributed locks as rows) left by a killed node expires after this —
    /// the scheduler's lock is held for milliseconds, so a short expiry bounds how long a kill can stall scheduling.
    /// </summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>A node whose heartbeat is older than this is dead to Hangfire (and to the watchdog).</summary>
    public static readonly TimeSpan ServerTimeout = TimeSpan.FromSeconds(30);

    public static PostgreSqlStorageOptions StorageOptions() => new()
    {
        SchemaName = Schema,
        PrepareSchemaIfNecessary = false, // installed by InstallSchemaAsync, under the migrator's lock
        QueuePollInterval = QueuePollInterval,
        InvisibilityTimeout = InvisibilityTimeout,
        UseSlidingInvisibilityTimeout = true,
        DistributedLockTimeout = LockTimeout,
        JobExpirationCheckInterval = TimeSpan.FromMinutes(5),
    };

    /// <summary>Creates or upgrades Hangfire's schema; nodes starting at once take turns on an advisory lock.</summary>
    public static async Task InstallSchemaAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        const long lockId = 0x48_46_49_52; // "HFIR"
        await using (var c = new NpgsqlCommand("SELECT pg_advisory_lock(@k)", conn))
        {
            c.Parameters.AddWithValue("k", lockId);
            await c.ExecuteNonQueryAsync(ct);
        }
        try
        {
            PostgreSqlObjectsInstaller.Install(conn, Schema);
        }
        finally
        {
            await using var c = new NpgsqlCommand("SELECT pg_advisory_unlock(@k)", conn);
            c.Parameters.AddWithValue("k", lockId);
            await c.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public static IServiceCollection AddHubHangfire(this IServiceCollection services, IConfiguration config, string connectionString, bool runServer)
    {
        // Hangfire's AddHangfire would hand out the process-wide JobStorage.Current and point Hangfire's (process-wide)
        // log provider at this host's logger factory, which outlives no test host: the services are registered here.
        services.AddSingleton<JobStorage>(sp =>
        {
            HangfireLog.Use(sp.GetRequiredService<ILoggerFactory>());
            var options = StorageOptions();
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
        });
        services.AddSingleton<IGlobalConfiguration>(_ => GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddSingleton<IJobFilterProvider>(_ => JobFilterProviders.Providers);
        services.AddSingleton<ITimeZoneResolver>(_ => new DefaultTimeZoneResolver());
        services.AddSingleton(_ => Hangfire.Dashboard.DashboardRoutes.Routes); // the dashboard's (process-wide) route table
        services.AddSingleton<IBackgroundJobClient>(sp => { sp.GetRequiredService<IGlobalConfiguration>(); return new BackgroundJobClient(sp.GetRequiredService<JobStorage>()); });
        services.AddSingleton<IRecurringJobManager>(sp => { sp.GetRequiredService<IGlobalConfiguration>(); return new RecurringJobManager(sp.GetRequiredService<JobStorage>()); });
        var node = new HangfireNode($"hub-{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant());
        services.AddSingleton(node);
        if (runServer)
            services.AddHangfireServer((_, o) =>
            {
                o.ServerName = node.ServerName;
                o.WorkerCount = config.GetValue($"{HubOptions.Section}:Workers", 10);
                o.SchedulePollingInterval = SchedulePollingInterval;
                o.MaxDegreeOfParallelismForSchedulers = SchedulerParallelism;
                o.HeartbeatInterval = HeartbeatInterval;
                o.ServerTimeout = ServerTimeout;
                o.ServerCheckInterval = TimeSpan.FromSeconds(10);
                o.ShutdownTimeout = TimeSpan.FromSeconds(15);
            });
        return services;
    }
}

/// <summary>This hub's Hangfire server name (Hangfire appends the process id and a GUID to make the server id).</summary>
public sealed record HangfireNode(string ServerName)
{
    /// <summary>Whether this node's server is checked in with a fresh heartbeat.</summary>
    public bool IsAlive(JobStorage storage, DateTimeOffset now) => storage.GetMonitoringApi().Servers().Any(s =>
        s.Name.StartsWith(ServerName + ":", StringComparison.Ordinal)
        && s.Heartbeat is { } h && now - new DateTimeOffset(DateTime.SpecifyKind(h, DateTimeKind.Utc)) < HangfireSetup.ServerTimeout);
}

/// <summary>
/// Hangfire logs through one process-wide provider (LibLog); this one writes to the logger factory of the hub that
/// started last and falls silent, instead of throwing inside Hangfire's workers, once that host is disposed.
/// </summary>
public sealed class HangfireLog(ILoggerFactory factory) : ILogProvider
{
    public static void Use(ILoggerFactory factory) => LogProvider.SetCurrentLogProvider(new HangfireLog(factory));

    public ILog GetLogger(string name) => new Forward(factory, name);

    private sealed class Forward(ILoggerFactory factory, string name) : ILog
    {
        private ILogger? logger;

        public bool Log(Hangfire.Logging.LogLevel level, Func<string>? message, Exception? exception = null)
        {
            try
            {
                logger ??= factory.CreateLogger(name);
                var l = level switch
                {
                    Hangfire.Logging.LogLevel.Trace => Microsoft.Extensions.Logging.LogLevel.Trace,
                    Hangfire.Logging.LogLevel.Debug => Microsoft.Extensions.Logging.LogLevel.Debug,
                    Hangfire.Logging.LogLevel.Info => Microsoft.Extensions.Logging.LogLevel.Information,
                    Hangfire.Logging.LogLevel.Warn => Microsoft.Extensions.Logging.LogLevel.Warning,
                    Hangfire.Logging.LogLevel.Error => Microsoft.Extensions.Logging.LogLevel.Error,
                    _ => Microsoft.Extensions.Logging.LogLevel.Critical,
                };
                if (message is null) return logger.IsEnabled(l);
                if (logger.IsEnabled(l)) logger.Log(l, 0, exception, "{Message}", message());
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
