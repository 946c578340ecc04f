using System.Text.Json.Nodes;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Shelters;

/// <summary>
/// Digital Agency 自治体標準オープンデータセット 指定緊急避難場所一覧 fields (FIELDS §1): the 39-column edition, the older
/// 26-column 推奨データセット edition, and subsets; shared by the CSV and GeoJSON parsers. Columns are found by name.
/// </summary>
internal static class DaShelterMapping
{
    public const string Id = "ID";
    public const string No = "NO";
    public const string Name = "名称";
    public const string Kana = "名称_カナ";
    public const string NameEn = "名称_英字";
    public const string OrganizationCode = "全国地方公共団体コード";
    public const string LocationCode = "所在地_全国地方公共団体コード";
    public const string CityCode = "市区町村コード";
    public const string OrganizationName = "地方公共団体名";
    public const string FullAddress = "所在地_連結表記";
    public const string OldAddress = "住所";
    public const string Prefecture = "所在地_都道府県";
    public const string OldPrefecture = "都道府県名";
    public const string Municipality = "所在地_市区町村";
    public const string OldMunicipality = "市区町村名";
    public const string Building = "建物名等(方書)";
    public const string OldBuilding = "方書";
    public const string Phone = "電話番号";
    public const string Elevation = "標高";
    public const string SameAsShelter = "指定避難所との重複";
    public const string Capacity = "想定収容人数";
    public const string Communities = "対象となる町会・自治会";
    public const string District = "地区";
    public const string Url = "URL";
    public const string Notes = "備考";
    public const string Evacuees = "人数";
    public const string ObservedAt = "時点";
    public const string OpenStatus = "開設状況";

    /// <summary>Header names that mark a document as this family (with 名称).</summary>
    public static readonly string[] Markers = [FullAddress, Prefecture, Municipality, "災害種別_地震", "災害種別_洪水", LocationCode, Id];

    /// <summary>The evacuee-count column: "人数", or "人数_令和6年1月9日午後6時時点" whose header dates the counts.</summary>
    public static string? EvacueeColumn(IEnumerable<string> names) =>
        names.FirstOrDefault(n => n == Evacuees) ?? names.FirstOrDefault(n => n.StartsWith(Evacuees + "_", StringComparison.Ordinal));

    public static void Map(RecordCollector into, FieldRow row, string location, Locate locate, ParseContext context,
        string sourceCrs, string? evacueeColumn, DateTimeOffset? headerObservedAt)
    {
        var name = row.Get(Name);
        if (name is null)
        {
            into.Result.Reject(location, $"missing name ({Name})");
            return;
        }
        // 全国地方公共団体コード is the publisher, which may be a prefecture publishing for all its municipalities.
        var organization = row.Get(OrganizationCode);
        if (organization is not null && MunicipalityCode.TryNormalize(organization, out var org, out _) && org[2..5] == "000")
            organization = null;
        var address = row.Get(FullAddress, OldAddress);
        if (!ShelterFields.TryResolveMunicipality([row.Get(LocationCode), row.Get(CityCode), organization],
                ShelterFields.Directory(context), row.Get(Prefecture, OldPrefecture), row.Get(Municipality, OldMunicipality),
                row.Get(OrganizationName), address, out var code, out var reason))
        {
            into.Result.Reject(location, reason);
            return;
        }

        string? status = null;
        var statusText = row.Get(OpenStatus);
        if (statusText is not null)
        {
            if (!ShelterStatus.TryNormalize(statusText, out var s))
            {
                into.Result.Reject(location, $"unknown {OpenStatus} '{statusText}' (expected 未開設/開設/閉鎖/不明/常設)");
                return;
            }
            status = s;
        }
        else if (evacueeColumn is not null)
        {
            status = ShelterStatus.Open; // an evacuee-count list is a list of open shelters
        }

        DateTimeOffset? observedAt = headerObservedAt;
        var observedText = row.Get(ObservedAt);
        if (observedText is not null)
        {
            if (!WarekiDate.TryParse(observedText, out var t) && !DateTimeOffset.TryParse(observedText, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.None, out t))
            {
                into.Result.Reject(location, $"{ObservedAt} '{observedText}' is not a date");
                return;
            }
            observedAt = t.ToUniversalTime();
        }

        var attrs = new JsonObject { [ShelterAttrs.Kind] = ShelterAttrs.KindEmergencySite };
        if (!locate(attrs, out var point, out reason))
        {
            into.Result.Reject(location, reason);
            return;
        }
        if (evacueeColumn is not null)
        {
            var raw = row.Get(evacueeColumn);
            var count = ShelterFields.ParseCount(raw);
            if (raw is not null && count is null)
            {
                into.Result.Reject(location, $"{evacueeColumn} '{raw}' is not a non-negative whole number");
                return;
            }
            if (count is not null) attrs[ShelterAttrs.Evacuees] = count;
        }
        ShelterFields.AddHazards(row, attrs);
        ShelterFields.AddCapacity(attrs, row.Get(Capacity));
        ShelterFields.AddText(attrs, ShelterAttrs.Phone, row.Get(Phone));
        ShelterFields.AddFlag(attrs, ShelterAttrs.SameAddressAsShelter, row.Get(SameAsShelter), row.Has(SameAsShelter));
        ShelterFields.AddText(attrs, ShelterAttrs.Kana, row.Get(Kana));
        ShelterFields.AddText(attrs, ShelterAttrs.NameEn, row.Get(NameEn));
        ShelterFields.AddText(attrs, ShelterAttrs.District, row.Get(District));
        ShelterFields.AddText(attrs, ShelterAttrs.Communities, row.Get(Communities));
        if (ShelterFields.TryParseNumber(row.Get(Elevation), out var elevation)) attrs[ShelterAttrs.Elevation] = elevation;
        ShelterFields.AddText(attrs, ShelterAttrs.Url, row.Get(Url));
        ShelterFields.AddText(attrs, ShelterAttrs.Notes, row.Get(Notes));

        var building = row.Get(Building, OldBuilding);
        if (address is null)
        {
            var parts = new[] { row.Get(Prefecture, OldPrefecture), row.Get(Municipality, OldMunicipality), row.Get("所在地_町字"), row.Get("所在地_番地以下") };
            address = parts.Any(p => p is not null) ? string.Concat(parts.Where(p => p is not null)) : null;
        }
        if (address is not null && building is not null && !address.Contains(building, StringComparison.Ordinal))
            address += " " + building;

        var id = row.Get(Id, No);
        into.Add(new FeatureRecord
        {
            Layer = Layers.Shelters,
            SourceKey = id ?? $"{code}:{NameNormalizer.Normalize(name)}",
            EntityKey = ShelterFields.EntityKey(null, code, name),
            MunicipalityCode = code,
            Name = name,
            Address = address,
            Geometry = point,
            SourceCrs = sourceCrs,
            Status = status,
            ObservedAt = observedAt,
            Attrs = attrs,
            Location = location,
        });
    }
}

