using System.Globalization;
using System.Xml.Linq;

namespace DisasterHub.Simulator;

public sealed partial class Scenario
{
    /// <summary>The scenario's river forecast: 氾濫注意情報 for the invented 演習川 once the 大雨警報 is out (step 3).</summary>
    public const int RiverForecastStep = 3;

    private const string RiverStationCode = "17202000000000001";

    /// <summary>
    /// 指定河川洪水予報 (VXKO-style) as JMA and the river office write it: the forecast kind in the headline, the river
    /// and its water-level station (水位観測所, located in 七尾市 by its 浸水想定地区 CityCode), the current water level
    /// and the criteria; Control/Status 訓練. Invented river, station and numbers.
    /// </summary>
    public byte[] RiverForecastXml()
    {
        var issued = TimeAt(RiverForecastStep);
        XElement HeadArea(string name, string code) => new(JmxHead + "Area", new XElement(JmxHead + "Name", name), new XElement(JmxHead + "Code", code));
        XElement Kind() => new(JmxHead + "Kind", new XElement(JmxHead + "Name", "氾濫注意情報"), new XElement(JmxHead + "Code", "20"), new XElement(JmxHead + "Condition", "洪水注意報（発表）"));
        XElement Level(string type, string refId, string value) =>
            new(JmxEb + "WaterLevel", new XAttribute("type", type), new XAttribute("unit", type == "水位" ? "m" : ""), new XAttribute("refID", refId), value);
        var body = new XElement(JmxMet + "Body", new XAttribute(XNamespace.Xmlns + "jmx_eb", JmxEb.NamespaceName),
            new XElement(JmxMet + "Warning", new XAttribute("type", "指定河川洪水予報"),
                new XElement(JmxMet + "Item",
                    new XElement(JmxMet + "Kind", new XElement(JmxMet + "Property", new XElement(JmxMet + "Type", "主文"),
                        new XElement(JmxMet + "Text", "【訓練】演習川の七尾演習水位観測所では、氾濫注意水位に到達し、今後、水位はさらに上昇する見込みです。"))),
                    new XElement(JmxMet + "Areas", new XAttribute("codeType", "河川"),
                        new XElement(JmxMet + "Area", new XElement(JmxMet + "Name", "演習川"), new XElement(JmxMet + "Code", "8999000001"))),
                    new XElement(JmxMet + "Stations", new XElement(JmxMet + "Station",
                        new XElement(JmxMet + "Name", "七尾演習水位観測所"),
                        new XElement(JmxMet + "Code", new XAttribute("type", "水位観測所"), RiverStationCode),
                        new XElement(JmxMet + "Location", "石川県七尾市演習町")))),
                new XElement(JmxMet + "Item",
                    new XElement(JmxMet + "Kind", new XElement(JmxMet + "Name", "浸水想定地区"), new XElement(JmxMet + "Code", "1"), new XElement(JmxMet + "Status", "対象地域")),
                    new XElement(JmxMet + "Areas", new XElement(JmxMet + "Area", new XAttribute("codeType", "水位観測所"),
                        new XElement(JmxMet + "Name", "七尾演習水位観測所"),
                        new XElement(JmxMet + "Code", RiverStationCode),
                        new XElement(JmxMet + "Prefecture", "石川県"),
                        new XElement(JmxMet + "PrefectureCode", "17000"),
                        new XElement(JmxMet + "City", "七尾市"),
                        new XElement(JmxMet + "CityCode", Places.Nanao.JmaCode),
                        new XElement(JmxMet + "SubCityList", "演習町 訓練町"))))),
            new XElement(JmxMet + "MeteorologicalInfos", new XAttribute("type", "水位・流量情報"),
                new XElement(JmxMet + "TimeDefines", new XElement(JmxMet + "TimeDefine", new XAttribute("timeId", "1"),
                    new XElement(JmxMet + "DateTime", Jst(issued)), new XElement(JmxMet + "Name", "現況"))),
                new XElement(JmxMet + "Item",
                    new XElement(JmxMet + "Station",
                        new XElement(JmxMet + "Name", "七尾演習水位観測所"),
                        new XElement(JmxMet + "Code", new XAttribute("type", "水位観測所"), RiverStationCode),
                        new XElement(JmxMet + "Location", "石川県七尾市演習町")),
                    new XElement(JmxMet + "Kind", new XElement(JmxMet + "Property", new XElement(JmxMet + "Type", "水位"),
                        new XElement(JmxMet + "WaterLevelPart", Level("水位", "1", "2.85"), Level("レベル", "1", "2")))))),
            new XElement(JmxMet + "MeteorologicalInfos", new XAttribute("type", "観測所基準値"),
                new XElement(JmxMet + "HydrometricStationPart",
                    new XElement(JmxMet + "Area", new XElement(JmxMet + "Name", "七尾演習水位観測所"), new XElement(JmxMet + "Code", RiverStationCode)),
                    new XElement(JmxMet + "Criteria",
                        Level("レベル１水防団待機水位", "", "2.00"), Level("レベル２氾濫注意水位", "", "2.80"),
                        Level("レベル３避難判断水位", "", "3.40"), Level("レベル４氾濫危険水位", "", "3.90")))));
        var doc = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XComment(" DisasterHub simulator: invented drill telegram, not issued by JMA. "),
            new XElement(JmxReport + "Report", new XAttribute(XNamespace.Xmlns + "jmx", JmxReport.NamespaceName),
                new XElement(JmxReport + "Control",
                    new XElement(JmxReport + "Title", "指定河川洪水予報"),
                    new XElement(JmxReport + "DateTime", issued.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
                    new XElement(JmxReport + "Status", "訓練"),
                    new XElement(JmxReport + "EditorialOffice", "演習地方気象台"),
                    new XElement(JmxReport + "PublishingOffice", "演習河川事務所 演習地方気象台")),
                new XElement(JmxHead + "Head",
                    new XElement(JmxHead + "Title", "演習川氾濫注意情報"),
                    new XElement(JmxHead + "ReportDateTime", Jst(issued)),
                    new XElement(JmxHead + "TargetDateTime", Jst(issued)),
                    new XElement(JmxHead + "EventID", "899900000100"),
                    new XElement(JmxHead + "InfoType", "発表"),
                    new XElement(JmxHead + "Serial", "1"),
                    new XElement(JmxHead + "InfoKind", "指定河川洪水予報"),
                    new XElement(JmxHead + "InfoKindVersion", "1.1_1"),
                    new XElement(JmxHead + "Headline",
                        new XElement(JmxHead + "Text", "【訓練】【警戒レベル２相当情報［洪水］】演習川では、氾濫注意水位に到達し、今後、水位はさらに上昇する見込み"),
                        new XElement(JmxHead + "Information", new XAttribute("type", "指定河川洪水予報（河川）"),
                            new XElement(JmxHead + "Item", Kind(), new XElement(JmxHead + "Areas", new XAttribute("codeType", "河川"), HeadArea("演習川", "8999000001")))),
                        new XElement(JmxHead + "Information", new XAttribute("type", "指定河川洪水予報（府県予報区等）"),
                            new XElement(JmxHead + "Item", Kind(), new XElement(JmxHead + "Areas", new XAttribute("codeType", "気象情報／府県予報区・細分区域等"), HeadArea("石川県", "170000")))))),
                body));
        return Xml(doc);
    }
}
