namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>The real feed files in ../shared/samples (never copied into the project).</summary>
public static class Samples
{
    public static string Dir { get; } = Find();

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("HUB_SAMPLES") is { Length: > 0 } env && Directory.Exists(env)) return Path.GetFullPath(env);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "samples");
            if (Directory.Exists(candidate)) return candidate;
            candidate = Path.Combine(d.FullName, "..", "shared", "samples");
            if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException("../shared/samples not found (set HUB_SAMPLES)");
    }

    public static string Path_(string relative) => Path.Combine(Dir, relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(Path.Combine(Dir, relative));
}
