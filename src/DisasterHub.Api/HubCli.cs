using System.Text.Json;
using DisasterHub.Api.Auth;
using DisasterHub.Core;
using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DisasterHub.Api;

/// <summary>The commands behind ./hub: serve (default), validate, keys, migrate.</summary>
public static class HubCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
        var rest = command == "serve" && (args.Length == 0 || args[0].StartsWith('-')) ? args : args[1..];
        try
        {
            return command switch
            {
                "serve" => await ServeAsync(rest),
                "validate" => Validate(rest, Console.Out),
                "keys" => await KeysAsync(rest, Console.Out),
                "orgs" => await OrgsAsync(rest, Console.Out),
                "sources" => await SourcesAsync(rest, Console.In, Console.Out),
                "people" => await PeopleAsync(rest, Console.In, Console.Out),
                "migrate" => await MigrateAsync(rest),
                "import" => await ImportAsync(rest, Console.Out),
                "drill" => await DrillAsync(rest, Console.Out),
                "export" => await ExportAsync(rest, Console.Out),
                _ => Usage($"unknown command '{command}'"),
            };
        }
        catch (CliException e)
        {
            return Usage(e.Message);
        }
    }

    public sealed class CliException(string message) : Exception(message);

    private static int Usage(string why)
    {
        Console.Error.WriteLine($"error: {why}");
        Console.Error.WriteLine("usage: hub [serve] | validate FILE [--format NAME] [--extent japan|world] [--with COMPANION] [--records] | keys create --org ID --scopes S1,S2 [--kind KIND] [--name NAME] [--jurisdiction C1,C2] [--label L] | keys list | keys revoke KEY_ID | people add EMAIL --org ID --role R1[,R2] [--name NAME] [--password-stdin] | people list | import boundaries FILE | drill create NAME | drill replay NAME --from T1 --to T2 [--speed N] | export --area PREF|--bbox W,S,E,N --out FILE.gpkg [--tiles FILE.mbtiles] [--maxzoom N] [--clearance public|responders|restricted] [--workspace NAME] | migrate");
        return 2;
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        var app = HubApp.Build(args);
        await HubApp.PrepareAsync(app);
        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // another process holds the port: one line, no stack trace (./hub picks free ports; this is the race)
            Console.Error.WriteLine($"error: {e.Message}");
            return 98;
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0) return null;
        if (i + 1 >= args.Length) throw new CliException($"{name} needs a value");
        return args[i + 1];
    }

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Offline parse of a feed file: one JSON object on stdout; exit 0 for a known format, 2 otherwise — always, even
    /// when a parser or a shared check throws something unexpected (that is reported as JSON with exit 2, never as a
    /// stack trace and an abort).
    /// </summary>
    public static int Validate(string[] args, TextWriter output)
    {
        try
        {
            return ValidateCore(args, output);
        }
        catch (CliException e)
        {
            return Fail(output, null, e.Message);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"validate: {e.GetType().Name}: {e.Message}");
            var i = Array.IndexOf(args, "--format");
            return Fail(output, i >= 0 && i + 1 < args.Length ? args[i + 1] : null, $"the document could not be checked: internal error ({e.GetType().Name})");
        }
    }

    private static int ValidateCore(string[] args, TextWriter output)
    {
        var file = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        // positional FILE is the first arg that is not an option value
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--records") continue; // a flag without a value
            if (args[i].StartsWith("--", StringComparison.Ordinal)) { i++; continue; }
            file = args[i];
            break;
        }
        if (file is null) throw new CliException("validate needs a FILE");
        var formatName = Option(args, "--format");
        var extent = (Option(args, "--extent") ?? "japan") switch
        {
            "world" => ServiceExtent.World,
            "japan" => ServiceExtent.Japan,
            var other => throw new CliException($"--extent must be japan or world, not '{other}'"),
        };
        var companions = new Dictionary<string, ReadOnlyMemory<byte>>();
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--with")
            {
                if (!File.Exists(args[i + 1])) return Fail(output, formatName, $"companion file not readable: {args[i + 1]}");
                companions[Path.GetFileName(args[i + 1])] = File.ReadAllBytes(args[i + 1]);
            }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(output, formatName, $"file not readable: {e.Message}");
        }

        var formats = IngestionServices.CreateFormats(IngestionServices.LoadCatalogue(Settings()));
        var parser = formatName is null ? formats.Detect(bytes, Path.GetFileName(file)) : formats.Find(formatName);
        if (parser is null) return Fail(output, formatName, formatName is null ? "format not recognised" : $"unknown format '{formatName}'");
        var context = new ParseContext { FileName = Path.GetFileName(file), Extent = extent, Companions = companions, ReceivedAt = DateTimeOffset.UtcNow };
        try
        {
            var result = formats.Parse(parser, bytes, context);
            if (args.Contains("--records"))
            {
                // The records it would store, as GeoJSON; the summary as foreign members of the collection.
                var collection = RecordsGeoJson.Collection(result.Records);
                collection["format"] = parser.Format;
                collection["layer"] = parser.Layer;
                collection["encoding"] = result.Encoding;
                collection["accepted"] = result.Records.Count;
                collection["rejected"] = result.Rejections.Count;
                collection["rejections"] = new System.Text.Json.Nodes.JsonArray([.. result.Rejections.Select(r => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["at"] = r.At, ["reason"] = r.Reason })]);
                output.WriteLine(collection.ToJsonString(Json));
                return 0;
            }
            output.WriteLine(JsonSerializer.Serialize(new
            {
                format = parser.Format,
                layer = parser.Layer,
                encoding = result.Encoding,
                accepted = result.Records.Count,
                rejected = result.Rejections.Count,
                rejections = result.Rejections.Take(20).Select(r => new { at = r.At, reason = r.Reason }),
            }, Json));
            return 0;
        }
        catch (UnparseableDocumentException e)
        {
            // Read as this format, but the document as a whole is broken: it is known, and rejected whole.
            output.WriteLine(JsonSerializer.Serialize(new
            {
                format = parser.Format,
                layer = parser.Layer,
                accepted = 0,
                rejected = 1,
                rejections = new[] { new { at = e.At, reason = e.Reason } },
            }, Json));
            return 0;
        }
    }

    private static int Fail(TextWriter output, string? format, string reason)
    {
        output.WriteLine(JsonSerializer.Serialize(new { format, accepted = 0, rejected = 0, error = reason, rejections = Array.Empty<object>() }, Json));
        return 2;
    }

    private static async Task<T> WithDbAsync<T>(string[] args, Func<HubDbContext, NpgsqlDataSource, Task<T>> action)
    {
        var config = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(HubApp.DbOption(args)).Build();
        await using var ds = DataServices.Build(HubApp.ConnectionString(config));
        await Migrator.MigrateAsync(ds);
        await using var db = new HubDbContext(((DbContextOptionsBuilder<HubDbContext>)DataServices.Configure(new DbContextOptionsBuilder<HubDbContext>(), ds)).Options);
        return await action(db, ds);
    }

    /// <summary>
    /// <c>export --area PREF|--bbox W,S,E,N --out FILE.gpkg [--tiles FILE.mbtiles] [--maxzoom N] [--clearance L]
    /// [--workspace W]</c>: the offline bundle of an area, as <c>GET /api/v1/exports/…</c> makes it, under the hub's
    /// configured sharing rules at the clearance given (public unless asked).
    /// </summary>
    public static Task<int> ExportAsync(string[] args, TextWriter output)
    {
        var (area, problem) = Exports.ExportArea.Parse(Option(args, "--area"), Option(args, "--bbox"));
        if (area is null) throw new CliException(problem!);
        var gpkg = Option(args, "--out") ?? throw new CliException("export needs --out FILE.gpkg");
        var tilesPath = Option(args, "--tiles");
        var maxZoom = Option(args, "--maxzoom") is not { } mz ? Exports.AreaExport.DefaultMaxZoom
            : int.TryParse(mz, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var z) && z <= Exports.AreaExport.MaxZoom
                ? z : throw new CliException($"--maxzoom must be an integer 0–{Exports.AreaExport.MaxZoom}");
        var clearanceName = Option(args, "--clearance") ?? Classifications.Public;
        if (!ClassificationPolicy.IsLevel(clearanceName)) throw new CliException("--clearance must be public, responders or restricted");
        var workspace = Option(args, "--workspace") ?? "live";
        return WithDbAsync(args, async (_, ds) =>
        {
            var config = Settings();
            var catalogue = IngestionServices.LoadCatalogue(config);
            var policy = IngestionServices.SharingRules(config, catalogue);
            var export = new Exports.AreaExport(new ExportQueries(ds), new TileQueries(ds), TimeProvider.System, catalogue);
            var clearance = policy.ClearanceUpTo(clearanceName);
            try
            {
                var s = await export.WriteGeoPackageAsync(Path.GetFullPath(gpkg), area, clearance, workspace, CancellationToken.None);
                output.WriteLine($"{s.Path}: {string.Join(", ", s.Features.Select(f => $"{f.Key} {f.Value}"))}, municipalities {s.Boundaries} ({area.Label}, {workspace}, clearance {clearanceName}, {s.GeneratedAt:yyyy-MM-ddTHH:mm:ssZ})");
                if (tilesPath is not null)
                {
                    var t = await export.WriteMbTilesAsync(Path.GetFullPath(tilesPath), area, clearance, workspace, maxZoom, CancellationToken.None);
                    output.WriteLine($"{t.Path}: {t.Tiles} tiles z0–z{maxZoom}");
                }
                foreach (var src in s.Sources) output.WriteLine($"  source {src.Id}: {src.Name} — licence: {src.License ?? "not stated"}");
                return 0;
            }
            catch (Exports.ExportAreaException e)
            {
                throw new CliException(e.Message);
            }
        });
    }

    private static Task<int> MigrateAsync(string[] args) => WithDbAsync(args, (_, _) => Task.FromResult(0));

    /// <summary><c>drill create NAME</c>, <c>drill replay NAME --from T1 --to T2 [--speed 60]</c>.</summary>
    public static Task<int> DrillAsync(string[] args, TextWriter output)
    {
        if (args is not [var sub, var name, ..] || sub is not ("create" or "replay"))
            throw new CliException("usage: drill create NAME [--org ID[,ID]] | drill replay NAME --from T1 --to T2 [--speed N]");
        return WithDbAsync(args, async (db, ds) =>
        {
            if (sub == "create")
            {
                try
                {
                    var orgs = Option(args, "--org")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                    await DrillStore.CreateAsync(ds, name, orgs);
                }
                catch (Exception e) when (e is ArgumentException or PostgresException)
                {
                    throw new CliException($"cannot create drill '{name}': {(e is PostgresException { SqlState: "23503" } ? "--org names an organization the hub does not know" : e is PostgresException ? "name must be lower-case letters, digits, - or _" : e.Message)}");
                }
                db.Audit.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Action = "drill.create", Target = name, ClientAddress = "cli",
                    Detail = Option(args, "--org") is { } members ? JsonSerializer.Serialize(new { organizations = members }) : "{}" });
                await db.SaveChangesAsync();
                output.WriteLine($"drill workspace '{name}' ready{(Option(args, "--org") is { } o ? $" for {o}" : "")}: push with ?workspace={name}, read with ?workspace={name}");
                return 0;
            }
            if (!DateTimeOffset.TryParse(Option(args, "--from"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var from)
                || !DateTimeOffset.TryParse(Option(args, "--to"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var to))
                throw new CliException("drill replay needs --from and --to (ISO 8601 times)");
            var speed = double.TryParse(Option(args, "--speed") ?? "60", System.Globalization.CultureInfo.InvariantCulture, out var sp) ? sp : 60;
            try
            {
                var stats = await DrillStore.ReplayAsync(ds, name, from, to, speed, TimeProvider.System);
                db.Audit.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Action = "drill.replay", Target = name, ClientAddress = "cli",
                    Detail = JsonSerializer.Serialize(new { from, to, speed, stats.Batches, stats.Records }) });
                await db.SaveChangesAsync();
                output.WriteLine($"replayed {stats.Records} records in {stats.Batches} batches into '{name}' in {stats.Elapsed.TotalSeconds:0.0} s");
                return 0;
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }
        });
    }

    /// <summary><c>import boundaries FILE</c>: N03 GeoJSON or TopoJSON into municipality_boundary.</summary>
    public static Task<int> ImportAsync(string[] args, TextWriter output)
    {
        if (args is not ["boundaries", var file, ..]) throw new CliException("usage: import boundaries FILE");
        if (!File.Exists(file)) throw new CliException($"file not readable: {file}");
        return WithDbAsync(args, async (db, ds) =>
        {
            List<BoundaryPart> parts;
            int skipped;
            try
            {
                (parts, skipped) = BoundaryReader.Read(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is JsonException or UnparseableDocumentException or KeyNotFoundException or InvalidOperationException)
            {
                throw new CliException($"{file} is not N03 GeoJSON/TopoJSON: {e.Message}");
            }
            var n = await BoundaryStore.ImportAsync(ds, parts, Path.GetFileName(file), DateTimeOffset.UtcNow);
            db.Audit.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Action = "boundaries.import", Target = Path.GetFileName(file), ClientAddress = "cli", Detail = JsonSerializer.Serialize(new { municipalities = n, parts = parts.Count, skipped }) });
            await db.SaveChangesAsync();
            output.WriteLine($"imported {n} municipalities from {parts.Count} parts ({skipped} parts without a code skipped)");
            return 0;
        });
    }

    /// <summary>
    /// <c>people add EMAIL --org ID --role R1[,R2] [--name NAME] [--password-stdin]</c> (without a password on stdin one is
    /// generated and shown once) and <c>people list</c>: people who sign in, through Identity's own user manager (its
    /// password hashing and rules), as <c>Hub:People</c> seeds them.
    /// </summary>
    public static Task<int> PeopleAsync(string[] args, TextReader input, TextWriter output)
    {
        var sub = args.FirstOrDefault() ?? throw new CliException("people needs add or list");
        return WithDbAsync(args, async (db, ds) =>
        {
            var config = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System).AddSingleton(ds)
                .AddDbContext<HubDbContext>(o => DataServices.Configure(o, ds));
            services.AddDataProtection();
            services.AddHubPeople(config);
            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Person>>();
            switch (sub)
            {
                case "add":
                {
                    var email = args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? throw new CliException("people add needs an EMAIL");
                    var generated = !args.Contains("--password-stdin");
                    var password = generated
                        ? Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(15)).Replace('+', '-').Replace('/', '_')
                        : (await input.ReadLineAsync())?.TrimEnd('\r') ?? "";
                    var person = new PersonConfig
                    {
                        Email = email, Name = Option(args, "--name"), Organization = Option(args, "--org") ?? throw new CliException("people add needs --org"),
                        Roles = [.. (Option(args, "--role") ?? throw new CliException($"people add needs --role ({string.Join(", ", HubRoles.All)})")).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                        Password = password,
                    };
                    var registry = new PeopleRegistry(users, scope.ServiceProvider.GetRequiredService<HubDbContext>(), TimeProvider.System);
                    var (_, error) = await registry.CreateAsync(person, default);
                    if (error is not null) throw new CliException($"people add {email}: {error.Field}: {error.Detail}");
                    db.Audit.Add(new AuditEntry { At = DateTimeOffset.UtcNow, OrganizationId = person.Organization, Person = email, Action = "people.add", Target = email, ClientAddress = "cli", Detail = JsonSerializer.Serialize(new { roles = person.Roles }) });
                    await db.SaveChangesAsync();
                    output.WriteLine($"person:  {email}");
                    output.WriteLine($"org:     {person.Organization}");
                    output.WriteLine($"roles:   {string.Join(',', person.Roles)}");
                    if (generated) output.WriteLine($"password (shown once): {password}");
                    return 0;
                }
                case "list":
                {
                    output.WriteLine($"{"email",-36} {"org",-20} {"roles",-20} {"totp",-5} locked_until");
                    foreach (var p in users.Users.OrderBy(p => p.Email).ToList())
                        output.WriteLine($"{p.Email,-36} {p.OrganizationId,-20} {string.Join(',', await users.GetRolesAsync(p)),-20} {(p.TwoFactorEnabled ? "yes" : "no"),-5} {(p.LockoutEnd is { } l && l > DateTimeOffset.UtcNow ? l.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : "-")}");
                    return 0;
                }
                default:
                    throw new CliException($"unknown people command '{sub}'");
            }
        });
    }

    public static Task<int> KeysAsync(string[] args, TextWriter output)
    {
        var sub = args.FirstOrDefault() ?? throw new CliException("keys needs create, list or revoke");
        return WithDbAsync(args, async (db, _) =>
        {
            var now = DateTimeOffset.UtcNow;
            switch (sub)
            {
                case "create":
                {
                    var orgId = Option(args, "--org") ?? throw new CliException("keys create needs --org");
                    var scopes = (Option(args, "--scopes") ?? throw new CliException("keys create needs --scopes")).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var keys = new KeyRegistry(db, IngestionServices.LoadCatalogue(Settings()), TimeProvider.System);
                    foreach (var s in scopes)
                        if (!keys.IsKnownScope(s)) throw new CliException($"unknown scope '{s}' ({KeyRegistry.ScopeHelp})");
                    var org = await db.Organizations.FindAsync(orgId);
                    if (org is null)
                    {
                        var kind = Option(args, "--kind") ?? throw new CliException($"organization '{orgId}' does not exist: give --kind (national, prefecture, municipality, public_institution, app_developer) to create it");
                        db.Organizations.Add(new Organization
                        {
                            Id = orgId, Name = Option(args, "--name") ?? orgId, Kind = kind, CreatedAt = now,
                            JurisdictionCodes = (Option(args, "--jurisdiction") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        });
                        await db.SaveChangesAsync(); // the key's foreign key needs the organization first
                    }
                    var (row, token, keyError) = await keys.CreateAsync(orgId, scopes, Option(args, "--label"), default);
                    if (keyError is not null) throw new CliException($"keys create: {keyError.Field}: {keyError.Detail}");
                    db.Audit.Add(new AuditEntry { At = now, OrganizationId = orgId, ApiKeyId = row!.Id, Action = "keys.create", Target = row.Id, ClientAddress = "cli", Detail = JsonSerializer.Serialize(new { scopes }) });
                    await db.SaveChangesAsync();
                    output.WriteLine($"key id:  {row.Id}");
                    output.WriteLine($"org:     {orgId}");
                    output.WriteLine($"scopes:  {string.Join(',', row.Scopes)}");
                    output.WriteLine($"secret (shown once): {token}");
                    return 0;
                }
                case "list":
                    output.WriteLine($"{"id",-16} {"org",-20} {"created",-22} {"revoked",-22} scopes");
                    foreach (var k in await new KeyRegistry(db, IngestionServices.LoadCatalogue(Settings()), TimeProvider.System).ListAsync(default))
                        output.WriteLine($"{k.Id,-16} {k.OrganizationId,-20} {k.CreatedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}   {(k.RevokedAt is { } r ? r.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ") : "-"),-22} {string.Join(',', k.Scopes)}");
                    return 0;
                case "revoke":
                {
                    var id = args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? throw new CliException("keys revoke needs a key id");
                    var (key, revokeError) = await new KeyRegistry(db, IngestionServices.LoadCatalogue(Settings()), TimeProvider.System).RevokeAsync(id, default);
                    if (key is null) throw new CliException(revokeError!.Detail);
                    db.Audit.Add(new AuditEntry { At = now, OrganizationId = key.OrganizationId, ApiKeyId = key.Id, Action = "keys.revoke", Target = key.Id, ClientAddress = "cli" });
                    await db.SaveChangesAsync();
                    output.WriteLine($"revoked {id}");
                    return 0;
                }
                default:
                    throw new CliException($"unknown keys command '{sub}'");
            }
        });
    }

    /// <summary><c>./hub orgs add|list</c>: through <see cref="OrganizationRegistry"/>, the API's own checks.</summary>
    public static Task<int> OrgsAsync(string[] args, TextWriter output)
    {
        var sub = args.FirstOrDefault() ?? throw new CliException("orgs needs add or list");
        return WithDbAsync(args, async (db, _) =>
        {
            switch (sub)
            {
                case "add":
                {
                    var id = Positional(args) ?? throw new CliException("orgs add needs an id");
                    var registry = new OrganizationRegistry(db, MunicipalityDirectory.LoadEmbedded(), TimeProvider.System);
                    var (row, error) = await registry.CreateAsync(new OrganizationChange(id, Option(args, "--name"), Option(args, "--kind") ?? throw new CliException("orgs add needs --kind"),
                        Option(args, "--jurisdiction")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)), default);
                    if (error is not null) throw new CliException($"{error.Field}: {error.Detail}");
                    await AuditCliAsync(db, "organizations.create", row!.Id);
                    output.WriteLine($"added organization {row.Id} ({row.Kind})");
                    return 0;
                }
                case "list":
                    output.WriteLine($"{"id",-24} {"kind",-20} {"name",-30} jurisdiction");
                    foreach (var o in await db.Organizations.AsNoTracking().OrderBy(o => o.Id).ToListAsync())
                        output.WriteLine($"{o.Id,-24} {o.Kind,-20} {o.Name,-30} {string.Join(',', o.JurisdictionCodes)}");
                    return 0;
                default:
                    throw new CliException($"unknown orgs command '{sub}'");
            }
        });
    }

    /// <summary>
    /// <c>./hub sources add|list|disable|enable|withdraw</c>: through <see cref="SourceRegistry"/>, the API's own checks. The CLI
    /// has no scheduler: every running node's schedule watchdog writes (or removes) the recurring job within its interval.
    /// </summary>
    public static Task<int> SourcesAsync(string[] args, TextReader input, TextWriter output)
    {
        var sub = args.FirstOrDefault() ?? throw new CliException("sources needs add, list, disable, enable or withdraw");
        return WithDbAsync(args, async (db, ds) =>
        {
            var catalogue = IngestionServices.LoadCatalogue(Settings());
            // the feed credentials' key ring is the hub's own (in the database), so every node can decrypt what the CLI stored
            var services = new ServiceCollection().AddLogging().AddDbContext<HubDbContext>(o => DataServices.Configure(o, ds));
            await using var provider = IngestionServices.AddCredentialProtection(services).BuildServiceProvider();
            var registry = new SourceRegistry(db, IngestionServices.CreateFormats(catalogue), catalogue, TimeProvider.System,
                provider.GetRequiredService<SourceCredentialProtector>());
            switch (sub)
            {
                case "add":
                {
                    var id = Positional(args) ?? throw new CliException("sources add needs an id");
                    var (row, error) = await registry.CreateAsync(new SourceChange(id, Option(args, "--name"), Option(args, "--kind"), Option(args, "--format"),
                        Option(args, "--layer"), Option(args, "--url"), IntOption(args, "--schedule"), IntOption(args, "--priority"), Option(args, "--owner"),
                        args.Contains("--internal") ? true : null, Option(args, "--workspace"), IntOption(args, "--expected-interval"),
                        Option(args, "--license"), Option(args, "--attribution"), Option(args, "--exercise-workspace"),
                        Follow: CliFollow(args), Credentials: CliCredentials(args, input), Replaces: args.Contains("--replaces") ? true : null), default);
                    if (error is not null) throw new CliException($"{error.Field}: {error.Detail}");
                    await AuditCliAsync(db, "sources.create", row!.Id);
                    output.WriteLine($"added {row.Kind} source {row.Id} ({row.Format} → {row.Layer}{(row.ScheduleSeconds is { } s ? $", every {s} s" : "")}" +
                        $"{(row.Credentials is null ? "" : ", credentials stored encrypted")})");
                    return 0;
                }
                case "disable" or "enable":
                {
                    var id = Positional(args) ?? throw new CliException($"sources {sub} needs an id");
                    var (_, error) = await registry.SetEnabledAsync(id, sub == "enable", default);
                    if (error is not null) throw new CliException($"{error.Field}: {error.Detail}");
                    await AuditCliAsync(db, $"sources.{sub}", id);
                    output.WriteLine($"{sub}d {id}");
                    return 0;
                }
                case "withdraw":
                {
                    // every current feature of the source withdrawn, kept in history (POST /api/v1/sources/{id}/withdraw)
                    var id = Positional(args) ?? throw new CliException("sources withdraw needs an id");
                    var row = await db.Sources.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id) ?? throw new CliException($"id: no source '{id}'");
                    var done = await IngestStore.WithdrawAllAsync(ds, id, row.ExpectedIntervalSeconds, Settings().GetSection(HubOptions.Section).Get<HubOptions>()?.Staleness,
                        TimeProvider.System, default);
                    await AuditCliAsync(db, "sources.withdraw", id);
                    output.WriteLine($"withdrew {done.Sum(w => w.Withdrawn)} current features of {id}" +
                        (done.Count == 0 ? "" : $" ({string.Join(", ", done.Select(w => $"{w.Workspace}: {w.Withdrawn}"))})"));
                    return 0;
                }
                case "list":
                    output.WriteLine($"{"id",-28} {"kind",-5} {"enabled",-8} {"format",-24} {"layer",-20} {"every",-7} owner");
                    foreach (var x in await db.Sources.AsNoTracking().OrderBy(x => x.Id).ToListAsync())
                        output.WriteLine($"{x.Id,-28} {x.Kind,-5} {(x.Enabled ? "yes" : "no"),-8} {x.Format,-24} {x.Layer,-20} {(x.ScheduleSeconds is { } e ? e + "s" : "-"),-7} {x.OwnerOrgId ?? "-"}");
                    return 0;
                default:
                    throw new CliException($"unknown sources command '{sub}'");
            }
        });
    }

    /// <summary><c>--pointer-url U [--pointer-field F] [--pointer-step S]</c>, <c>--telegrams VPWW54,VXSE5* [--backfill-url U]</c>.</summary>
    private static SourceFollow? CliFollow(string[] args)
    {
        var f = new SourceFollow(Option(args, "--pointer-url"), Option(args, "--pointer-field"), IntOption(args, "--pointer-step"),
            Option(args, "--telegrams")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Option(args, "--backfill-url"));
        return f == new SourceFollow() ? null : f;
    }

    /// <summary>
    /// <c>--credential-header NAME</c>, <c>--credential-query NAME</c> or <c>--credential-user NAME</c>, the secret (value
    /// or password) read from stdin's first line: never from the command line, where it would land in shell history.
    /// </summary>
    private static SourceCredentials? CliCredentials(string[] args, TextReader input)
    {
        var (header, query, user) = (Option(args, "--credential-header"), Option(args, "--credential-query"), Option(args, "--credential-user"));
        if (header is null && query is null && user is null) return null;
        var secret = input.ReadLine() ?? throw new CliException("the credential's secret is read from stdin: none was given");
        return user is not null ? new SourceCredentials { Username = user, Password = secret, Header = header, Query = query }
            : new SourceCredentials { Header = header, Query = query, Value = secret };
    }

    private static string? Positional(string[] args)
    {
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal)) { if (args[i] is not ("--internal" or "--replaces")) i++; continue; }
            return args[i];
        }
        return null;
    }

    private static int? IntOption(string[] args, string name) =>
        Option(args, name) is not { } v ? null : int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : throw new CliException($"{name} must be a whole number, not '{v}'");

    private static async Task AuditCliAsync(HubDbContext db, string action, string target)
    {
        db.Audit.Add(new AuditEntry { At = DateTimeOffset.UtcNow, Action = action, Target = target, ClientAddress = "cli" });
        await db.SaveChangesAsync();
    }

    /// <summary>The hub's settings as a command sees them: appsettings.json beside the binary, then the environment (Hub__LayerCatalogue …).</summary>
    private static IConfiguration Settings() =>
        new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().Build();
}
