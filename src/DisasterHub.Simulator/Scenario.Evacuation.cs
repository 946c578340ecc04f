using System.Xml.Linq;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    /// <summary>Steps at which 七尾市's CAP alert changes: 高齢者等避難, then 避難指示 (Update), then lifted (Update, AllClear).</summary>
    public static readonly int[] EvacuationPhases = [0, 2, 6];

    public const string CapSender = "bousai@nanao-drill.example.invalid";

    private static readonly XNamespace Cap = "urn:oasis:names:tc:emergency:cap:1.2";

    /// <summary>The alert identifier issued at a phase ("SIM-NANAO-EVAC-0001" …).</summary>
    public static string CapIdentifier(int phase) => $"SIM-NANAO-EVAC-{Array.IndexOf(EvacuationPhases, phase) + 1:0000}";

    // Central Nanao (37.03–37.07 N, 136.93–137.00 E), CAP order "lat,lon", closed ring.
    private const string CentralNanao = "37.03,136.93 37.03,137.00 37.07,137.00 37.07,136.93 37.03,136.93";

    /// <summary>
    /// The current CAP 1.2 alert from 七尾市 (status Exercise: it is a drill). Each phase is a new message; the later
    /// ones are msgType Update whose references name every earlier message, the first one first (the hub keys the
    /// order by it).
    /// </summary>
    public byte[] EvacuationCap(int step)
    {
        var phase = PhaseOf(EvacuationPhases, step);
        var index = Array.IndexOf(EvacuationPhases, phase);
        var sent = TimeAt(phase);
        var (evt, response, urgency, severity, certainty, headline, instruction) = index switch
        {
            0 => ("高齢者等避難", "Prepare", "Expected", "Moderate", "Likely",
                "【訓練】七尾市 演習地区に高齢者等避難を発令",
                "避難に時間のかかる高齢者や障害のある人は、指定避難所へ避難してください。"),
            1 => ("避難指示", "Evacuate", "Immediate", "Severe", "Likely",
                "【訓練】七尾市 演習地区に避難指示を発令",
                "危険な場所から全員避難してください。土砂災害のおそれがあります。"),
            _ => ("避難指示解除", "AllClear", "Past", "Minor", "Observed",
                "【訓練】七尾市 演習地区の避難指示を解除",
                "避難指示を解除しました。引き続き余震や土砂災害に注意してください。"),
        };
        var references = EvacuationPhases.Take(index)
            .Select(p => $"{CapSender},{CapIdentifier(p)},{Jst(TimeAt(p))}")
            .ToList();
        var area = new XElement(Cap + "area",
            new XElement(Cap + "areaDesc", index == 0 ? "七尾市 演習地区（中心部）" : "七尾市 演習地区（中心部・演習川沿い）"),
            new XElement(Cap + "polygon", CentralNanao),
            new XElement(Cap + "geocode", new XElement(Cap + "valueName", "jisX0402"), new XElement(Cap + "value", "172022")));
        var alert = new XElement(Cap + "alert",
            new XElement(Cap + "identifier", CapIdentifier(phase)),
            new XElement(Cap + "sender", CapSender),
            new XElement(Cap + "sent", Jst(sent)),
            new XElement(Cap + "status", "Exercise"),
            new XElement(Cap + "msgType", index == 0 ? "Alert" : "Update"),
            new XElement(Cap + "scope", "Public"),
            new XElement(Cap + "note", "DisasterHub simulator: invented drill message."),
            references.Count == 0 ? null : new XElement(Cap + "references", string.Join(' ', references)),
            new XElement(Cap + "info",
                new XElement(Cap + "language", "ja-JP"),
                new XElement(Cap + "category", "Geo"),
                new XElement(Cap + "category", "Met"),
                new XElement(Cap + "event", evt),
                new XElement(Cap + "responseType", response),
                new XElement(Cap + "urgency", urgency),
                new XElement(Cap + "severity", severity),
                new XElement(Cap + "certainty", certainty),
                new XElement(Cap + "effective", Jst(sent)),
                new XElement(Cap + "expires", Jst(sent.AddDays(1))),
                new XElement(Cap + "senderName", "七尾市（演習）防災課"),
                new XElement(Cap + "headline", headline),
                new XElement(Cap + "description", "地震後の大雨により、演習川沿いで土砂災害の危険が高まっています（架空の訓練シナリオ）。"),
                new XElement(Cap + "instruction", instruction),
                area));
        return Xml(new XDocument(new XDeclaration("1.0", "UTF-8", null), alert));
    }
}
