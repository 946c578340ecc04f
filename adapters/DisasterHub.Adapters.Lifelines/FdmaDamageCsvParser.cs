using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Lifelines;

/// <summary>
/// <c>fdma-damage-csv</c>: 第4号様式 その2 as a spreadsheet, one row per municipality with Japanese headers (README);
/// any subset of the item columns is accepted, the code column is required. Rejections say "line N".
/// </summary>
public sealed class FdmaDamageCsvParser : IFeedParser
{
    public const string FormatName = "fdma-damage-csv";

    public static readonly IReadOnlyList<string> CodeHeaders = ["全国地方公共団体コード", "団体コード", "市区町村コード"];

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly string[] LocalFormats = ["yyyy/M/d H:mm", "yyyy/M/d H:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

    public string Format => FormatName;
    public string Layer => Layers.Damage;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !(fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || !Path.HasExtension(fileName)))
            return false;
        var fields = TextDecoding.DecodeFirstLine(head).TrimStart('\uFEFF').Split(',').Select(Clean).ToHashSet(StringComparer.Ordinal);
        return CodeHeaders.Any(fields.Contains)
            && (fields.Contains("死者") || fields.Contains("行方不明者") || fields.Contains("全壊_棟") || fields.Contains("り災世帯数") || fields.Contains("床上浸水_棟"));
    }

    private static string Clean(string h) => h.Trim().Trim('"').Trim().Normalize(NormalizationForm.FormKC);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var (text, encoding) = TextDecoding.Decode(content.Span);
        using var rows = CsvReader.Read(text).GetEnumerator();
        if (!rows.MoveNext()) throw new UnparseableDocumentException("line 1", "empty document");
        var header = rows.Current.Fields.Select(h => Clean(h).TrimStart('\uFEFF')).ToList();
        int Col(string name) => header.IndexOf(name);
        var codeCol = CodeHeaders.Select(Col).FirstOrDefault(i => i >= 0, -1);
        if (codeCol < 0) throw new UnparseableDocumentException("line 1", "no 全国地方公共団体コード column");

        // (column, attrs key) for every item column present.
        var columns = new List<(int Col, string Header, string Key)>();
        foreach (var item in FdmaDamage.Items)
        {
            if (item.Kind == FdmaItemKind.Housing)
            {
                foreach (var (unit, suffix) in FdmaDamage.HousingUnits)
                    if (Col($"{item.CsvHeader}_{unit}") is >= 0 and var c) columns.Add((c, $"{item.CsvHeader}_{unit}", $"{item.Key}_{suffix}"));
                if (Col(item.CsvHeader) is >= 0 and var bare && !columns.Any(x => x.Key == item.Key + "_buildings"))
                    columns.Add((bare, item.CsvHeader, item.Key + "_buildings"));
            }
            else if (Col(item.CsvHeader) is >= 0 and var c)
            {
                columns.Add((c, item.CsvHeader, item.Key));
            }
        }
        var nameCol = Col("市区町村名");
        var timeCol = Col("報告日時");
        var reportNoCol = Col("報告番号");
        var disasterCol = Col("災害名");
        var reporterCol = Col("報告者");
        var hqTypeCol = Col("本部種別");
        var hqTimeCol = Col("本部設置日時");
        var notesCol = Col("備考");

        var result = new ParseResult { Format = Format, Encoding = encoding };
        var keys = new UniqueKeys(result);
        while (rows.MoveNext())
        {
            var row = rows.Current;
            if (CsvReader.IsBlank(row)) continue;
            var at = $"line {row.Line}";
            string Cell(int c) => c < 0 ? "" : row[c].Trim();

            if (!MunicipalityCode.TryNormalize(Cell(codeCol), out var code, out var error))
            {
                result.Reject(at, error!);
                continue;
            }
            DateTimeOffset observed = context.ReceivedAt.ToUniversalTime();
            DateTimeOffset? reported = null;
            if (Cell(timeCol) is { Length: > 0 } timeText)
            {
                if (!TryTime(timeText, out var t))
                {
                    result.Reject(at, $"報告日時 '{timeText}' is not a date and time (ISO 8601 with zone, or yyyy/MM/dd HH:mm in JST)");
                    continue;
                }
                observed = t;
                reported = t;
            }

            var attrs = new JsonObject();
            if (Cell(reportNoCol) is { Length: > 0 } rn)
            {
                if (!LifelineFields.TryCountText(rn, out var n))
                {
                    result.Reject(at, $"報告番号 '{rn}' must be a non-negative integer");
                    continue;
                }
                attrs["report_no"] = n;
            }
            if (Cell(disasterCol) is { Length: > 0 } disaster) attrs["disaster_name"] = disaster;
            if (Cell(reporterCol) is { Length: > 0 } reporter) attrs["reporter"] = reporter;

            string? bad = null;
            foreach (var (c, column, key) in columns)
            {
                var cell = Cell(c);
                if (cell.Length == 0) continue;
                if (!LifelineFields.TryCountText(cell, out var n))
                {
                    bad = $"{column} '{cell}' must be a non-negative integer";
                    break;
                }
                attrs[key] = n;
            }
            if (bad is not null)
            {
                result.Reject(at, bad);
                continue;
            }
            if (Cell(hqTypeCol) is { Length: > 0 } hqType) attrs["headquarters_type"] = hqType;
            if (Cell(hqTimeCol) is { Length: > 0 } hqTime)
            {
                if (!TryTime(hqTime, out var t))
                {
                    result.Reject(at, $"本部設置日時 '{hqTime}' is not a date and time");
                    continue;
                }
                attrs["headquarters_established_at"] = LifelineFields.IsoUtc(t);
            }
            if (Cell(notesCol) is { Length: > 0 } notes) attrs["notes"] = notes;

            keys.TryAdd(new FeatureRecord
            {
                Layer = Layers.Damage,
                SourceKey = code,
                EntityKey = FdmaDamage.EntityKey(code),
                MunicipalityCode = code,
                Name = Cell(nameCol) is { Length: > 0 } name ? name : FdmaDamage.NameOf(code, context),
                LocatedByCode = true,
                Status = FdmaDamage.Status,
                Severity = FdmaDamage.Severity(attrs),
                ObservedAt = observed,
                ReportedAt = reported,
                Attrs = attrs,
                Location = at,
            });
        }
        return result;
    }

    /// <summary>ISO 8601 with a zone; or a local time without zone, which this format defines as JST.</summary>
    private static bool TryTime(string s, out DateTimeOffset utc)
    {
        s = s.Normalize(NormalizationForm.FormKC).Trim();
        if (LifelineFields.TryZoned(s, out utc, out _)) return true;
        if (DateTime.TryParseExact(s, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            utc = new DateTimeOffset(local, Jst).ToUniversalTime();
            return true;
        }
        return false;
    }
}
