using System.Globalization;
using System.Text;

namespace DisasterHub.Simulator;

/// <summary>
/// A small, invented earthquake scenario in 七尾市 (Nanao): shelters open one after another and evacuee counts climb,
/// one step per <see cref="StepLength"/>; heavy rain follows, so warnings, evacuation orders, river levels and rain
/// gauges, power outages and damage reports change with the step too (the other partial files, one per family).
/// All names and numbers are made up by this project.
/// </summary>
public sealed partial class Scenario(TimeProvider clock, TimeSpan stepLength)
{
    public TimeSpan StepLength { get; } = stepLength;
    // Whole seconds, so step times name files (AMeDAS maps) exactly.
    private readonly DateTimeOffset _start = clock.GetUtcNow() is var now ? now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)) : default;

    /// <summary>Manual offset added by the control endpoint (tests and demos can jump ahead).</summary>
    public int ExtraSteps { get; set; }

    public sealed record Site(string Id, string Name, string Address, double Lat, double Lon, int Capacity, int OpensAtStep, int GrowthPerStep);

    // Fictional sites scattered over central Nanao (37.03–37.07 N, 136.93–137.00 E).
    public static readonly IReadOnlyList<Site> Sites =
    [
        new("SIM-0001", "演習第一小学校", "石川県七尾市演習町1-1", 37.0432, 136.9581, 400, 0, 35),
        new("SIM-0002", "演習第二小学校", "石川県七尾市演習町2-3", 37.0501, 136.9702, 350, 1, 30),
        new("SIM-0003", "演習中学校", "石川県七尾市訓練町5-8", 37.0389, 136.9487, 600, 1, 45),
        new("SIM-0004", "演習地区コミュニティセンター", "石川県七尾市訓練町3-2", 37.0468, 136.9655, 120, 2, 15),
        new("SIM-0005", "演習総合体育館", "石川県七尾市模擬町10", 37.0335, 136.9612, 900, 2, 80),
        new("SIM-0006", "演習高等学校", "石川県七尾市模擬町22-1", 37.0577, 136.9549, 700, 3, 50),
        new("SIM-0007", "演習公民館", "石川県七尾市試験町4", 37.0612, 136.9811, 150, 4, 12),
        new("SIM-0008", "演習文化ホール", "石川県七尾市試験町9-9", 37.0366, 136.9760, 500, 5, 40),
        new("SIM-0009", "演習西小学校", "石川県七尾市演習西町7", 37.0421, 136.9352, 300, 6, 25),
        new("SIM-0010", "演習東防災センター", "石川県七尾市演習東町1", 37.0488, 136.9934, 200, 8, 18),
        new("SIM-0011", "演習北集会所", "石川県七尾市演習北町12", 37.0689, 136.9663, 80, 10, 8),
        new("SIM-0012", "演習南運動公園", "石川県七尾市演習南町3", 37.0301, 136.9521, 1500, 99, 0),
    ];

    public int Step => (int)((clock.GetUtcNow() - _start) / StepLength) + ExtraSteps;

    /// <summary>Observed time of the current step (start of the step).</summary>
    public DateTimeOffset StepTime => TimeAt(Step);

    /// <summary>Start of a given step (UTC).</summary>
    public DateTimeOffset TimeAt(int step) => _start + StepLength * step;

    /// <summary>The step a given instant falls in (may be negative before the start).</summary>
    public int StepAt(DateTimeOffset at) => (int)Math.Floor((at - _start) / StepLength);

    /// <summary>ISO 8601 in JST with offset, as Japanese publishers write it.</summary>
    public static string Jst(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string Status(Site s, int step) => step < s.OpensAtStep ? "未開設" : "開設";

    public static int Evacuees(Site s, int step) => step < s.OpensAtStep ? 0 : Math.Min(s.Capacity, s.GrowthPerStep * (step - s.OpensAtStep + 1));

    private static readonly string[] Header =
    [
        "ID", "名称", "全国地方公共団体コード", "所在地_連結表記", "緯度", "経度",
        "災害種別_地震", "災害種別_津波", "災害種別_大規模な火事", "想定収容人数", "開設状況", "人数", "時点",
    ];

    /// <summary>The shelter list as a Digital Agency-style CSV (UTF-8 with BOM, as municipalities publish it).</summary>
    public byte[] SheltersCsv()
    {
        var step = Step;
        var at = Jst(StepTime);
        var sb = new StringBuilder();
        sb.Append(string.Join(',', Header)).Append("\r\n");
        foreach (var s in Sites)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{s.Id},{s.Name},172022,{s.Address},{s.Lat:0.0000},{s.Lon:0.0000},1,1,,");
            sb.Append(CultureInfo.InvariantCulture, $"{s.Capacity}人,{Status(s, step)},{Evacuees(s, step)},{at}\r\n");
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(sb.ToString())];
    }
}
