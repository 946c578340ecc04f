using DisasterHub.Core;

namespace DisasterHub.Testing;

/// <summary>Locates the real samples in X/shared/samples (the repository sits at X/main).</summary>
public static class SampleFiles
{
    private static readonly Lazy<string?> RootDir = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "samples"), Path.Combine(dir.FullName, "..", "shared", "samples") })
                if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return null;
    });

    public static string? Root => RootDir.Value;

    public static string PathOf(string relative) =>
        Path.Combine(Root ?? throw new InvalidOperationException("shared/samples not found"), relative);

    public static byte[] Read(string relative) => File.ReadAllBytes(PathOf(relative));

    public static IEnumerable<string> In(string folder) =>
        Root is null ? [] : Directory.EnumerateFiles(PathOf(folder)).Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal);
}

/// <summary>A fact that needs the real samples; skipped when ../shared/samples is absent.</summary>
public sealed class SampleFactAttribute : FactAttribute
{
    public SampleFactAttribute()
    {
        if (SampleFiles.Root is null) Skip = "shared/samples not found next to the repository";
    }
}

/// <summary>Our own fictional fixtures (Fixtures/README.md).</summary>
public static class Fixtures
{
    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public static ParseContext Context(string? fileName = null) => new()
    {
        ReceivedAt = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
        FileName = fileName,
    };
}
