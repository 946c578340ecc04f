using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DisasterHub.Core;
using NetTopologySuite;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Jma;

/// <summary>JMA 防災情報XML namespaces (FIELDS §4).</summary>
public static class JmaNs
{
    public static readonly XNamespace Report = "http://xml.kishou.go.jp/jmaxml1/";
    public static readonly XNamespace Head = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/";
    public static readonly XNamespace Meteorology = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/";
    public static readonly XNamespace Seismology = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/";
    public static readonly XNamespace ElementBasis = "http://xml.kishou.go.jp/jmaxml1/elementBasis1/";
}

/// <summary>The Control and Head blocks every JMA telegram carries.</summary>
public sealed record JmaHead(
    string ControlTitle,
    string ControlStatus,
    string? Title,
    string InfoKind,
    string InfoType,
    string? EventId,
    string? Serial,
    DateTimeOffset? ReportDateTime,
    DateTimeOffset? TargetDateTime,
    string? Headline,
    XElement HeadElement,
    XElement? Body)
{
    public bool Cancelled => InfoType == "取消";

    public bool Exercise => ControlStatus != "通常";

    /// <summary>Head/ValidDateTime: until when the telegram's content holds (UTC), when the telegram gives it.</summary>
    public DateTimeOffset? ValidDateTime { get; init; }

    /// <summary>
    /// Control/Status 訓練 → exercise, 試験 → test (and an InfoKind or Head/Title that calls itself 訓練/試験 the same);
    /// anything else but 通常 is not actual either. Parsers only report this — ExerciseRule decides.
    /// </summary>
    public DocumentStatus DocumentStatus => ControlStatus switch
    {
        "通常" => InfoKind.Contains("訓練", StringComparison.Ordinal) || Title?.StartsWith("訓練", StringComparison.Ordinal) == true ? DocumentStatus.Exercise
            : InfoKind.Contains("試験", StringComparison.Ordinal) || Title?.StartsWith("試験", StringComparison.Ordinal) == true ? DocumentStatus.Test
            : DocumentStatus.Actual,
        "訓練" => DocumentStatus.Exercise,
        "試験" => DocumentStatus.Test,
        _ => DocumentStatus.Test,
    };

    /// <summary>
    /// Reports the telegram's status and validity on every record it produced: ValidDateTime is the end of validity.
    /// No duration is added to ReportDateTime here: none of the telegrams read (VPWW5x, VXWW50, VXSE5x, VTSE41, 洪水予報)
    /// defines one in its Head.
    /// </summary>
    public ParseResult Stamp(ParseResult result)
    {
        var at = DocumentStatus == DocumentStatus.Actual ? null
            : ControlStatus != "通常" ? $"/Report/Control/Status {ControlStatus}" : $"/Report/Head/InfoKind {InfoKind}";
        foreach (var r in result.Records)
        {
            if (at is not null) r.MarkStatus(DocumentStatus, at);
            if (ValidDateTime is { } valid && r.ValidUntil is null) r.ValidUntil = valid;
        }
        return result;
    }

    /// <summary>
    /// The one record a 取消 telegram becomes: nothing to place, it names the event whose stored records the hub
    /// retracts (<see cref="FeatureRecord.CancelsEvent"/>); offline it is rejected for want of them.
    /// </summary>
    public FeatureRecord CancelMarker(string layer, string sourceKey, string? entityKey, string eventId, DateTimeOffset? observedAt, XElement? body)
    {
        var attrs = new JsonObject { ["event_id"] = eventId, ["info_kind"] = InfoKind };
        if (Title is not null) attrs["title"] = Title;
        Annotate(attrs);
        return new FeatureRecord
        {
            Layer = layer,
            SourceKey = sourceKey,
            EntityKey = entityKey,
            Name = Title,
            Status = "取消",
            Severity = 0,
            CancelsEvent = eventId,
            ObservedAt = observedAt,
            ReportedAt = ReportDateTime,
            Attrs = attrs,
            Location = body is null ? "/Report/Head" : SafeXml.PathOf(body),
        };
    }

    /// <summary>Adds control_status / exercise / info_type to a record's attrs (ClassIfication stays public).</summary>
    public void Annotate(JsonObject attrs)
    {
        attrs["info_type"] = InfoType;
        if (Exercise)
        {
            attrs["control_status"] = ControlStatus;
            attrs["exercise"] = true;
        }
    }
}

/// <summary>Helpers shared by the JMA XML parsers.</summary>
public static partial class JmaXml
{
    internal static readonly GeometryFactory Factory = NtsGeometryServices.Instance.CreateGeometryFactory(4326);

