using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using DisasterHub.Core;
using NetTopologySuite.Geometries;

namespace DisasterHub.Adapters.Alerts;

/// <summary>
/// The CAP XSDs a deployment supplies as companion files (<c>cap12.xsd</c>, <c>cap11.xsd</c>; see README). They are not
/// embedded: without them the reader's structural validation checks what the schema would (required elements,
/// enumerations, dateTime with zone).
/// </summary>
public sealed class CapSchemas
{
    public const string Cap12File = "cap12.xsd";
    public const string Cap11File = "cap11.xsd";

    private readonly Dictionary<string, XmlSchemaSet> _sets = new(StringComparer.Ordinal);

    public static CapSchemas None { get; } = new();

    public bool Has(string ns) => _sets.ContainsKey(ns);

    internal XmlSchemaSet? For(string ns) => _sets.GetValueOrDefault(ns);

    /// <summary>Compiles the companions (DTD prohibited, no resolver); one that cannot be read is reported and skipped.</summary>
    public static CapSchemas FromCompanions(ParseContext context, ParseResult result)
    {
        var schemas = new CapSchemas();
        foreach (var (file, ns) in new[] { (Cap12File, AlertNamespaces.Cap12), (Cap11File, AlertNamespaces.Cap11) })
        {
            if (!context.Companions.TryGetValue(file, out var bytes)) continue;
            try
            {
                var set = new XmlSchemaSet { XmlResolver = null };
                using var stream = new MemoryStream(bytes.ToArray(), writable: false);
                using var reader = XmlReader.Create(stream, SafeXml.Settings(4L * 1024 * 1024));
                var schema = XmlSchema.Read(reader, null) ?? throw new XmlSchemaException("empty schema");
                if (schema.TargetNamespace != ns) throw new XmlSchemaException($"target namespace is '{schema.TargetNamespace}', expected '{ns}'");
                set.Add(schema);
                set.Compile();
                schemas._sets[ns] = set;
            }
            catch (Exception e) when (e is XmlException or XmlSchemaException)
            {
                result.Reject($"companion {file}", $"schema not usable, falling back to structural validation: {e.Message}");
            }
        }
        return schemas;
    }
}

/// <summary>
/// Reads one CAP 1.1/1.2 <c>alert</c> element into <c>evacuation_orders</c> records (one per <c>info</c>), after
/// validating it against the XSD (when supplied) and the structural rules. Shared by <c>cap</c>, <c>edxl-de</c> and
/// <c>cap-atom</c>.
/// </summary>
public static partial class CapAlertReader
{
    public static readonly IReadOnlyList<string> Statuses = ["Actual", "Exercise", "System", "Test", "Draft"];
    public static readonly IReadOnlyList<string> MsgTypes = ["Alert", "Update", "Cancel", "Ack", "Error"];
    public static readonly IReadOnlyList<string> Scopes = ["Public", "Restricted", "Private"];
    public static readonly IReadOnlyList<string> Categories = ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"];
    public static readonly IReadOnlyList<string> ResponseTypes12 = ["Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"];
    public static readonly IReadOnlyList<string> ResponseTypes11 = ["Shelter", "Evacuate", "Prepare", "Execute", "Monitor", "Assess", "None"];
    public static readonly IReadOnlyList<string> Urgencies = ["Immediate", "Expected", "Future", "Past", "Unknown"];
    public static readonly IReadOnlyList<string> Severities = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
    public static readonly IReadOnlyList<string> Certainties = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"];

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$")]
    private static partial Regex Cap12DateTime();

    /// <summary>Severity word → common severity (Unknown → null).</summary>
    public static int? SeverityOf(string? word) => word switch
    {
        "Extreme" => 3,
        "Severe" => 2,
        "Moderate" => 1,
        "Minor" => 0,
        _ => null,
    };

    /// <summary>Validates and maps one alert; adds records and rejections to <paramref name="result"/>.</summary>
    public static void Read(XElement alert, CapSchemas schemas, ParseResult result)
    {
        var alertPath = SafeXml.PathOf(alert);
        var errors = schemas.For(alert.Name.NamespaceName) is { } set ? SchemaErrors(alert, set) : [];
        if (errors.Count == 0) errors = StructuralErrors(alert, alertPath);
        if (errors.Count > 0)
        {
            result.Reject(alertPath, string.Join("; ", errors));
            return;
        }

        XNamespace ns = alert.Name.Namespace;
        var identifier = Req(alert, ns + "identifier");
        var sender = Req(alert, ns + "sender");
        var sent = AlertXml.Zoned(Req(alert, ns + "sent"))!.Value;
        var msgType = Req(alert, ns + "msgType");
        var status = Req(alert, ns + "status");
        var scope = Req(alert, ns + "scope");
        var references = AlertXml.Text(alert.Element(ns + "references"))?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) ?? [];
        var entityKey = $"cap:{sender}:{identifier}";
        if (msgType is "Update" or "Cancel")
            foreach (var triple in references)
            {
                var parts = triple.Split(',');
                if (parts.Length == 3 && parts[0].Length > 0 && parts[1].Length > 0)
                {
                    entityKey = $"cap:{parts[0]}:{parts[1]}";
                    break;
                }
            }

