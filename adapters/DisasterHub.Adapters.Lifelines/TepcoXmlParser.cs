using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>tepco-xml</c>: TEPCO PG's outage area tree (<c>teideninfo.tepco.co.jp/flash/xml/{area}.xml</c>, FIELDS §6): root
/// <c>&lt;東京電力停電情報&gt;</c>, nested <c>エリア@コード</c> with <c>名前</c> and <c>停電軒数</c>, <c>更新日時</c>
/// (yyyyMMddHHmm, JST). One record per leaf エリア, located by the municipality code its 11-digit area code starts with.
/// </summary>
public sealed partial class TepcoXmlParser : IFeedParser
{
    public const string FormatName = "tepco-xml";
    public const string RootName = "東京電力停電情報";
    public const string Utility = "東京電力パワーグリッド";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public string Format => FormatName;
    public string Layer => Layers.PowerOutages;

    [GeneratedRegex(@"^\d{11}$")]
    private static partial Regex AreaCode();

    [GeneratedRegex(@"^(約)?(\d+)軒?$")]
    private static partial Regex CountText();

    [GeneratedRegex(@"^(\d+)軒未満$")]
    private static partial Regex UnderText();

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !(fileName.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) || !Path.HasExtension(fileName)))
            return false;
        return TextDecoding.DecodeHead(head).Text.Contains("<" + RootName, StringComparison.Ordinal);
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = SafeXml.Load(content);
        var root = doc.Root!;
        if (root.Name.LocalName != RootName)
            throw new UnparseableDocumentException("/" + root.Name.LocalName, $"root element is <{root.Name.LocalName}>, expected <{RootName}>");

        DateTimeOffset? observed = null;
        if (root.Element("更新日時") is { } updated)
        {
            var s = updated.Value.Trim();
            if (!DateTime.TryParseExact(s, "yyyyMMddHHmm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                throw new UnparseableDocumentException(SafeXml.PathOf(updated), $"更新日時 '{s}' is not yyyyMMddHHmm");
            observed = new DateTimeOffset(local, Jst).ToUniversalTime();
        }

        var result = new ParseResult { Format = Format };
        var keys = new UniqueKeys(result);
        var title = root.Element("タイトル")?.Value.Trim();
        foreach (var area in root.Elements("エリア")) Walk(area, [], title, observed, result, keys);
        return result;
    }

    private static void Walk(XElement area, List<string> path, string? title, DateTimeOffset? observed, ParseResult result, UniqueKeys keys)
    {
        var name = area.Element("名前")?.Value.Trim();
        var names = new List<string>(path);
        if (!string.IsNullOrEmpty(name)) names.Add(name);
        var children = area.Elements("エリア").ToList();
        if (children.Count > 0)
        {
            foreach (var child in children) Walk(child, names, title, observed, result, keys);
            return;
        }

        var at = SafeXml.PathOf(area);
        var code = area.Attribute("コード")?.Value.Trim() ?? "";
        if (!AreaCode().IsMatch(code))
        {
            result.Reject(at, $"エリア@コード '{code}' is not an 11-digit area code");
            return;
        }
        if (code.StartsWith("00000", StringComparison.Ordinal))
        {
            result.Reject(at, $"area code {code} is the whole service area and cannot be located");
            return;
        }
        if (!MunicipalityCode.IsPrefecture(int.Parse(code.AsSpan(0, 2), CultureInfo.InvariantCulture)))
        {
            result.Reject(at, $"area code {code}: {code[..2]} is not a prefecture code");
            return;
        }
        if (!MunicipalityCode.TryNormalize(code[..5], out var code6, out var error))
        {
            result.Reject(at, $"area code {code}: {error}");
            return;
        }

        var attrs = new JsonObject { ["utility"] = Utility, ["area_code"] = code };
        long customersOut = 0;
        if (area.Element("停電軒数") is { } countElement)
        {
            var raw = countElement.Value.Trim();
            var s = raw.Normalize(NormalizationForm.FormKC).Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            if (UnderText().Match(s) is { Success: true } under && long.TryParse(under.Groups[1].Value, CultureInfo.InvariantCulture, out var limit) && limit >= 2)
            {
                customersOut = 1;
                attrs["customers_out_min"] = 1;
                attrs["customers_out_max"] = limit - 1;
            }
            else if (CountText().Match(s) is { Success: true } m && long.TryParse(m.Groups[2].Value, CultureInfo.InvariantCulture, out var n))
            {
                customersOut = n;
                if (m.Groups[1].Success) attrs["approximate"] = true;
            }
            else
            {
                result.Reject(SafeXml.PathOf(countElement), $"停電軒数 '{raw}' is not a count (N軒, 約N軒 or N軒未満)");
                return;
            }
            attrs["customers_out_text"] = raw;
        }
        attrs["customers_out"] = customersOut;
        if (names.Count > 1) attrs["area_path"] = string.Join('/', names);
        if (!string.IsNullOrEmpty(title)) attrs["title"] = title;

        var districtLevel = code[5..] != "000000";
        keys.TryAdd(new FeatureRecord
        {
            Layer = Layers.PowerOutages,
            SourceKey = code,
            EntityKey = districtLevel ? "tepco-area:" + code : PowerOutage.MunicipalityEntity(code6),
            MunicipalityCode = code6,
            Name = name,
            LocatedByCode = true,
            Status = PowerOutage.Status(customersOut),
            Severity = PowerOutage.Severity(customersOut, null),
            ObservedAt = observed,
            ReportedAt = observed,
            Attrs = attrs,
            Location = at,
        });
    }
}
