using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DisasterHub.Api.Tests;

/// <summary>
/// The browser tests run on their own, one after another: headless chromium renders WebGL in software and wants the CPU,
/// and the pages' tests time what a user sees (the officer reads a clerk's change within a second), which other test
/// classes running beside them on a two-core machine would stretch (CI saw 1.5 s for what takes 0.25 s alone).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "browser";
}

/// <summary>
/// The web map in a real browser (Debian chromium driven by playwright-core through <c>tools/e2e-map.mjs</c>) against
/// a real hub: layers toggle, a click opens the pushed shelter's popup, the time slider re-sources the tiles as of an
/// instant, and a push shows up on the open page through the event stream.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class browser_map_should(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ShelterName = "ブラウザ試験避難所";
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(90);
    private HubServer _hub = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubServer.StartAsync();
        _key = await _hub.CreateKeyAsync("nanao-city", "push:shelters");
    }

    public Task DisposeAsync() => _hub.DisposeAsync().AsTask();

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "e2e-map.mjs")) && File.Exists(Path.Combine(dir.FullName, "package.json")))
                return dir.FullName;
        throw new InvalidOperationException($"tools/e2e-map.mjs not found above {AppContext.BaseDirectory}");
    }

    internal static string? OnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    [Fact]
    public async Task show_layers_popups_as_of_tiles_and_live_changes_in_chromium()
    {
        // What the browser needs is present: a missing piece fails the test (./hub installs all of it), never skips it.
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} is missing: install the Debian packages `chromium fonts-ipafont-gothic` (./hub does)");
        var node = OnPath("node");
        Assert.True(node is not null, "node is not on PATH (./hub installs it for the npm assets)");
        var root = RepoRoot();
        Assert.True(Directory.Exists(Path.Combine(root, "node_modules", "playwright-core")),
            $"{root}/node_modules/playwright-core is missing: run `npm ci` in {root} (./hub does)");

        // The page and its assets are served from the test's output folder.
        foreach (var path in new[] { "/", "/app.js", "/app.css", "/lib/maplibre-gl.js", "/lib/maplibre-gl.css", "/geodata/japan-outline.geojson" })
        {
            var r = await _hub.Http.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.OK,
                $"GET {path} answered {(int)r.StatusCode}: wwwroot/geodata must be copied to the test output ({AppContext.BaseDirectory})");
        }
        Assert.Contains("/app.js", await _hub.Http.GetStringAsync("/"));

        // A shelter pushed by 七尾市 a few minutes ago (the script pushes the next revision while the page watches).
        var observed = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        var doc = Encoding.UTF8.GetBytes($$"""
            {"municipality_code":"172022","observed_at":"{{observed}}","shelters":[
              {"id":"X1","name":"{{ShelterName}}","status":"開設","evacuees":120,"capacity":300,"lat":37.04826,"lon":136.96136}
            ]}
            """);
        var push = await _hub.PushAsync("nanao-status", _key, doc);
        Assert.True(push.StatusCode == HttpStatusCode.OK, await push.Content.ReadAsStringAsync());
        // the JMA Atom follower's state, as a pull leaves it (the follower itself: jma_atom_follower_should)
        await _hub.Db.ScalarAsync("""
            WITH u AS (UPDATE source SET cursor = '2026-11-22T00:00:00Z|x', follow_seen = 5, follow_fetched = 4, follow_duplicates = 1,
                publication_delay_ms = 4200 WHERE id = 'sim-warnings' RETURNING 1) SELECT count(*) FROM u
            """);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "map-e2e.png");
        File.Delete(screenshot);
        var baseUrl = _hub.BaseUrl.ToString().TrimEnd('/');
        var (exit, stdout, stderr) = await RunAsync(node!, root, [Path.Combine(root, "tools", "e2e-map.mjs"), baseUrl, screenshot, _key]);
        output.WriteLine(stdout);
        if (stderr.Length > 0) output.WriteLine(stderr);

        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        Assert.True(line is not null, $"e2e-map.mjs printed no JSON (exit {exit}):\n{stdout}\n{stderr}");
        var result = JsonDocument.Parse(line!).RootElement;
        Assert.True(exit == 0, $"e2e-map.mjs exited {exit}: {string.Join("; ", result.GetProperty("failures").EnumerateArray().Select(f => f.GetString()))}\n{stderr}");
        Assert.True(result.GetProperty("ok").GetBoolean());

        var steps = result.GetProperty("steps");
        Assert.Equal(ShelterName, result.GetProperty("shelter").GetProperty("name").GetString());
        Assert.All(steps.GetProperty("toggle").GetProperty("off").EnumerateArray(), v => Assert.Equal("none", v.GetString()));
        Assert.All(steps.GetProperty("toggle").GetProperty("on").EnumerateArray(), v => Assert.Equal("visible", v.GetString()));
        Assert.True(steps.GetProperty("popup").GetProperty("hasName").GetBoolean());
        Assert.Contains(ShelterName, steps.GetProperty("popup").GetProperty("text").GetString());
        var slider = steps.GetProperty("slider");
        Assert.NotEqual(slider.GetProperty("before").GetString(), slider.GetProperty("after").GetString());
        Assert.True(slider.GetProperty("atRequests").GetInt32() > 0);
        Assert.Contains("at=", slider.GetProperty("atSample").GetString());
        Assert.True(slider.GetProperty("backLive").GetBoolean());

        var live = steps.GetProperty("live");
        var entityKey = result.GetProperty("shelter").GetProperty("entityKey").GetString();
        Assert.Equal(entityKey, live.GetProperty("lastEvent").GetString());
        Assert.Equal("157", live.GetProperty("popupEvacuees").GetString()); // 120 + 37
        Assert.True(live.GetProperty("eventMs").GetInt32() <= 5000);
        Assert.Contains(ShelterName, live.GetProperty("indicator").GetString());
        Assert.Empty(result.GetProperty("pageErrors").EnumerateArray());
        Assert.Empty(result.GetProperty("foreignRequests").EnumerateArray()); // offline: no tile, glyph or sprite servers

        // the source's complete set then held another shelter only (?replace=true): the page heard this one leave,
        // closed its popup and stopped drawing it
        var withdraw = steps.GetProperty("withdraw");
        Assert.Equal(1, withdraw.GetProperty("answer").GetProperty("withdrawn").GetInt32());
        Assert.Equal("deleted", withdraw.GetProperty("lastEventKind").GetString());
        Assert.False(withdraw.GetProperty("popupOpen").GetBoolean());
        Assert.False(withdraw.GetProperty("stillDrawn").GetBoolean());

        // …and the hub agrees with what the page showed: the live state it withdrew had the 157 evacuees, and it is gone
        var items = JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_shelters/items?limit=100")).RootElement.GetProperty("features");
        Assert.DoesNotContain(items.EnumerateArray(), f => f.GetProperty("properties").GetProperty("entity_key").GetString() == entityKey);
        Assert.Equal(157L, await _hub.Db.ScalarAsync("SELECT (attrs->>'evacuees')::bigint FROM merged_feature_past WHERE entity_key = @k AND deleted", ("k", entityKey!)));

        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 20_000, $"no screenshot at {screenshot}");
    }

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string exe, string workDir, string[] args)
    {
        var psi = new ProcessStartInfo(exe, args)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(NodeTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            Assert.Fail($"{Path.GetFileName(exe)} {Path.GetFileName(args.FirstOrDefault() ?? "")} did not finish within {NodeTimeout.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
