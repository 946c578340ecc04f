using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace DisasterHub.Simulator;

/// <summary>
/// JMA 防災情報XML the way JMA publishes it (PULL型): Atom feeds — <c>regular</c>, <c>extra</c>, <c>eqvol</c>,
/// <c>other</c>, each holding only its latest entries, and a long-period <c>_l</c> twin holding them all — whose
/// entries link to one telegram each under <c>/feeds/jma/data/</c>. The telegrams are the scenario's warning
/// telegrams (one per phase, as it reaches it), its earthquake's 震度速報 and 震源・震度に関する情報, its river's
/// 指定河川洪水予報, a burst the control endpoint asks for (a run of 続報, for failover
/// drills), and, when the simulator is given a directory (<c>JmaSamples</c>, tests: <c>../shared/samples/jma-xml</c>),
/// the telegrams in it, dated by their own <c>Control/DateTime</c>.
/// </summary>
public sealed class JmaFeeds(Scenario scenario, TimeProvider clock, string? samplesDirectory, int feedSize)
{
    public sealed record Entry(string Name, string Feed, string Title, string Author, DateTimeOffset Updated, Func<byte[]> Body);

    public static readonly string[] FeedNames = ["regular", "extra", "eqvol", "other"];

    private readonly object _gate = new();
    private readonly List<Entry> _burst = [];
    private readonly Lazy<List<Entry>> _samples = new(() => LoadSamples(samplesDirectory));

    /// <summary>Every entry published so far, oldest first.</summary>
    public List<Entry> All()
    {
        var list = new List<Entry>();
        foreach (var phase in Scenario.WarningPhases.Where(p => p <= scenario.Step))
        {
            var at = scenario.TimeAt(phase);
            list.Add(new Entry($"{Stamp(at)}_0_VPWW54_170000.xml", "extra", "気象特別警報・警報・注意報", "演習地方気象台", at, () => scenario.WarningsXml(phase)));
        }
        foreach (var (step, code, title) in Scenario.QuakeTelegrams.Where(q => q.Step <= scenario.Step))
        {
            var at = scenario.TimeAt(step);
            list.Add(new Entry($"{Stamp(at)}_0_{code}_.xml", "eqvol", title, "気象庁", at, () => scenario.QuakeXml(code)));
        }
        if (scenario.Step >= Scenario.RiverForecastStep)
        {
            var at = scenario.TimeAt(Scenario.RiverForecastStep);
            list.Add(new Entry($"{Stamp(at)}_0_VXKO50_.xml", "extra", "指定河川洪水予報", "演習地方気象台", at, scenario.RiverForecastXml));
        }
        list.AddRange(_samples.Value);
        lock (_gate) list.AddRange(_burst);
        list.Sort((a, b) => a.Updated != b.Updated ? a.Updated.CompareTo(b.Updated) : string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>Publishes <paramref name="count"/> warning 続報 one second apart from now (each a distinct telegram).</summary>
    public int Burst(int count)
    {
        var start = clock.GetUtcNow();
        start = start.AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond));
        lock (_gate)
        {
            var first = _burst.Count;
            for (var i = 0; i < count; i++)
            {
                var serial = first + i + 1;
                var at = start.AddSeconds(i);
                var step = scenario.Step;
                _burst.Add(new Entry($"{Stamp(at)}_{serial}_VPWW54_170000.xml", "extra", "気象特別警報・警報・注意報", "演習地方気象台", at,
                    () => scenario.WarningsXml(step, serial, at)));
            }
            return _burst.Count;
        }
    }

    public Entry? Find(string name) => All().FirstOrDefault(e => e.Name == name);

    /// <summary>A feed: the high-frequency one holds the latest <c>feedSize</c> entries; <c>{feed}_l</c> holds all.</summary>
    public byte[]? Feed(string name, string baseUrl)
    {
        var longPeriod = name.EndsWith("_l", StringComparison.Ordinal);
        var feed = longPeriod ? name[..^2] : name;
        if (!FeedNames.Contains(feed)) return null;
        var entries = All().Where(e => e.Feed == feed).ToList();
        if (!longPeriod && entries.Count > feedSize) entries = entries[^feedSize..];
        XNamespace atom = "http://www.w3.org/2005/Atom";
        var updated = entries.Count > 0 ? entries[^1].Updated : scenario.TimeAt(0);
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(atom + "feed", new XAttribute(XNamespace.Xml + "lang", "ja"),
                new XElement(atom + "title", longPeriod ? "随時（長期）" : "随時"),
                new XElement(atom + "subtitle", "JMAXML publishing feed (DisasterHub simulator, invented drill telegrams)"),
                new XElement(atom + "updated", Rfc3339(updated)),
                new XElement(atom + "id", $"{baseUrl}/feeds/jma/{name}.xml"),
                new XElement(atom + "link", new XAttribute("href", $"{baseUrl}/feeds/jma/{name}.xml"), new XAttribute("rel", "self")),
                // newest first, as JMA lists them
                entries.AsEnumerable().Reverse().Select(e => new XElement(atom + "entry",
                    new XElement(atom + "title", e.Title),
                    new XElement(atom + "id", $"{baseUrl}/feeds/jma/data/{e.Name}"),
                    new XElement(atom + "updated", Rfc3339(e.Updated)),
                    new XElement(atom + "author", new XElement(atom + "name", e.Author)),
                    new XElement(atom + "link", new XAttribute("type", "application/xml"), new XAttribute("href", $"{baseUrl}/feeds/jma/data/{e.Name}")),
                    new XElement(atom + "content", new XAttribute("type", "text"), e.Title)))));
        return Scenario.Xml(doc);
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The telegrams of a directory, each dated by its Control/DateTime and filed in the feed JMA files its type in.</summary>
    private static List<Entry> LoadSamples(string? directory)
    {
        var list = new List<Entry>();
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory)) return list;
        XNamespace jmx = "http://xml.kishou.go.jp/jmaxml1/";
        foreach (var path in Directory.EnumerateFiles(directory, "*.xml").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            XElement? control;
            try
            {
                control = XDocument.Parse(Encoding.UTF8.GetString(bytes)).Root?.Element(jmx + "Control");
            }
            catch (System.Xml.XmlException)
            {
                continue;
            }
            if (control is null || !DateTimeOffset.TryParse(control.Element(jmx + "DateTime")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at)) continue;
            var name = Path.GetFileName(path);
            var feed = name.Contains("_VXSE", StringComparison.Ordinal) || name.Contains("_VTSE", StringComparison.Ordinal) ? "eqvol" : "extra";
            list.Add(new Entry(name, feed, control.Element(jmx + "Title")?.Value ?? "", control.Element(jmx + "PublishingOffice")?.Value ?? "気象庁", at, () => bytes));
        }
        return list;
    }
}
