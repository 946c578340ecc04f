using System.Text.Json.Nodes;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    public const string Utility = "演習電力パワーグリッド";

    /// <summary>An outage area: customers served, customers out at the peak, the step of the peak, the step it is restored.</summary>
    public sealed record OutageArea(string Id, Town Town, int Served, int PeakOut, int PeakStep, int RestoredStep, string Cause, string? Obstacles);

    public static readonly IReadOnlyList<OutageArea> OutageAreas =
    [
        new("NANAO-01", Places.Nanao, 27_400, 9_800, 3, 11, "地震による配電線の断線", "道路寸断により作業車両が進入困難"),
        new("HAKUI-01", Places.Hakui, 11_200, 2_300, 2, 8, "倒木による断線", null),
        new("SHIKA-01", Places.Shika, 10_100, 4_100, 4, 12, "土砂崩れによる電柱倒壊", "土砂撤去待ち"),
        new("NAKANOTO-01", Places.Nakanoto, 8_300, 900, 2, 6, "地震による設備損傷", null),
    ];

    /// <summary>Customers out: a linear climb from 35 % of the peak at step 0 to the peak, then down to 0 at the restoration step.</summary>
    public static int CustomersOut(OutageArea a, int step)
    {
        var n = Math.Max(step, 0);
        if (n >= a.RestoredStep) return 0;
        if (n <= a.PeakStep) return (int)Math.Round(a.PeakOut * (0.35 + 0.65 * n / a.PeakStep));
        return (int)Math.Round(a.PeakOut * (double)(a.RestoredStep - n) / (a.RestoredStep - a.PeakStep));
    }

    /// <summary>
    /// The restoration ETA as estimated at a step: revised every step (it slips while the outage grows, then firms up),
    /// always after the step; null (unknown) at step 0, when crews have not assessed the damage yet.
    /// </summary>
    public DateTimeOffset? RestorationEta(OutageArea a, int step)
    {
        var n = Math.Max(step, 0);
        if (n == 0) return null;
        if (n >= a.RestoredStep) return TimeAt(a.RestoredStep);
        var slip = n <= a.PeakStep ? 2 * (a.PeakStep - n + 1) : 0;
        return TimeAt(a.RestoredStep + slip);
    }

    /// <summary>A utility's outage report in the hub's push format (power-push-json), here offered for pull.</summary>
    public byte[] PowerJson(int step)
    {
        var n = Math.Max(step, 0);
        var at = Jst(TimeAt(step));
        var areas = new JsonArray();
        foreach (var a in OutageAreas)
        {
            var eta = RestorationEta(a, step);
            var area = new JsonObject
            {
                ["id"] = a.Id,
                ["municipality_code"] = a.Town.Code6,
                ["name"] = a.Town.Name,
                ["customers_out"] = CustomersOut(a, step),
                ["customers_served"] = a.Served,
                ["cause"] = a.Cause,
                ["restoration_eta"] = eta is null ? null : Jst(eta.Value),
                ["eta_revision"] = n,
                ["observed_at"] = at,
            };
            if (a.Obstacles is not null && n < a.RestoredStep) area["obstacles"] = a.Obstacles;
            areas.Add(area);
        }
        return JsonBytes(new JsonObject { ["utility"] = Utility, ["observed_at"] = at, ["note"] = "DisasterHub simulator: invented drill data.", ["areas"] = areas });
    }

    /// <summary>Damage per municipality at its full extent, reached at <see cref="DamageFullStep"/>; reports before it show a share.</summary>
    public sealed record DamageTotals(Town Town, int InjuredSerious, int InjuredMinor, int Destroyed, int HalfDestroyed, int PartiallyDamaged,
        int BelowFloor, int Roads, int Landslides, int WaterHouseholds);

    public const int DamageFullStep = 8;

    public static readonly IReadOnlyList<DamageTotals> Damage =
    [
        new(Places.Nanao, 4, 23, 12, 31, 160, 18, 14, 6, 3_200),
        new(Places.Hakui, 0, 5, 1, 6, 42, 4, 3, 1, 450),
        new(Places.Shika, 1, 9, 4, 12, 75, 9, 7, 4, 1_100),
        new(Places.Nakanoto, 0, 3, 0, 3, 28, 2, 2, 0, 300),
    ];

    /// <summary>The count reported at a step: the known share grows (a quarter at step 0) until the full figure.</summary>
    public static int Reported(int total, int step) =>
        (int)Math.Floor(total * (0.25 + 0.75 * Math.Min(Math.Max(step, 0), DamageFullStep) / DamageFullStep));

    /// <summary>消防庁 第4号様式 その2 as the hub's fdma-damage-json: 第(step+1)報 from the prefecture.</summary>
    public byte[] DamageJson(int step)
    {
        var at = Jst(TimeAt(step));
        var list = new JsonArray();
        foreach (var d in Damage)
        {
            var destroyed = Reported(d.Destroyed, step);
            var half = Reported(d.HalfDestroyed, step);
            var below = Reported(d.BelowFloor, step);
            list.Add(new JsonObject
            {
                ["municipality_code"] = d.Town.Code6,
                ["municipality_name"] = d.Town.Name,
                ["observed_at"] = at,
                ["deaths"] = 0,
                ["missing"] = 0,
                ["injured_serious"] = Reported(d.InjuredSerious, step),
                ["injured_minor"] = Reported(d.InjuredMinor, step),
                ["houses_destroyed"] = new JsonObject { ["棟"] = destroyed, ["世帯"] = destroyed, ["人"] = destroyed * 2 },
                ["houses_half_destroyed"] = new JsonObject { ["棟"] = half, ["世帯"] = half, ["人"] = half * 2 },
                ["houses_partially_damaged"] = new JsonObject { ["棟"] = Reported(d.PartiallyDamaged, step) },
                ["inundation_below_floor"] = new JsonObject { ["棟"] = below, ["世帯"] = below, ["人"] = below * 2 },
                ["roads"] = Reported(d.Roads, step),
                ["landslides"] = Reported(d.Landslides, step),
                ["water_supply_households"] = Reported(d.WaterHouseholds, step),
                ["headquarters"] = new JsonObject { ["type"] = "災害対策本部", ["established_at"] = Jst(TimeAt(0)) },
                ["notes"] = "架空の訓練データ",
            });
        }
        return JsonBytes(new JsonObject
        {
            ["report_no"] = Math.Max(step, 0) + 1,
            ["disaster_name"] = "令和8年演習能登地震・大雨災害（訓練）",
            ["reported_at"] = at,
            ["reporter"] = "石川県（演習）危機管理課",
            ["municipalities"] = list,
        });
    }
}
