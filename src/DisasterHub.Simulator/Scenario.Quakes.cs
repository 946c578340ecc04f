using System.Globalization;
using System.Xml.Linq;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    private static readonly XNamespace JmxSeis = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/";
    private static readonly XNamespace JmxEb = "http://xml.kishou.go.jp/jmaxml1/elementBasis1/";

    /// <summary>The scenario's earthquake: 震度速報 (VXSE51) at step 0, then 震源・震度に関する情報 (VXSE53) at step 1.</summary>
    public static readonly (int Step, string Code, string Title)[] QuakeTelegrams = [(0, "VXSE51", "震度速報"), (1, "VXSE53", "震源・震度に関する情報")];

    /// <summary>The origin time: a minute before the scenario starts.</summary>
    private DateTimeOffset QuakeOrigin => TimeAt(0).AddMinutes(-1);

    /// <summary>
    /// A JMA 防災情報XML earthquake telegram as JMA writes it (seismology1 body), for the invented drill quake under
    /// 能登半島 with 震度5強 in 七尾市; Control/Status 訓練. VXSE51 has the areas' intensities only, VXSE53 the
    /// hypocentre, the cities and their stations.
    /// </summary>
    public byte[] QuakeXml(string code)
    {
        var full = code == "VXSE53";
        var step = QuakeTelegrams.First(q => q.Code == code).Step;
        var issued = TimeAt(step);
        var title = full ? "震源・震度に関する情報" : "震度速報";
        var eventId = QuakeOrigin.ToOffset(TimeSpan.FromHours(9)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        XElement Area(string name, string areaCode, string maxInt, params XElement[] cities) =>
            new(JmxSeis + "Area", new XElement(JmxSeis + "Name", name), new XElement(JmxSeis + "Code", areaCode), new XElement(JmxSeis + "MaxInt", maxInt), cities);
        XElement City(string name, string cityCode, string maxInt, string station, string stationCode) =>
            new(JmxSeis + "City", new XElement(JmxSeis + "Name", name), new XElement(JmxSeis + "Code", cityCode), new XElement(JmxSeis + "MaxInt", maxInt),
                new XElement(JmxSeis + "IntensityStation", new XElement(JmxSeis + "Name", station), new XElement(JmxSeis + "Code", stationCode), new XElement(JmxSeis + "Int", maxInt)));
        var noto = full
            ? Area("石川県能登", "390", "5+",
                City("七尾市", "1720200", "5+", "七尾市演習町＊", "1720230"),
                City("志賀町", "1738400", "5-", "志賀町演習＊", "1738431"),
                City("中能登町", "1740700", "5-", "中能登町演習＊", "1740731"))
            : Area("石川県能登", "390", "5+");
        var kaga = full ? Area("石川県加賀", "391", "3", City("羽咋市", "1720700", "4", "羽咋市演習＊", "1720731")) : Area("石川県加賀", "391", "3");
        var body = new XElement(JmxSeis + "Body",
            full ? new XElement(JmxSeis + "Earthquake",
                new XElement(JmxSeis + "OriginTime", Jst(QuakeOrigin)),
                new XElement(JmxSeis + "ArrivalTime", Jst(QuakeOrigin)),
                new XElement(JmxSeis + "Hypocenter", new XElement(JmxSeis + "Area",
                    new XElement(JmxSeis + "Name", "能登半島沖"),
                    new XElement(JmxSeis + "Code", new XAttribute("type", "震央地名"), "390"),
                    new XElement(JmxEb + "Coordinate", new XAttribute("description", "北緯３７．１度　東経１３６．９度　深さ　１０ｋｍ"), new XAttribute("datum", "日本測地系"), "+37.1+136.9-10000/"))),
                new XElement(JmxEb + "Magnitude", new XAttribute("type", "Mj"), new XAttribute("description", "Ｍ５．８"), "5.8")) : null,
            new XElement(JmxSeis + "Intensity", new XElement(JmxSeis + "Observation",
                new XElement(JmxSeis + "MaxInt", "5+"),
                new XElement(JmxSeis + "Pref", new XElement(JmxSeis + "Name", "石川県"), new XElement(JmxSeis + "Code", "17"), new XElement(JmxSeis + "MaxInt", "5+"), noto, kaga))));
        var doc = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XComment(" DisasterHub simulator: invented drill telegram, not issued by JMA. "),
            new XElement(JmxReport + "Report", new XAttribute(XNamespace.Xmlns + "jmx", JmxReport.NamespaceName),
                new XElement(JmxReport + "Control",
                    new XElement(JmxReport + "Title", title),
                    new XElement(JmxReport + "DateTime", issued.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
                    new XElement(JmxReport + "Status", "訓練"),
                    new XElement(JmxReport + "EditorialOffice", "気象庁本庁"),
                    new XElement(JmxReport + "PublishingOffice", "気象庁")),
                new XElement(JmxHead + "Head",
                    new XElement(JmxHead + "Title", title),
                    new XElement(JmxHead + "ReportDateTime", Jst(issued)),
                    new XElement(JmxHead + "TargetDateTime", Jst(QuakeOrigin)),
                    new XElement(JmxHead + "EventID", eventId),
                    new XElement(JmxHead + "InfoType", "発表"),
                    new XElement(JmxHead + "Serial", full ? "1" : null),
                    new XElement(JmxHead + "InfoKind", full ? "地震情報" : "震度速報"),
                    new XElement(JmxHead + "InfoKindVersion", "1.0_1"),
                    new XElement(JmxHead + "Headline", new XElement(JmxHead + "Text", "【訓練】能登地方で震度５強を観測しました。"))),
                body));
        return Xml(doc);
    }
}