        var infos = alert.Elements(ns + "info").ToList();
        if (infos.Count == 0)
        {
            if (msgType is "Alert" or "Update") result.Reject(alertPath, "the alert has no info block: nothing to map");
            else if (msgType == "Cancel")
                result.Reject(alertPath, $"Cancel of {entityKey} carries no info/area, so it cannot be placed as a record (the hub must retire {entityKey} itself)");
            return;
        }

        for (var i = 0; i < infos.Count; i++)
        {
            var info = infos[i];
            var infoPath = $"{alertPath}/info[{i + 1}]";
            if (!TryArea(info, ns, infoPath, result, out var geometry, out var codes, out var areaDescs)) continue;

            var severityWord = Req(info, ns + "severity");
            var attrs = new JsonObject
            {
                ["identifier"] = identifier,
                ["sender"] = sender,
                ["sent"] = AlertXml.Iso(sent),
                ["cap_version"] = ns.NamespaceName == AlertNamespaces.Cap12 ? "1.2" : "1.1",
                ["cap_status"] = status,
                ["msg_type"] = msgType,
                ["scope"] = scope,
            };
            if (references.Length > 0) attrs["references"] = new JsonArray([.. references.Select(r => (JsonNode)r)]);
            Add(attrs, "language", AlertXml.Text(info.Element(ns + "language")));
            attrs["event"] = Req(info, ns + "event");
            attrs["categories"] = new JsonArray([.. info.Elements(ns + "category").Select(c => (JsonNode)c.Value.Trim())]);
            var responses = info.Elements(ns + "responseType").Select(c => c.Value.Trim()).ToList();
            if (responses.Count > 0) attrs["response_types"] = new JsonArray([.. responses.Select(r => (JsonNode)r)]);
            attrs["urgency"] = Req(info, ns + "urgency");
            attrs["cap_severity"] = severityWord;
            attrs["certainty"] = Req(info, ns + "certainty");
            DateTimeOffset? effective = null;
            DateTimeOffset? onset = null;
            DateTimeOffset? expires = null;
            foreach (var name in new[] { "effective", "onset", "expires" })
                if (AlertXml.Zoned(AlertXml.Text(info.Element(ns + name))) is { } t)
                {
                    attrs[name] = AlertXml.Iso(t);
                    if (name == "effective") effective = t;
                    if (name == "onset") onset = t;
                    if (name == "expires") expires = t;
                }
            foreach (var (name, key) in new[] { ("senderName", "sender_name"), ("headline", "headline"), ("description", "description"), ("instruction", "instruction"), ("web", "web"), ("contact", "contact"), ("audience", "audience") })
                Add(attrs, key, AlertXml.Text(info.Element(ns + name)));
            if (areaDescs.Count > 0) attrs["area_desc"] = string.Join("; ", areaDescs);
            AddPairs(attrs, "event_codes", info.Elements(ns + "eventCode"));
            AddPairs(attrs, "parameters", info.Elements(ns + "parameter"));
            if (codes.Count > 1) attrs["municipality_codes"] = new JsonArray([.. codes.Select(c => (JsonNode)c)]);

            var record = new FeatureRecord
            {
                Layer = Layers.EvacuationOrders,
                SourceKey = $"{identifier}#{i + 1}",
                EntityKey = entityKey,
                MunicipalityCode = codes.FirstOrDefault(),
                Name = AlertXml.Text(info.Element(ns + "headline")) ?? Req(info, ns + "event"),
                Address = areaDescs.Count > 0 ? string.Join("; ", areaDescs) : null,
                Geometry = geometry,
                LocatedByCode = geometry is null && codes.Count > 0,
                Status = msgType == "Cancel" ? "cancelled" : msgType.ToLowerInvariant(),
                Severity = msgType == "Cancel" ? 0 : SeverityOf(severityWord),
                ObservedAt = effective ?? onset ?? sent,
                ReportedAt = sent,
                Classification = scope switch
                {
                    "Restricted" => Classifications.Responders,
                    "Private" => Classifications.Restricted,
                    _ => Classifications.Public,
                },
                Attrs = attrs,
                Location = infoPath,
                ValidFrom = effective ?? onset,
                ValidUntil = expires,
            };
            record.MarkStatus(StatusOf(status), $"{alertPath}/status {status}");
            result.Records.Add(record);
        }
    }

    /// <summary>CAP status (and EDXL-DE distributionStatus, which shares its words) → <see cref="DocumentStatus"/>.</summary>
    public static DocumentStatus StatusOf(string? word) => word switch
    {
        "Exercise" => DocumentStatus.Exercise,
        "Test" => DocumentStatus.Test,
        "System" => DocumentStatus.System,
        "Draft" => DocumentStatus.Draft,
        _ => DocumentStatus.Actual,
    };

    /// <summary>
    /// Geometry and JIS X 0402 codes of all areas of an info. A malformed polygon, circle or code rejects the info.
    /// </summary>
    internal static bool TryArea(XElement info, XNamespace ns, string infoPath, ParseResult result,
        out Geometry? geometry, out List<string> codes, out List<string> areaDescs)
    {
        geometry = null;
        codes = [];
        areaDescs = [];
        var parts = new List<Geometry>();
        var areas = info.Elements(ns + "area").ToList();
        for (var a = 0; a < areas.Count; a++)
        {
            var area = areas[a];
            var areaPath = $"{infoPath}/area[{a + 1}]";
            if (AlertXml.Text(area.Element(ns + "areaDesc")) is { } desc) areaDescs.Add(desc);
            var polygons = area.Elements(ns + "polygon").ToList();
            for (var p = 0; p < polygons.Count; p++)
            {
                if (AlertXml.Text(polygons[p]) is not { } text) continue;
                if (!AreaGeometry.TryPolygon(text, out var g, out var why))
                {
                    result.Reject($"{areaPath}/polygon[{p + 1}]", $"polygon: {why}");
                    return false;
                }
                parts.Add(g!);
            }
            var circles = area.Elements(ns + "circle").ToList();
            for (var c = 0; c < circles.Count; c++)
            {
                if (AlertXml.Text(circles[c]) is not { } text) continue;
                if (!AreaGeometry.TryCircle(text, out var g, out var why))
                {
                    result.Reject($"{areaPath}/circle[{c + 1}]", $"circle: {why}");
                    return false;
                }
                parts.Add(g!);
            }
            var geocodes = area.Elements(ns + "geocode").ToList();
            for (var k = 0; k < geocodes.Count; k++)
            {
                if (!IsJisX0402(AlertXml.Text(geocodes[k], "valueName"))) continue;
                foreach (var raw in (AlertXml.Text(geocodes[k], "value") ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!MunicipalityCode.TryNormalize(raw, out var code, out var error))
                    {
                        result.Reject($"{areaPath}/geocode[{k + 1}]", error!);
                        return false;
                    }
                    if (!codes.Contains(code)) codes.Add(code);
                }
            }
        }
        geometry = AreaGeometry.Combine(parts);
        return true;
    }

    /// <summary>"jisX0402", "JIS X 0402", "JISX0402-code" …: the valueName of a 全国地方公共団体コード geocode.</summary>
    public static bool IsJisX0402(string? valueName)
    {
        if (valueName is null) return false;
        var squeezed = new string([.. valueName.Where(char.IsAsciiLetterOrDigit)]).ToLowerInvariant();
        return squeezed.Contains("jisx0402", StringComparison.Ordinal);
    }

    /// <summary>What cap11.xsd / cap12.xsd would say about the alert, checked in code (paths like /alert/info[1]/urgency).</summary>
    public static List<string> StructuralErrors(XElement alert, string alertPath)
    {
        var errors = new List<string>();
        XNamespace ns = alert.Name.Namespace;
        var v12 = ns.NamespaceName == AlertNamespaces.Cap12;
        if (alert.Name.LocalName != "alert" || !AlertNamespaces.IsCap(ns))
        {
            errors.Add($"{alertPath}: root must be alert in {AlertNamespaces.Cap12} or {AlertNamespaces.Cap11}");
            return errors;
        }
        Required(alert, ns, "identifier", alertPath, errors, nonEmpty: true);
        Required(alert, ns, "sender", alertPath, errors, nonEmpty: true);
        if (Required(alert, ns, "sent", alertPath, errors) is { } sent) DateTimeCheck(sent, v12, $"{alertPath}/sent", errors);
        if (Required(alert, ns, "status", alertPath, errors) is { } status) Enum(status, Statuses, $"{alertPath}/status", errors);
        if (Required(alert, ns, "msgType", alertPath, errors) is { } msgType) Enum(msgType, MsgTypes, $"{alertPath}/msgType", errors);
        if (Required(alert, ns, "scope", alertPath, errors) is { } scope) Enum(scope, Scopes, $"{alertPath}/scope", errors);

        var infos = alert.Elements(ns + "info").ToList();
        for (var i = 0; i < infos.Count; i++)
        {
            var info = infos[i];
            var p = $"{alertPath}/info[{i + 1}]";
            var categories = info.Elements(ns + "category").ToList();
            if (categories.Count == 0) errors.Add($"{p}/category: required element is missing");
            for (var c = 0; c < categories.Count; c++) Enum(categories[c], Categories, $"{p}/category[{c + 1}]", errors);
            Required(info, ns, "event", p, errors);
            var responses = info.Elements(ns + "responseType").ToList();
            for (var r = 0; r < responses.Count; r++) Enum(responses[r], v12 ? ResponseTypes12 : ResponseTypes11, $"{p}/responseType[{r + 1}]", errors);
            if (Required(info, ns, "urgency", p, errors) is { } urgency) Enum(urgency, Urgencies, $"{p}/urgency", errors);
            if (Required(info, ns, "severity", p, errors) is { } severity) Enum(severity, Severities, $"{p}/severity", errors);
            if (Required(info, ns, "certainty", p, errors) is { } certainty) Enum(certainty, Certainties, $"{p}/certainty", errors);
            foreach (var name in new[] { "effective", "onset", "expires" })
                if (info.Element(ns + name) is { } t) DateTimeCheck(t, v12, $"{p}/{name}", errors);
            var areas = info.Elements(ns + "area").ToList();
            for (var a = 0; a < areas.Count; a++) Required(areas[a], ns, "areaDesc", $"{p}/area[{a + 1}]", errors);
        }
        return errors;
    }

    private static List<string> SchemaErrors(XElement alert, XmlSchemaSet set)
    {
        var errors = new List<string>();
        var declaration = set.GlobalElements[new XmlQualifiedName("alert", alert.Name.NamespaceName)];
        if (declaration is null) return [$"{SafeXml.PathOf(alert)}: the supplied schema declares no alert element"];
        alert.Validate(declaration, set, (sender, e) =>
        {
            var where = sender is XObject x ? x switch
            {
                XElement el => SafeXml.PathOf(el),
                XAttribute at when at.Parent is not null => $"{SafeXml.PathOf(at.Parent)}/@{at.Name.LocalName}",
                _ => SafeXml.PathOf(alert),
            } : SafeXml.PathOf(alert);
            var line = sender is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : e.Exception?.LineNumber ?? 0;
            errors.Add(line > 0 ? $"{where} (line {line}): {e.Message}" : $"{where}: {e.Message}");
        });
        return errors;
    }

    private static XElement? Required(XElement parent, XNamespace ns, string name, string parentPath, List<string> errors, bool nonEmpty = false)
    {
        var e = parent.Element(ns + name);
        if (e is null) errors.Add($"{parentPath}/{name}: required element is missing");
        else if (nonEmpty && e.Value.Trim().Length == 0) errors.Add($"{parentPath}/{name}: must not be empty");
        return e;
    }

    private static void Enum(XElement e, IReadOnlyList<string> allowed, string path, List<string> errors)
    {
        var v = e.Value.Trim();
        if (!allowed.Contains(v)) errors.Add($"{path}: '{v}' is not one of {string.Join(", ", allowed)}");
    }

    private static void DateTimeCheck(XElement e, bool v12, string path, List<string> errors)
    {
        var v = e.Value.Trim();
        var shaped = v12 ? Cap12DateTime().IsMatch(v) : AlertXml.ZonedDateTime().IsMatch(v);
        if (!shaped || AlertXml.Zoned(v) is null)
            errors.Add($"{path}: '{v}' is not a dateTime with zone (e.g. 2026-11-22T09:00:00+09:00)");
    }

    private static string Req(XElement parent, XName name) => parent.Element(name)!.Value.Trim();

    private static void Add(JsonObject attrs, string key, string? value)
    {
        if (value is not null) attrs[key] = value;
    }

    private static void AddPairs(JsonObject attrs, string key, IEnumerable<XElement> pairs)
    {
        var list = new JsonArray();
        foreach (var pair in pairs)
        {
            var name = AlertXml.Text(pair, "valueName");
            var value = AlertXml.Text(pair, "value");
            if (name is null && value is null) continue;
            list.Add(new JsonObject { ["name"] = name, ["value"] = value });
        }
        if (list.Count > 0) attrs[key] = list;
    }
}
