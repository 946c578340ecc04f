using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DisasterHub.Core;

namespace DisasterHub.Adapters.Shelters;

/// <summary>GSI 指定緊急避難場所 / 指定避難所 fields (FIELDS §2), shared by the CSV and GeoJSON parsers.</summary>
internal static partial class GsiShelterMapping
{
    public const string No = "NO";
    public const string CommonId = "共通ID";
    public const string MunicipalityCodeColumn = "市町村コード";
    public const string PrefectureAndMunicipality = "都道府県名及び市町村名";
    public const string LocalNumber = "市町村内の番号";
    public const string Name = "施設・場所名";
    public const string Address = "住所";
    public const string SameAsShelter = "指定避難所との住所同一";
    public const string SameAsEmergencySite = "指定緊急避難場所との住所同一";
    public const string OtherMatters = "その他市町村長が必要と認める事項";
    public const string AcceptedPersons = "受入対象者";
    public const string Notes = "備考";

    [GeneratedRegex(@"(?:^|[^\d])(\d{5,6})_([12])\.(?:csv|geojson|json)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileNamePattern();

    /// <summary>Per-municipality GSI files are "{code}_{1|2}.csv": 1 = 指定避難所, 2 = 指定緊急避難場所.</summary>
    public static (string? Code, string? Kind) FromFileName(string? fileName)
    {
        if (fileName is null) return (null, null);
        var m = FileNamePattern().Match(Path.GetFileName(fileName));
        if (!m.Success) return (null, null);
        return (m.Groups[1].Value, m.Groups[2].Value == "2" ? ShelterAttrs.KindEmergencySite : ShelterAttrs.KindShelter);
    }

    public static string KindOf(FieldRow row, string? fileKind)
    {
        if (row.HasHazardColumns || row.Has(SameAsShelter)) return ShelterAttrs.KindEmergencySite;
        if (row.HasAny(SameAsEmergencySite, OtherMatters, AcceptedPersons)) return ShelterAttrs.KindShelter;
        return fileKind ?? ShelterAttrs.KindShelter;
    }

    public static void Map(RecordCollector into, FieldRow row, string location, Locate locate, ParseContext context,
        string sourceCrs, string? fileCode, string? fileKind)
    {
        var name = row.Get(Name);
        if (name is null)
        {
            into.Result.Reject(location, $"missing name ({Name})");
            return;
        }
        var commonId = row.Get(CommonId);
        var codes = new[] { MunicipalityCode.FromCommonId(commonId), row.Get(MunicipalityCodeColumn), fileCode };
        if (!ShelterFields.TryResolveMunicipality(codes, ShelterFields.Directory(context), null, null,
                row.Get(PrefectureAndMunicipality), row.Get(Address), out var code, out var reason))
        {
            into.Result.Reject(location, reason);
            return;
        }
        var attrs = new JsonObject { [ShelterAttrs.Kind] = KindOf(row, fileKind) };
        if (!locate(attrs, out var point, out reason))
        {
            into.Result.Reject(location, reason);
            return;
        }
        ShelterFields.AddText(attrs, ShelterAttrs.CommonId, commonId);
        ShelterFields.AddHazards(row, attrs);
        ShelterFields.AddFlag(attrs, ShelterAttrs.SameAddressAsShelter, row.Get(SameAsShelter), row.Has(SameAsShelter));
        ShelterFields.AddFlag(attrs, ShelterAttrs.SameAddressAsEmergencySite, row.Get(SameAsEmergencySite), row.Has(SameAsEmergencySite));
        ShelterFields.AddText(attrs, ShelterAttrs.OtherMatters, row.Get(OtherMatters));
        ShelterFields.AddText(attrs, ShelterAttrs.AcceptedPersons, row.Get(AcceptedPersons));
        ShelterFields.AddText(attrs, ShelterAttrs.Notes, row.Get(Notes));

        var localNumber = row.Get(LocalNumber);
        var sourceKey = commonId ?? row.Get(No)
            ?? (localNumber is not null ? $"{code}:{localNumber}" : $"{code}:{NameNormalizer.Normalize(name)}");
        into.Add(new FeatureRecord
        {
            Layer = Layers.Shelters,
            SourceKey = sourceKey,
            EntityKey = ShelterFields.EntityKey(commonId, code, name),
            MunicipalityCode = code,
            Name = name,
            Address = row.Get(Address),
            Geometry = point,
            SourceCrs = sourceCrs,
            Attrs = attrs,
            Location = location,
        });
    }
}

/// <summary>
/// <c>gsi-shelter-csv</c>: 国土地理院 指定緊急避難場所 (<c>*_2.csv</c>) and 指定避難所 (<c>*_1.csv</c>) CSV, current and older headers.
/// </summary>
public sealed class GsiShelterCsvParser : IBatchedFeedParser
{
    public const string FormatName = "gsi-shelter-csv";

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName)
    {
        if (fileName is not null && !CsvDocument.HasCsvExtension(fileName)) return false;
        var names = CsvDocument.SniffHeader(head);
        return names.Contains(FieldRow.Key(GsiShelterMapping.Name)) && (names.Contains("緯度") || names.Contains(GsiShelterMapping.CommonId));
    }

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context) =>
        ParseBatching.Whole(ParseBatches(content, context, int.MaxValue));

    public IEnumerable<ParseResult> ParseBatches(ReadOnlyMemory<byte> content, ParseContext context, int batchSize)
    {
        var doc = CsvDocument.Read(content);
        if (!doc.Header.Select(FieldRow.Key).Contains(FieldRow.Key(GsiShelterMapping.Name)))
            throw new UnparseableDocumentException("line 1", $"header has no {GsiShelterMapping.Name} column: not a GSI shelter CSV");
        var collector = new RecordCollector(new ParseResult { Format = Format, Encoding = doc.Encoding });
        var (fileCode, fileKind) = GsiShelterMapping.FromFileName(context.FileName);
        // lazily, header checks included: an unreadable document is refused when reading reaches it
        foreach (var batch in collector.Batches(doc.Rows, batchSize, x => GsiShelterMapping.Map(collector, x.Row, $"line {x.Line}", CsvDocument.LatLon(x.Row), context, "EPSG:4326", fileCode, fileKind)))
            yield return batch;
    }
}

/// <summary><c>gsi-shelter-geojson</c>: the GSI files as GeoJSON Points with the GSI property names.</summary>
public sealed class GsiShelterGeoJsonParser : IFeedParser
{
    public const string FormatName = "gsi-shelter-geojson";

    public string Format => FormatName;
    public string Layer => Layers.Shelters;

    public bool Sniff(ReadOnlySpan<byte> head, string? fileName) =>
        GeoJsonDocument.SniffProperties(head, fileName, GsiShelterMapping.Name);

    public ParseResult Parse(ReadOnlyMemory<byte> content, ParseContext context)
    {
        var doc = GeoJsonDocument.Read(content);
        var result = new ParseResult { Format = Format, Encoding = doc.Encoding };
        var collector = new RecordCollector(result);
        var (fileCode, fileKind) = GsiShelterMapping.FromFileName(context.FileName);
        foreach (var f in doc.Features)
            GsiShelterMapping.Map(collector, f.Properties, $"/features/{f.Index}", GeoJsonDocument.LocateFeature(f), context,
                doc.SourceCrs, fileCode, fileKind);
        return result;
    }
}