/// <summary><c>da-shelter-csv</c>: Digital Agency standard 指定緊急避難場所 CSV (39- or 26-column edition, or a subset).</summary>
public sealed class DaShelterCsvParser : IBatchedFeedParser
{
    public const string FormatName = "da-shelter-csv";

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !CsvDocument.HasCsvExtension(fileName)) return false;
        var names = CsvDocument.SniffHeader(head);
        return names.Contains(DaShelterMapping.Name) && (names.Contains("緯度") || DaShelterMapping.Markers.Any(m => names.Contains(FieldRow.Key(m))));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context) =>
        ParseBatching.Whole(ParseBatches(content, context, int.MaxValue));

    public IEnumerable<ParseResult> ParseBatches(ReadOnlyMemory<byte> content, ParseContext context, int batchSize)
    {
        var doc = CsvDocument.Read(content);
        var header = doc.Header.Select(FieldRow.Key).ToList();
        if (!header.Contains(DaShelterMapping.Name))
            throw new UnparseableDocumentException("line 1", $"header has no {DaShelterMapping.Name} column: not a Digital Agency shelter CSV");
        var collector = new RecordCollector(new ParseResult { Format = Format, Encoding = doc.Encoding });
        var evacueeColumn = DaShelterMapping.EvacueeColumn(header);
        DateTimeOffset? headerTime = evacueeColumn is not null && WarekiDate.TryFind(evacueeColumn, out var t) ? t : null;
        // lazily, header checks included: an unreadable document is refused when reading reaches it
        foreach (var batch in collector.Batches(doc.Rows, batchSize, x => DaShelterMapping.Map(collector, x.Row, $"line {x.Line}", CsvDocument.LatLon(x.Row), context, "EPSG:4326", evacueeColumn, headerTime)))
            yield return batch;
    }
}

/// <summary>
/// <c>da-shelter-geojson</c>: GeoJSON with the Digital Agency property names, in any CRS named by a <c>crs</c> member
/// (e.g. 七尾市's EPSG:6675 file); 人数 → evacuees, 時点 (和暦) → observed_at.
/// </summary>
public sealed class DaShelterGeoJsonParser : IFeedParser
{
    public const string FormatName = "da-shelter-geojson";

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) =>
        GeoJsonDocument.SniffProperties(head, fileName, DaShelterMapping.Name) &&
        GeoJsonDocument.SniffProperties(head, fileName, DaShelterMapping.Markers);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = GeoJsonDocument.Read(content);
        var result = new ParseResult { Format = Format, Encoding = doc.Encoding };
        var collector = new RecordCollector(result);
        foreach (var f in doc.Features)
        {
            var evacueeColumn = DaShelterMapping.EvacueeColumn(f.Properties.Names);
            DateTimeOffset? headerTime = evacueeColumn is not null && WarekiDate.TryFind(evacueeColumn, out var t) ? t : null;
            DaShelterMapping.Map(collector, f.Properties, $"/features/{f.Index}", GeoJsonDocument.LocateFeature(f), context,
                doc.SourceCrs, evacueeColumn, headerTime);
        }
        return result;
    }
}
