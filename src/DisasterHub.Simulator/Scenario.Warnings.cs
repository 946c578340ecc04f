using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    /// <summary>A municipality the scenario touches: 6-digit code (with check digit), the JMA 市町村等 7-digit code, name.</summary>
    public sealed record Town(string Code6, string JmaCode, string Name);

    /// <summary>七尾市 and its neighbours (codes checked against geodata/municipalities.tsv).</summary>
    /// <remarks>A nested class, so the other partial files' static lists can use them whatever the initialization order.</remarks>
    public static class Places
    {
        public static readonly Town Nanao = new("172022", "1720200", "七尾市");
        public static readonly Town Hakui = new("172073", "1720700", "羽咋市");
        public static readonly Town Shika = new("173843", "1738400", "志賀町");
        public static readonly Town Nakanoto = new("174076", "1740700", "中能登町");
        public static readonly IReadOnlyList<Town> All = [Nanao, Hakui, Shika, Nakanoto];
    }

    public static IReadOnlyList<Town> Towns => Places.All;

    /// <summary>Steps at which the warning telegram changes: 注意報, then 警報 for 七尾市 and 志賀町, then everything lifted.</summary>
    public static readonly int[] WarningPhases = [0, 2, 5];

    /// <summary>The phase a step is in: the latest phase start at or before it (steps before 0 count as the first).</summary>
    public static int PhaseOf(int[] phases, int step) => phases.LastOrDefault(p => p <= step, phases[0]);

    private static readonly XNamespace JmxReport = "http://xml.kishou.go.jp/jmaxml1/";
    private static readonly XNamespace JmxHead = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/";
    private static readonly XNamespace JmxMet = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/";

    private sealed record WarningKind(string Name, string Code, string Status, string? LastName = null, string? LastCode = null, string? Condition = null);

    /// <summary>Kinds in force per 市町村等 area in a phase (code order as JMA lists them: 警報 before 注意報).</summary>
    private static List<WarningKind> KindsFor(Town town, int phase)
    {
        var heavy = town.Name is "七尾市" or "志賀町"; // the two areas upgraded to 大雨警報
        var nanao = town.Name == "七尾市";
        var kinds = new List<WarningKind>();
        switch (phase)
        {
            case 0:
                kinds.Add(new("大雨注意報", "10", "発表"));
                if (nanao) kinds.Add(new("雷注意報", "14", "発表"));
                break;
            case 2:
                kinds.Add(heavy ? new("大雨警報", "03", "発表", "大雨注意報", "10", "土砂災害") : new("大雨注意報", "10", "継続"));
                if (nanao) kinds.Add(new("雷注意報", "14", "継続"));
                break;
            default:
                kinds.Add(heavy ? new("大雨警報", "03", "解除") : new("大雨注意報", "10", "解除"));
                if (nanao) kinds.Add(new("雷注意報", "14", "解除"));
                break;
        }
        return kinds;
    }

    private static string ChangeStatus(Town town, int phase) =>
        phase == 0 || phase == WarningPhases[^1] || town.Name is "七尾市" or "志賀町"
            ? "警報・注意報種別に変化有"
            : "警報・注意報種別に変化無、量的予想事項等に変化有";

    /// <summary>
    /// 気象警報・注意報 (VPWW54-style) for 石川県 as JMA's 防災情報XML writes it, with the 市町村等 Warning block the hub
    /// reads; Control/Status 訓練 (it is a drill). Changes only when the phase changes, so the feed's ETag holds meanwhile.
    /// </summary>
    public byte[] WarningsXml(int step) => WarningsXml(step, null, null);

    /// <summary>The telegram of a step's phase, issued at <paramref name="issuedAt"/> with <paramref name="serial"/> (a burst of 続報).</summary>
    public byte[] WarningsXml(int step, int? serial, DateTimeOffset? issuedAt)
    {
        var phase = PhaseOf(WarningPhases, step);
        var issued = issuedAt ?? TimeAt(phase);
        var headline = phase switch
        {
            0 => "【訓練】能登では、土砂災害や低い土地の浸水に注意してください。",
            2 => "【訓練】七尾市、志賀町に大雨警報（土砂災害）を発表しました。土砂災害に警戒してください。",
            _ => "【訓練】大雨警報・注意報を解除しました。",
        };
        var prefKind = phase switch
        {
            0 => new WarningKind("大雨注意報", "10", "発表"),
            2 => new WarningKind("大雨警報", "03", "発表"),
            _ => new WarningKind("大雨警報", "03", "解除"),
        };
        var body = new XElement(JmxMet + "Body",
            new XElement(JmxMet + "Warning", new XAttribute("type", "気象警報・注意報（府県予報区等）"),
                new XElement(JmxMet + "Item", Kind(prefKind), Area("石川県", "170000"))),
            new XElement(JmxMet + "Warning", new XAttribute("type", "気象警報・注意報（市町村等）"),
                Towns.Select(t => new XElement(JmxMet + "Item",
                    KindsFor(t, phase).Select(Kind),
                    Area(t.Name, t.JmaCode),
                    new XElement(JmxMet + "ChangeStatus", ChangeStatus(t, phase))))));
        var doc = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XComment(" DisasterHub simulator: invented drill telegram, not issued by JMA. "),
            new XElement(JmxReport + "Report", new XAttribute(XNamespace.Xmlns + "jmx", JmxReport.NamespaceName),
                new XElement(JmxReport + "Control",
                    new XElement(JmxReport + "Title", "気象特別警報・警報・注意報"),
                    new XElement(JmxReport + "DateTime", issued.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)),
                    new XElement(JmxReport + "Status", "訓練"),
                    new XElement(JmxReport + "EditorialOffice", "演習地方気象台"),
                    new XElement(JmxReport + "PublishingOffice", "演習地方気象台")),
                new XElement(JmxHead + "Head",
                    new XElement(JmxHead + "Title", "石川県気象警報・注意報"),
                    new XElement(JmxHead + "ReportDateTime", Jst(issued)),
                    new XElement(JmxHead + "TargetDateTime", Jst(issued)),
                    new XElement(JmxHead + "EventID"),
                    new XElement(JmxHead + "InfoType", "発表"),
                    new XElement(JmxHead + "Serial", serial?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new XElement(JmxHead + "InfoKind", "気象警報・注意報"),
                    new XElement(JmxHead + "InfoKindVersion", "1.1_0"),
                    new XElement(JmxHead + "Headline", new XElement(JmxHead + "Text", headline))),
                body));
        return Xml(doc);

        static XElement Kind(WarningKind k) => new(JmxMet + "Kind",
            new XElement(JmxMet + "Name", k.Name),
            new XElement(JmxMet + "Code", k.Code),
            new XElement(JmxMet + "Status", k.Status),
            k.Condition is null ? null : new XElement(JmxMet + "Condition", k.Condition),
            k.LastCode is null ? null : new XElement(JmxMet + "LastKind", new XElement(JmxMet + "Name", k.LastName), new XElement(JmxMet + "Code", k.LastCode)));

        static XElement Area(string name, string code) => new(JmxMet + "Area", new XElement(JmxMet + "Name", name), new XElement(JmxMet + "Code", code));
    }

    /// <summary>UTF-8 without BOM, indented, with the XML declaration.</summary>
    internal static byte[] Xml(XDocument doc)
    {
        using var ms = new MemoryStream();
        using (var w = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
            doc.Save(w);
        return ms.ToArray();
    }
}