    [GeneratedRegex(@"<(?:\w+:)?InfoKind>\s*([^<]*?)\s*</(?:\w+:)?InfoKind>")]
    private static partial Regex InfoKindElement();

    /// <summary>Whether the head is a JMA XML telegram of one of the InfoKinds.</summary>
    public static bool SniffInfoKind(ReadOnlySpan<byte> head, string? fileName, params string[] infoKinds)
    {
        if (fileName is not null && Path.HasExtension(fileName) && !fileName.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            return false;
        var text = TextDecoding.DecodeHead(head).Text;
        if (!text.Contains("http://xml.kishou.go.jp/jmaxml1/", StringComparison.Ordinal)) return false;
        var m = InfoKindElement().Match(text);
        return m.Success && infoKinds.Contains(m.Groups[1].Value);
    }

    /// <summary>Loads a telegram (SafeXml) and reads its Control and Head; throws when it is not JMA XML or not one of the InfoKinds.</summary>
    public static (XDocument Doc, JmaHead Head) Load(ReadOnlyMemory<byte> content, params string[] infoKinds)
    {
        var doc = SafeXml.Load(content);
        var root = doc.Root!;
        if (root.Name != JmaNs.Report + "Report")
            throw new UnparseableDocumentException("/" + root.Name.LocalName, $"not a JMA XML telegram (root {root.Name}, expected {{{JmaNs.Report}}}Report)");
        var control = root.Element(JmaNs.Report + "Control")
            ?? throw new UnparseableDocumentException("/Report", "missing Control");
        var head = root.Element(JmaNs.Head + "Head")
            ?? throw new UnparseableDocumentException("/Report", "missing Head");
        var infoKind = Text(head.Element(JmaNs.Head + "InfoKind")) ?? "";
        if (!infoKinds.Contains(infoKind))
            throw new UnparseableDocumentException("/Report/Head/InfoKind", $"InfoKind '{infoKind}' is not one of {string.Join(", ", infoKinds)}");
        var body = root.Elements().FirstOrDefault(e => e.Name.LocalName == "Body");
        return (doc, new JmaHead(
            Text(control.Element(JmaNs.Report + "Title")) ?? "",
            Text(control.Element(JmaNs.Report + "Status")) ?? "通常",
            Text(head.Element(JmaNs.Head + "Title")),
            infoKind,
            Text(head.Element(JmaNs.Head + "InfoType")) ?? "発表",
            Text(head.Element(JmaNs.Head + "EventID")),
            Text(head.Element(JmaNs.Head + "Serial")),
            Time(head.Element(JmaNs.Head + "ReportDateTime")),
            Time(head.Element(JmaNs.Head + "TargetDateTime")),
            Text(head.Element(JmaNs.Head + "Headline")?.Element(JmaNs.Head + "Text")),
            head,
            body)
        {
            ValidDateTime = Time(head.Element(JmaNs.Head + "ValidDateTime")),
        });
    }

    public static string? Text(XElement? e)
    {
        var s = e?.Value.Trim();
        return string.IsNullOrEmpty(s) ? null : s;
    }

    /// <summary>An xs:dateTime with its zone, in UTC; null when absent or unreadable.</summary>
    public static DateTimeOffset? Time(XElement? e) => ParseTime(Text(e));

    public static DateTimeOffset? ParseTime(string? s) =>
        s is not null && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t.ToUniversalTime() : null;

    public static double? Number(string? s) =>
        s is not null && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>
    /// JMA 市町村等 code (7 digits: 5-digit 団体コード + 2 digits for a part of the municipality) → 6-digit code with check
    /// digit ("1720200" → "172022"). Null when it is not a real municipality code.
    /// </summary>
    public static string? MunicipalityFromJmaCode(string? jmaCode)
    {
        if (jmaCode is null || jmaCode.Length != 7 || !jmaCode.All(char.IsAsciiDigit)) return null;
        return MunicipalityCode.TryNormalize(jmaCode[..5], out var code6, out _) ? code6 : null;
    }

    /// <summary>
    /// How a 気象・地震・火山情報／市町村等 code (7 digits) is placed. A whole municipality the directory knows ("1720200")
    /// is located by its code (its boundary when imported): (code6, null). Part of one (佐世保市宇久島 "4220202") keeps
    /// the municipality claim and takes the JMA table's centroid; a code no municipality has any more (merged away)
    /// takes the centroid without a claim: (null, area). Neither: (null, null).
    /// </summary>
    public static (string? Code6, JmaArea? Placed) CityPlacement(string? jmaCode, MunicipalityDirectory directory)
    {
        var code6 = MunicipalityFromJmaCode(jmaCode);
        if (code6 is not null && directory.Get(code6) is null) code6 = null;
        JmaAreas.Embedded.TryGet(JmaAreaTable.City, jmaCode, out var area);
        if (code6 is not null && (jmaCode!.EndsWith("00", StringComparison.Ordinal) || area is null)) return (code6, null);
        return (code6, area);
    }

    /// <summary>A prefecture number ("13", "46", or a 府県予報区 "410000") → prefecture 6-digit code ("130001").</summary>
    public static string? PrefectureCode(string? code)
    {
        if (code is null || code.Length < 2 || !code[..2].All(char.IsAsciiDigit)) return null;
        var n = int.Parse(code[..2], CultureInfo.InvariantCulture);
        if (!MunicipalityCode.IsPrefecture(n)) return null;
        var five = code[..2] + "000";
        return five + MunicipalityCode.CheckDigit(five).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Severity of a seismic intensity (震度): 1–2 → 0, 3–4 → 1, 5-/5+ → 2, 6-/6+/7 → 3; null otherwise.</summary>
    public static int? IntensitySeverity(string? intensity) => intensity?.Trim() switch
    {
        "0" or "1" or "2" => 0,
        "3" or "4" => 1,
        "5-" or "5+" => 2,
        "6-" or "6+" or "7" => 3,
        _ => null,
    };

    [GeneratedRegex(@"^([+-])(\d+(?:\.\d+)?)([+-])(\d+(?:\.\d+)?)(?:([+-])(\d+(?:\.\d+)?))?/$")]
    private static partial Regex Iso6709();

    /// <summary>
    /// ISO 6709 point as JMA writes it: "+30.9+131.1-50000/" (degrees, depth in metres, negative below sea level),
    /// "+3743.7+14141.9-55000/" (degrees and minutes), "-23.1+171.5/" (no depth). Depth in km, positive downward.
    /// </summary>
    public static bool TryParseIso6709(string? s, out double lat, out double lon, out double? depthKm)
    {
        lat = lon = 0;
        depthKm = null;
        if (s is null) return false;
        var m = Iso6709().Match(s.Trim());
        if (!m.Success) return false;
        if (!TryAngle(m.Groups[2].Value, 2, out lat) || !TryAngle(m.Groups[4].Value, 3, out lon)) return false;
        if (m.Groups[1].Value == "-") lat = -lat;
        if (m.Groups[3].Value == "-") lon = -lon;
        if (m.Groups[6].Success)
        {
            var metres = double.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture);
            depthKm = (m.Groups[5].Value == "-" ? metres : -metres) / 1000.0;
            if (depthKm == 0) depthKm = 0; // no negative zero
        }
        return lat is >= -90 and <= 90 && lon is >= -180 and <= 180;
    }

    private static bool TryAngle(string text, int degreeDigits, out double value)
    {
        value = 0;
        var intDigits = text.IndexOf('.') is var dot and >= 0 ? dot : text.Length;
        var whole = double.Parse(text, CultureInfo.InvariantCulture);
        if (intDigits == degreeDigits)
        {
            value = whole;
            return true;
        }
        if (intDigits == degreeDigits + 2)
        {
            var deg = Math.Floor(whole / 100);
            var min = whole - deg * 100;
            value = deg + min / 60.0;
            return min < 60;
        }
        if (intDigits == degreeDigits + 4)
        {
            var deg = Math.Floor(whole / 10000);
            var min = Math.Floor((whole - deg * 10000) / 100);
            var sec = whole - deg * 10000 - min * 100;
            value = deg + min / 60.0 + sec / 3600.0;
            return min < 60 && sec < 60;
        }
        return false;
    }

    public static Point Point(double lon, double lat) => Factory.CreatePoint(new Coordinate(lon, lat));

    /// <summary>
    /// Marks a record placed by a JMA area table rather than by a municipality claim: <c>located_by: "area_table"</c>,
    /// <c>area_table</c> (the table's name), <c>area_table_code</c>, and <c>location_precision</c> <c>area</c> (polygon),
    /// <c>coast</c> (津波予報区 line) or <c>area_centroid</c> (a point).
    /// </summary>
    public static void MarkPlaced(JsonObject attrs, JmaArea area)
    {
        attrs["located_by"] = "area_table";
        attrs["area_table"] = area.TableName;
        attrs["area_table_code"] = area.Code;
        attrs["location_precision"] = area.Kind switch
        {
            "polygon" => "area",
            "line" => "coast",
            _ => "area_centroid",
        };
    }
}
