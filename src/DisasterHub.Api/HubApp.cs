using DisasterHub.Api.Auth;
using DisasterHub.Api.Endpoints;
using DisasterHub.Api.Http;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DisasterHub.Api;

/// <summary>Builds the hub's web host: services, middleware and endpoints. Tests build it the same way.</summary>
public static class HubApp
{
    public const string DefaultConnection = "Host=127.0.0.1;Port=54329;Username=postgres;Database=hub";

    public static string ConnectionString(IConfiguration config) =>
        WithUtc(config.GetConnectionString("Hub") is { Length: > 0 } cs ? cs : DefaultConnection);

    /// <summary>
    /// <c>ConnectionStrings:HubRead</c>: where reads go (items, tiles, roll-up, events, exports, CAP) — streaming
    /// replicas; null when unset, and reads use the primary as before.
    /// </summary>
    public static string? ReadConnectionString(IConfiguration config) =>
        config.GetConnectionString("HubRead") is { Length: > 0 } cs ? WithUtc(cs) : null;

    /// <summary>
    /// Timestamps leave PostgreSQL in UTC whatever the server's zone, and JIT compilation is off unless the connection
    /// string's <c>Options</c> set it: the hub's reads are many short statements, and a tile whose estimated cost
    /// crossed <c>jit_above_cost</c> spent ~30 ms compiling to run 4 ms (issue 16, the 1,000,000-feature scale point).
    /// </summary>
    private static string WithUtc(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs) { Timezone = "UTC" };
        if (!(b.Options ?? "").Contains("jit", StringComparison.OrdinalIgnoreCase)) b.Options = $"{b.Options} -c jit=off".Trim();
        return b.ConnectionString;
    }

    /// <summary>
    /// <c>--db CONNSTRING</c> → ConnectionStrings:Hub. Read by hand: the command-line provider would take an absolute
    /// path argument ("/data/n03.geojson") for a switch and swallow what follows it.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> DbOption(string[] args)
    {
        var i = Array.IndexOf(args, "--db");
        return i >= 0 && i + 1 < args.Length ? [new("ConnectionStrings:Hub", args[i + 1])] : [];
    }

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(DbOption(args));
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("HUB_PORT") ?? "8080"}");
        configure?.Invoke(builder);

        var cs = ConnectionString(builder.Configuration);
        builder.Services.AddHubData(cs, builder.Configuration.GetValue("Hub:ReadPoolSize", DataServices.DefaultReadPoolSize), ReadConnectionString(builder.Configuration));
        builder.Services.AddHubIngestion(builder.Configuration, cs);
        // reads and event streams draw on their own pool: however many readers wait, ingest and health keep theirs
        builder.Services.AddSingleton(sp => new FeatureQueries(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataServices.Read)));
        builder.Services.AddSingleton(sp => new TileQueries(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataServices.Read)));
        builder.Services.AddSingleton(sp => new ExportQueries(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataServices.Read)));
        builder.Services.AddSingleton<DisasterHub.Api.Exports.AreaExport>();
        builder.Services.AddSingleton(sp => new EventQueries(sp.GetRequiredKeyedService<NpgsqlDataSource>(DataServices.Read), sp.GetRequiredService<TimeProvider>(),
            builder.Configuration.GetValue("Hub:Events:PageSize", EventQueries.DefaultPageSize),
            builder.Configuration.GetValue("Hub:Events:ConcurrentReads", EventQueries.DefaultConcurrentReads)));
        // the roll-up reads from the read pool; the HQ entries it also keeps are written and read back on the primary
        builder.Services.AddSingleton(sp => new ReportingQueries(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredKeyedService<NpgsqlDataSource>(DataServices.Read)));
        builder.Services.AddSingleton<TileCache>();
        builder.Services.AddSingleton<RollupCache>();
        builder.Services.AddSingleton<DisasterHub.Api.Media.MediaStore>();
        // the push path's shared state, one per hub (several hubs run in one test process)
        builder.Services.AddSingleton<DisasterHub.Api.Push.IngestGate>();
        builder.Services.AddSingleton<DisasterHub.Api.Push.KeyedLocks>();
        builder.Services.AddSingleton<DisasterHub.Api.Push.DeniedPushAudit>();
        builder.Services.AddSingleton<StreamGate>();
        builder.Services.AddSingleton<KeyVerifier>();
        builder.Services.AddSingleton<PublicUrls>();
        // the operator's registries of keys and people, shared with ./hub keys|people and Hub:People seeding
        builder.Services.AddScoped<KeyRegistry>();
        builder.Services.AddScoped<PeopleRegistry>();
        builder.Services.AddSingleton(BasemapOptions.From(builder.Configuration));
        // Host headers: what AllowedHosts says, else loopback and the public base URL's host (never "*" by default)
        builder.Services.AddOptions<HostFilteringOptions>().Configure<PublicUrls, IConfiguration>((o, urls, config) =>
        {
            if (string.IsNullOrEmpty(config["AllowedHosts"])) o.AllowedHosts = [.. urls.DefaultAllowedHosts()];
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddHubApiDescription(builder.Configuration);
        builder.Services.AddHubRateLimits(builder.Configuration);
        builder.Services.AddHubAuth(builder.Configuration);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 256L * 1024 * 1024);
        // SIGTERM / Ctrl-C: 5 s (not .NET's 30) for running feed jobs and requests to finish. With the database gone,
        // storage retries would otherwise hold the process for the whole timeout; an unfinished pull is run again by
        // another node once Hangfire's invisibility timeout passes (or covered by the next firing), and an unfinished
        // push was never acknowledged. DOTNET_SHUTDOWNTIMEOUTSECONDS
        // (host setting shutdownTimeoutSeconds) still overrides it.
        var shutdownSeconds = builder.Configuration.GetValue("shutdownTimeoutSeconds", 5);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(shutdownSeconds));
        // A start-up failure is reported once, by the caller (HubCli: one line for a port in use), not also as the
        // host's "Hosting failed to start" stack trace; a background service stopping the host still logs (Critical).
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);

        var app = builder.Build();
        app.UseExceptionHandler(e => e.Run(async ctx =>
        {
            // Generic to the caller, detailed in the log: no stack trace leaves the hub.
            var ex = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
            var status = ex is BadHttpRequestException b ? b.StatusCode
                : ex is HubBusyException || IsDatabaseUnavailable(ex) ? 503
                : 500;
            if (status == 503) ctx.Response.Headers.RetryAfter = "5";
            app.Logger.LogError(ex, "Unhandled error on {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
            ctx.Response.StatusCode = status;
            // problem details (RFC 9457), keeping the short "error" member older clients read
            var error = status == 503 ? "service temporarily unavailable" : status >= 500 ? "internal error" : "bad request";
            var detail = status != 503 ? null
                : ex is HubBusyException ? "the hub is at capacity; retry after the time in Retry-After"
                : "the database is unavailable (a primary restarting or failing over); retry after the time in Retry-After";
            await ctx.Response.WriteAsJsonAsync(new { type = "about:blank", title = error, status, detail, error }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }));

        app.UseSecurityHeaders();
        app.UseCors(); // only endpoints that ask for it (public reads): never pushes, audit, subscriptions or admin
        app.UseQueryGuard();
        app.UseCallerResolution();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseCsrfProtection();
        app.UseAuthorization();
        app.UseWorkspaceGate();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        var geodata = Path.Combine(AppContext.BaseDirectory, "geodata");
        if (Directory.Exists(geodata))
        {
            var types = new FileExtensionContentTypeProvider();
            types.Mappings[".geojson"] = "application/geo+json";
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(geodata), RequestPath = "/geodata", ContentTypeProvider = types });
        }

        app.MapReportingStatus(); // before MapOgc's /collections/{layer}: a literal segment wins either way
        app.MapOgc();
        app.MapLayers();
        app.MapLifelines();
        app.MapMunicipalityHq();
        app.MapSources();
        app.MapOrganizations();
        app.MapWorkspaces();
        app.MapBasemap();
        app.MapDocuments();
        app.MapMedia();
        app.MapTiles();
        app.MapExports();
        app.MapSubscriptions();
        app.MapCapFeed();
        app.MapEvents();
        app.MapAudit();
        app.MapKeys();
        app.MapPeople();
        app.MapSession();
        app.MapHealth();
        app.UseHubHangfireDashboard();
        app.MapHubApiDescription();
        return app;
    }

    /// <summary>
    /// The database is away (restarting, unreachable, out of connections) — anywhere in the exception chain, since EF
    /// Core wraps it: the caller should retry (503 + Retry-After), it is not the caller's fault nor a bug.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg) return pg.SqlState.StartsWith("57", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal);
            if (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or EndOfStreamException) return true;
        }
        return false;
    }

    /// <summary>
    /// Municipal boundaries into PostGIS (Hub:Boundaries: "shipped" — geodata/municipal-boundaries.geojson, embedded —,
    /// a file path, or "none"): only when that file's bytes are not loaded yet, so a restart costs one query.
    /// </summary>
    private static async Task LoadBoundariesAsync(WebApplication app, CancellationToken ct)
    {
        var setting = app.Services.GetRequiredService<IOptions<HubOptions>>().Value.Boundaries;
        if (string.Equals(setting, "none", StringComparison.OrdinalIgnoreCase)) return;
        var shipped = string.Equals(setting, "shipped", StringComparison.OrdinalIgnoreCase) || setting.Length == 0;
        var bytes = shipped ? DisasterHub.Core.Checks.MunicipalBoundaries.EmbeddedBytes() : await File.ReadAllBytesAsync(setting, ct);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var n = await BoundaryStore.EnsureLoadedAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), bytes,
            shipped ? BoundaryStore.ShippedSource : Path.GetFileName(setting), app.Services.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
        if (n is not null) app.Logger.LogInformation("Loaded {Count} municipal boundaries from {Source} in {Ms} ms", n, shipped ? BoundaryStore.ShippedSource : setting, started.ElapsedMilliseconds);
    }

    /// <summary>Schema and registry first, then serve.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken ct = default)
    {
        await Migrator.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Logger, ct);
        await HangfireSetup.InstallSchemaAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), ct);
        await FeatureQueries.SeedMunicipalityPointsAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), DisasterHub.Core.MunicipalityDirectory.LoadEmbedded(), ct);
        await LoadBoundariesAsync(app, ct);
        using var scope = app.Services.CreateScope();
        await SourceSeeder.SeedAsync(scope.ServiceProvider.GetRequiredService<HubDbContext>(), app.Services.GetRequiredService<IOptions<HubOptions>>().Value,
            app.Services.GetRequiredService<SourceCredentialProtector>(), ct);
        await PeopleSeeder.SeedAsync(scope.ServiceProvider, app.Configuration, app.Logger, ct);
        await IngestStore.SyncStalenessAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), app.Services.GetRequiredService<IOptions<HubOptions>>().Value.Staleness, ct);
    }
}

/// <summary>The hub is at capacity: the caller should retry after a moment (503 + Retry-After).</summary>
public sealed class HubBusyException() : Exception("ingest capacity exhausted");
