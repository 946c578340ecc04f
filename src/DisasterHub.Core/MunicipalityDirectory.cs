using System.Text;

namespace DisasterHub.Core;

/// <summary>One row of the municipality directory.</summary>
/// <param name="Type">"prefecture", "municipality" or "ward" (designated-city ward; Name includes the city).</param>
public sealed record MunicipalityEntry(string Code, string Prefecture, string Name, string? Kana, string Type)
{
    public bool IsPrefecture => Type == "prefecture";

    /// <summary>"東京都千代田区"; a prefecture's full name is its own name.</summary>
    public string FullName => IsPrefecture ? Prefecture : Prefecture + Name;
}

/// <summary>
/// 全国地方公共団体コード ↔ names, from <c>geodata/municipalities.tsv</c> (see geodata/README.md). Used to resolve a code
/// when a feed names the municipality but carries no code column.
/// </summary>
public sealed class MunicipalityDirectory
{
    private readonly Dictionary<string, MunicipalityEntry> _byCode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MunicipalityEntry> _byFullName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<MunicipalityEntry>> _byPrefecture = new(StringComparer.Ordinal);

    private static readonly Lazy<MunicipalityDirectory> Embedded = new(() =>
    {
        using var stream = typeof(MunicipalityDirectory).Assembly.GetManifestResourceStream("DisasterHub.Core.municipalities.tsv")
            ?? throw new InvalidOperationException("embedded resource municipalities.tsv is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var directory = new MunicipalityDirectory(reader.ReadToEnd());
        using var points = typeof(MunicipalityDirectory).Assembly.GetManifestResourceStream("DisasterHub.Core.municipality-points.tsv")
            ?? throw new InvalidOperationException("embedded resource municipality-points.tsv is missing");
        using var pointReader = new StreamReader(points, Encoding.UTF8);
        directory.AddPoints(pointReader.ReadToEnd());
        return directory;
    });

    private readonly Dictionary<string, (double Lon, double Lat)> _points = new(StringComparer.Ordinal);

    /// <summary>Adds representative points: lines "code6 TAB lon TAB lat" ('#' comments and a header allowed).</summary>
    public void AddPoints(string tsv)
    {
        foreach (var rawLine in tsv.Split('\n'))
        {
            var f = rawLine.TrimEnd('\r').Split('\t');
            if (f.Length < 3 || f[0].StartsWith('#')) continue;
            if (double.TryParse(f[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lon)
                && double.TryParse(f[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lat))
                _points[f[0]] = (lon, lat);
        }
    }

    /// <summary>A point inside the municipality (or prefecture), for records a feed locates only by its code.</summary>
    public bool TryGetPoint(string code6, out double lon, out double lat)
    {
        var found = _points.TryGetValue(code6, out var p);
        (lon, lat) = p;
        return found;
    }

    /// <param name="tsv">Lines "code6 TAB prefecture TAB name [TAB kana [TAB type]]"; '#' lines are comments.</param>
    public MunicipalityDirectory(string tsv)
    {
        var lineNo = 0;
        foreach (var rawLine in tsv.Split('\n'))
        {
            lineNo++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split('\t');
            if (f.Length < 3)
                throw new FormatException($"municipalities line {lineNo}: expected code<TAB>prefecture<TAB>name");
            if (!MunicipalityCode.TryNormalize(f[0], out var code, out var error))
                throw new FormatException($"municipalities line {lineNo}: {error}");
            var type = f.Length > 4 && f[4].Length > 0 ? f[4] : code.EndsWith("0000", StringComparison.Ordinal) || code[2..5] == "000" ? "prefecture" : "municipality";
            var entry = new MunicipalityEntry(code, f[1], f[2], f.Length > 3 && f[3].Length > 0 ? f[3] : null, type);
            _byCode[code] = entry;
            _byFullName.TryAdd(NameNormalizer.Normalize(entry.FullName), entry);
            if (!entry.IsPrefecture)
            {
                var key = NameNormalizer.Normalize(entry.Prefecture);
                if (!_byPrefecture.TryGetValue(key, out var list)) _byPrefecture[key] = list = [];
                list.Add(entry);
            }
        }
        foreach (var list in _byPrefecture.Values) list.Sort((a, b) => b.Name.Length.CompareTo(a.Name.Length));
    }

    /// <summary>The directory compiled into this assembly (geodata/municipalities.tsv).</summary>
    public static MunicipalityDirectory LoadEmbedded() => Embedded.Value;

    public int Count => _byCode.Count;

    public IEnumerable<MunicipalityEntry> Entries => _byCode.Values;

    public MunicipalityEntry? Get(string code6) => _byCode.GetValueOrDefault(code6);

    public bool TryGet(string code6, out MunicipalityEntry entry) => _byCode.TryGetValue(code6, out entry!);

    /// <summary>
    /// The designated city (政令指定都市) a ward belongs to: the municipality of the same prefecture whose name the
    /// ward's name starts with ("札幌市中央区" → 札幌市) and whose code comes just before it. Null for anything but a ward.
    /// </summary>
    /// <remarks>Wards are where N03 draws designated cities, but a city reports and sets up its 災害対策本部 as one.</remarks>
    public MunicipalityEntry? CityOf(MunicipalityEntry ward)
    {
        if (ward.Type != "ward") return null;
        MunicipalityEntry? best = null;
        foreach (var e in _byCode.Values)
            if (e.Type == "municipality" && e.Prefecture == ward.Prefecture && ward.Name.StartsWith(e.Name, StringComparison.Ordinal)
                && string.CompareOrdinal(e.Code, ward.Code) < 0 && (best is null || string.CompareOrdinal(e.Code, best.Code) > 0))
                best = e;
        return best;
    }

    /// <summary>By prefecture and municipality name ("石川県", "七尾市"); a municipality may also carry the prefecture.</summary>
    public MunicipalityEntry? Find(string? prefecture, string? municipality)
    {
        var p = NameNormalizer.Normalize(prefecture);
        var m = NameNormalizer.Normalize(municipality);
        if (m.Length == 0) return p.Length == 0 ? null : _byFullName.GetValueOrDefault(p);
        if (_byFullName.TryGetValue(p + m, out var e)) return e;
        if (p.Length > 0 && m.StartsWith(p, StringComparison.Ordinal) && _byFullName.TryGetValue(m, out e)) return e;
        return FindByAddress(p.Length > 0 && !m.StartsWith(p, StringComparison.Ordinal) ? p + m : m);
    }

    /// <summary>By full name "東京都千代田区".</summary>
    public MunicipalityEntry? FindByFullName(string? fullName) =>
        _byFullName.GetValueOrDefault(NameNormalizer.Normalize(fullName));

    /// <summary>
    /// The municipality an address starts with ("石川県七尾市本府中町ヲ38" → 七尾市), longest name first, skipping a
    /// 郡 ("北海道石狩郡当別町…"). Null when the address does not start with a prefecture the directory knows.
    /// </summary>
    public MunicipalityEntry? FindByAddress(string? address)
    {
        var a = NameNormalizer.Normalize(address);
        foreach (var (pref, list) in _byPrefecture)
        {
            if (!a.StartsWith(pref, StringComparison.Ordinal)) continue;
            var rest = a[pref.Length..];
            var gun = rest.IndexOf('郡', StringComparison.Ordinal);
            foreach (var e in list)
            {
                var name = NameNormalizer.Normalize(e.Name);
                if (rest.StartsWith(name, StringComparison.Ordinal)) return e;
                if (gun > 0 && gun < 6 && rest.AsSpan(gun + 1).StartsWith(name, StringComparison.Ordinal)) return e;
            }
            return null;
        }
        return null;
    }
}
