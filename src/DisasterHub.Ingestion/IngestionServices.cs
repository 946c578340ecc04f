using DisasterHub.Adapters;
using DisasterHub.Core;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace DisasterHub.Ingestion;

public static class IngestionServices
{
    /// <summary>The layer catalogue: the shipped files, and the operator's directory <c>Hub:LayerCatalogue</c> when set.</summary>
    /// <summary>Feed credentials are encrypted with a key ring every node (and the CLI) shares: in the database.</summary>
    public static IServiceCollection AddCredentialProtection(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("DisasterHub").PersistKeysToDbContext<DisasterHub.Data.HubDbContext>();
        return services.AddSingleton<SourceCredentialProtector>();
    }

    public static LayerCatalogue LoadCatalogue(IConfiguration config) => LayerCatalogue.Load(config["Hub:LayerCatalogue"]);

    /// <summary>Every format the hub knows: one registration line per adapter family, and the catalogue layers' generic formats.</summary>
    public static FormatRegistry CreateFormats(LayerCatalogue catalogue) => HubFormats.CreateRegistry(catalogue);

    /// <summary>
    /// A named client for the hub's outbound HTTP: guarded clients connect only through the SSRF guard (decided on the
    /// address connected to, so on every redirect too); unguarded ones are for feeds or targets marked internal. The
    /// caller owns timeouts (no HttpClient timeout).
    /// </summary>
    private static IHttpClientBuilder AddOutboundClient(IServiceCollection services, string name, string userAgent, bool guarded, bool followRedirects, TimeSpan connectTimeout) =>
        services.AddHttpClient(name, c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;
            c.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AllowAutoRedirect = followRedirects,
            MaxAutomaticRedirections = 5,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = guarded ? SsrfGuard.ConnectCallback() : null,
        });

    /// <summary>The sharing rules a configuration sets (<c>Hub:Classification</c>), else the defaults.</summary>
    public static ClassificationPolicy SharingRules(IConfiguration config, LayerCatalogue catalogue) =>
        (config.GetSection("Hub:Classification") is { } section && section.Exists()
            ? section.Get<ClassificationPolicy>() ?? ClassificationPolicy.Default()
            : ClassificationPolicy.Default()).WithCatalogue(catalogue);

    public static IServiceCollection AddHubIngestion(this IServiceCollection services, IConfiguration config, string connectionString)
    {
        services.AddOptions<HubOptions>().Bind(config.GetSection(HubOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        // Loaded and validated here: a bad catalogue file stops the hub at start-up, naming the file and the reason.
        var catalogue = LoadCatalogue(config);
        services.AddSingleton(catalogue);
        services.AddSingleton(_ => CreateFormats(catalogue));
        // The sharing rules, one instance per hub: several hubs in one process (tests) may run different rules.
        services.AddSingleton(SharingRules(config, catalogue));
        services.AddScoped<IngestPipeline>();
        services.AddScoped(sp => new OrganizationRegistry(sp.GetRequiredService<DisasterHub.Data.HubDbContext>(), MunicipalityDirectory.LoadEmbedded(), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped(sp => new SourceRegistry(sp.GetRequiredService<DisasterHub.Data.HubDbContext>(), sp.GetRequiredService<FormatRegistry>(),
            sp.GetRequiredService<LayerCatalogue>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SourceCredentialProtector>(),
            sp.GetService<Hangfire.IRecurringJobManager>()));
        services.AddSingleton<ChangeSignal>();
        services.AddSingleton<DisasterHub.Data.BoundarySet>();
        services.AddHostedService<ChangeListener>();
        services.AddSingleton<RetentionPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionPruner>());
        services.AddSingleton<IsolationDeriver>();
        services.AddHostedService(sp => sp.GetRequiredService<IsolationDeriver>());
        services.AddSingleton<ExpiryService>();
        services.AddHostedService(sp => sp.GetRequiredService<ExpiryService>());
        services.AddSingleton<LoadStatistics>();
        services.AddHostedService(sp => sp.GetRequiredService<LoadStatistics>());
        // Two clients so pooled connections never cross: feeds marked internal (the simulator) may reach loopback and
        // private addresses; every other feed connects through the SSRF guard, on every redirect too.
        // A feed with credentials uses a twin that does not follow redirects itself: FeedFetcher follows them, sending
        // the credentials only to the feed's own origin.
        foreach (var (name, guarded, redirects) in new[]
        {
            (FeedFetcher.GuardedClient, true, true), (FeedFetcher.InternalClient, false, true),
            (FeedFetcher.GuardedClient + FeedFetcher.ManualRedirects, true, false), (FeedFetcher.InternalClient + FeedFetcher.ManualRedirects, false, false),
        })
            // the resilience pipeline owns timeouts; redirects are followed, each through the guard
            AddOutboundClient(services, name, "DisasterHub/0.1", guarded, followRedirects: redirects, TimeSpan.FromSeconds(10))
            // one pipeline — so one circuit breaker — per source, kept by this host's client factory
            .AddResilienceHandler("feed", (b, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>().Value;
                FeedFetcher.ConfigurePipeline(b, TimeSpan.FromSeconds(30), baseDelay: TimeSpan.FromMilliseconds(Math.Max(1, o.FeedRetryDelayMilliseconds)),
                    breakDuration: TimeSpan.FromSeconds(Math.Max(1, o.FeedBreakSeconds)));
            })
            .SelectPipelineBy(_ => request => request.Options.TryGetValue(FeedFetcher.SourceKey, out var id) ? id : "(none)");
        AddCredentialProtection(services);
        services.AddTransient<FeedFetcher>();
        services.AddTransient<IFeedFollower, HubFollower>();
        services.AddTransient<IFeedFollower, JmaAtomFollower>();
        services.AddTransient<IFeedFollower, LatestTimeFollower>();
        // webhook deliveries: through the SSRF guard unless Hub:Subscriptions:AllowPrivateTargets; never redirected
        services.AddOptions<Subscriptions.SubscriptionOptions>().Bind(config.GetSection($"{HubOptions.Section}:Subscriptions"));
        foreach (var (name, guarded) in new[] { (Subscriptions.SubscriptionDispatcher.GuardedClient, true), (Subscriptions.SubscriptionDispatcher.PrivateClient, false) })
            AddOutboundClient(services, name, "DisasterHub-Webhooks/0.1", guarded, followRedirects: false, TimeSpan.FromSeconds(5)); // the dispatcher times each attempt
        services.AddSingleton<Subscriptions.SubscriptionDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Subscriptions.SubscriptionDispatcher>());

        var runScheduler = config.GetValue($"{HubOptions.Section}:{nameof(HubOptions.Scheduler)}", true);
        services.AddTransient<PullFeedJob>();
        services.AddHubHangfire(config, connectionString, runScheduler);
        if (runScheduler)
        {
            services.AddHostedService<ScheduleSetup>();
            services.AddHostedService<ScheduleWatchdog>();
        }
        return services;
    }
}
