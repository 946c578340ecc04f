using DisasterHub.Core;
using DisasterHub.Core.Checks;
using NetTopologySuite.IO;
using Npgsql;

namespace DisasterHub.Data;

/// <summary>
/// The imported boundaries (<c>municipality_boundary</c>) as the record checks' <see cref="IBoundaryLookup"/>: read into
/// memory once and again only when an import changed them (one cheap version query per document). With nothing
/// imported, the boundaries embedded in DisasterHub.Core stand in. A DI singleton.
/// </summary>
public sealed class BoundarySet : IDisposable
{
    private readonly SemaphoreSlim _reload = new(1, 1);
    private ((long, DateTime) Version, IBoundaryLookup Lookup)? _current;

    public void Dispose() => _reload.Dispose();

    public async Task<IBoundaryLookup> CurrentAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        var version = await BoundaryStore.VersionAsync(conn, tx, ct);
        if (_current is { } c && c.Version == version) return c.Lookup;
        await _reload.WaitAsync(ct);
        try
        {
            if (_current is { } again && again.Version == version) return again.Lookup;
            IBoundaryLookup lookup;
            if (version.Item1 == 0)
            {
                lookup = MunicipalBoundaries.LoadEmbedded();
            }
            else
            {
                var reader = new WKBReader();
                var cities = MunicipalBoundaries.DesignatedCities(MunicipalityDirectory.LoadEmbedded());
                var areas = (await BoundaryStore.ReadAllAsync(conn, tx, ct)).Select(row =>
                {
                    var g = reader.Read(row.Wkb);
                    g.SRID = 4326;
                    return new MunicipalArea(row.Code, row.Prefecture, row.Name, g) { IsDesignatedCity = cities.Contains(row.Code) };
                });
                lookup = new MunicipalBoundaries(areas);
            }
            _current = (version, lookup);
            return lookup;
        }
        finally
        {
            _reload.Release();
        }
    }
}
