using System.Collections.Concurrent;
using System.Reflection;

namespace DisasterHub.Data;

/// <summary>SQL lives in .sql files embedded in this assembly (STYLE.md); this reads them once.</summary>
public static class SqlFiles
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();
    private static readonly Assembly Asm = typeof(SqlFiles).Assembly;

    public static string Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        var resource = Asm.GetManifestResourceNames().SingleOrDefault(r => r.EndsWith($".Sql.{n}.sql", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"SQL file Sql/{n}.sql is not embedded");
        using var s = Asm.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    });

    internal static IEnumerable<(string Version, string Sql)> Migrations()
    {
        foreach (var r in Asm.GetManifestResourceNames().Where(r => r.Contains(".Migrations.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var s = Asm.GetManifestResourceStream(r)!;
            using var reader = new StreamReader(s);
            var file = r[(r.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
            yield return (file[..^4], reader.ReadToEnd());
        }
    }
}
