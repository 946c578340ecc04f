using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Jma;

/// <summary>One entry of a JMA 防災情報XML PULL feed: one telegram, where to fetch it, and when JMA published it.</summary>
public sealed record JmaFeedEntry(string Id, DateTimeOffset Updated, Uri Link, string Title, string? Author, string? Code)
{
    /// <summary>The follower's position after this entry: publication time, then id (several entries share a second).</summary>
    public string Cursor => $"{Updated.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}|{Id}";

    /// <summary>Publication order: oldest <c>updated</c> first, then by id (what a follower ingests in, what cursors compare).</summary>
    public static int PublicationOrder(JmaFeedEntry a, JmaFeedEntry b) =>
        a.Updated != b.Updated ? a.Updated.CompareTo(b.Updated) : string.CompareOrdinal(a.Id, b.Id);

    /// <summary>Whether this entry comes after a cursor (<see cref="Cursor"/>); null = the start.</summary>
    public bool After(string? cursor)
    {
        if (cursor is null) return true;
        var (t, id) = JmaAtomFeed.ParseCursor(cursor);
        return Updated > t || (Updated == t && string.CompareOrdinal(Id, id) > 0);
    }
}

/// <summary>
/// Reads a JMA-style Atom feed (気象庁防災情報XML, PULL型: <c>regular.xml</c>, <c>extra.xml</c>, <c>eqvol.xml</c>,
/// <c>other.xml</c> and their long-period <c>_l</c> twins): each entry names a telegram by its link; the telegram
/// type code (VPWW54, VXSE51, VTSE41 …) is in the file name JMA gives it. Pure: bytes in, entries out, oldest first.
/// </summary>
public static partial class JmaAtomFeed
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";

    /// <summary>"…_VPWW54_170000.xml", "15_08_05_130412_VPWW53.xml": the 4 letters and 2 characters of the type.</summary>
    [GeneratedRegex(@"(?<![A-Z])(V[A-Z]{3}[0-9A-Za-z]{2})(?:_|\.xml$)")]
    private static partial Regex TypeCode();

    public static bool Sniff(ReadOnlySpan<byte> head)
    {
        var text = TextDecoding.DecodeHead(head).Text;
        return text.Contains("http://www.w3.org/2005/Atom", StringComparison.Ordinal) && text.Contains("<feed", StringComparison.Ordinal);
    }

    /// <summary>The feed's entries (oldest first by updated, then id); entries without a usable link or time are left out with the reason.</summary>
    public static (List<JmaFeedEntry> Entries, List<Rejection> Skipped) Read(ReadOnlyMemory<byte> content, Uri feedUri)
    {
        var doc = SafeXml.Load(content);
        if (doc.Root is not { } root || root.Name != Atom + "feed") throw new UnparseableDocumentException("/", "not an Atom feed (no atom:feed root)");
        var entries = new List<JmaFeedEntry>();
        var skipped = new List<Rejection>();
        foreach (var e in root.Elements(Atom + "entry"))
        {
            var at = SafeXml.LineOf(e);
            var id = e.Element(Atom + "id")?.Value.Trim();
            var href = e.Elements(Atom + "link").Select(l => (string?)l.Attribute("href")).FirstOrDefault(h => !string.IsNullOrWhiteSpace(h));
            if (string.IsNullOrEmpty(id) || href is null || !Uri.TryCreate(feedUri, href.Trim(), out var link) || link.Scheme is not ("http" or "https"))
            {
                skipped.Add(new Rejection(at, "entry without an id or an http(s) link to its telegram"));
                continue;
            }
            if (!DateTimeOffset.TryParse(e.Element(Atom + "updated")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var updated))
            {
                skipped.Add(new Rejection(at, "entry without an RFC 3339 <updated>"));
                continue;
            }
            var code = TypeCode().Match(Path.GetFileName(link.AbsolutePath)) is { Success: true } m ? m.Groups[1].Value : null;
            entries.Add(new JmaFeedEntry(id, updated.ToUniversalTime(), link, e.Element(Atom + "title")?.Value.Trim() ?? "",
                e.Element(Atom + "author")?.Element(Atom + "name")?.Value.Trim(), code));
        }
        entries.Sort(JmaFeedEntry.PublicationOrder);
        return (entries, skipped);
    }

    /// <summary>Whether an entry's telegram type is one the source takes: a code ("VPWW54") or a prefix ending in '*' ("VXSE5*"); none listed = all.</summary>
    public static bool Wanted(JmaFeedEntry entry, IReadOnlyCollection<string> telegrams) =>
        telegrams.Count == 0 || (entry.Code is { } code && telegrams.Any(t => t.EndsWith('*')
            ? code.StartsWith(t[..^1], StringComparison.OrdinalIgnoreCase)
            : code.Equals(t, StringComparison.OrdinalIgnoreCase)));

    public static (DateTimeOffset Updated, string Id) ParseCursor(string cursor)
    {
        var bar = cursor.IndexOf('|', StringComparison.Ordinal);
        var t = DateTimeOffset.Parse(bar < 0 ? cursor : cursor[..bar], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        return (t, bar < 0 ? "" : cursor[(bar + 1)..]);
    }
}
