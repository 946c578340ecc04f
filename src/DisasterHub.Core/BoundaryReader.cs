using System.Text.Json;
using System.Text.Json.Nodes;

namespace DisasterHub.Core;

/// <summary>One municipal boundary part from an N03 file: code with check digit, names, GeoJSON geometry text.</summary>
public sealed record BoundaryPart(string Code, string? Prefecture, string? Name, string GeoJson);

/// <summary>
/// Reads 国土数値情報 N03 行政区域 as GeoJSON or TopoJSON (FIELDS §9): N03_007 is the 5-digit code, which gets its
/// check digit here. Parts without a code (所属未定地) are skipped and counted. Also reads the hub's own
/// <c>geodata/municipal-boundaries.geojson</c> (properties <c>code</c> with check digit, <c>prefecture</c>, <c>name</c>).
/// </summary>
public static class BoundaryReader
{
    public static (List<BoundaryPart> Parts, int Skipped) Read(ReadOnlyMemory<byte> content)
    {
        using var doc = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 256 });
        var root = doc.RootElement;
        var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
        return type switch
        {
            "FeatureCollection" => FromFeatures(root.GetProperty("features").EnumerateArray().Select(f =>
                (f.TryGetProperty("properties", out var p) ? p : default, f.GetProperty("geometry").GetRawText()))),
            "Topology" => FromFeatures(TopoJsonFeatures(root)),
            _ => throw new UnparseableDocumentException("/type", "expected a GeoJSON FeatureCollection or a TopoJSON Topology"),
        };
    }

    private static (List<BoundaryPart>, int) FromFeatures(IEnumerable<(JsonElement Properties, string Geometry)> features)
    {
        var parts = new List<BoundaryPart>();
        var skipped = 0;
        foreach (var (p, g) in features)
        {
            string? Prop(string name) => p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            // geodata/municipal-boundaries.geojson: one feature per 6-digit code with {code, prefecture, name}.
            if (Prop("code") is { Length: 6 } code6 && g != "null" && MunicipalityCode.TryNormalize(code6, out var own, out _))
            {
                parts.Add(new BoundaryPart(own, Prop("prefecture"), Prop("name"), g));
                continue;
            }
            var raw = Prop("N03_007");
            if (raw is null || g == "null" || !MunicipalityCode.TryNormalize(raw, out var code, out _))
            {
                skipped++;
                continue;
            }
            var name = string.Concat(Prop("N03_003") is { } city && Prop("N03_004") is { } ward && ward.EndsWith('区') && city.EndsWith('市') ? city : "", Prop("N03_004") ?? "");
            parts.Add(new BoundaryPart(code, Prop("N03_001"), name.Length > 0 ? name : null, g));
        }
        return (parts, skipped);
    }

    /// <summary>TopoJSON → (properties, GeoJSON geometry) for every geometry of every object; arcs decoded (quantized, delta).</summary>
    public static IEnumerable<(JsonElement Properties, string Geometry)> TopoJsonFeatures(JsonElement topology)
    {
        double[] scale = [1, 1], translate = [0, 0];
        var quantized = topology.TryGetProperty("transform", out var tr);
        if (quantized)
        {
            scale = [.. tr.GetProperty("scale").EnumerateArray().Select(x => x.GetDouble())];
            translate = [.. tr.GetProperty("translate").EnumerateArray().Select(x => x.GetDouble())];
        }
        var arcs = new List<double[][]>();
        foreach (var arc in topology.GetProperty("arcs").EnumerateArray())
        {
            double x = 0, y = 0;
            var pts = new List<double[]>();
            foreach (var pos in arc.EnumerateArray())
            {
                var a = pos[0].GetDouble();
                var b = pos[1].GetDouble();
                if (quantized)
                {
                    x += a;
                    y += b;
                    pts.Add([x * scale[0] + translate[0], y * scale[1] + translate[1]]);
                }
                else
                {
                    pts.Add([a, b]);
                }
            }
            arcs.Add([.. pts]);
        }

        JsonArray Ring(JsonElement indexes)
        {
            var ring = new JsonArray();
            foreach (var ix in indexes.EnumerateArray())
            {
                var i = ix.GetInt32();
                var pts = i >= 0 ? arcs[i] : [.. arcs[~i].Reverse()];
                for (var k = ring.Count == 0 ? 0 : 1; k < pts.Length; k++) ring.Add(new JsonArray(pts[k][0], pts[k][1]));
            }
            return ring;
        }

        JsonArray Polygon(JsonElement rings) => [.. rings.EnumerateArray().Select(r => (JsonNode)Ring(r))];

        foreach (var obj in topology.GetProperty("objects").EnumerateObject())
        {
            var geometries = obj.Value.TryGetProperty("geometries", out var gs) ? gs.EnumerateArray().ToList() : [obj.Value];
            foreach (var g in geometries)
            {
                var gtype = g.GetProperty("type").GetString();
                JsonNode? geometry = gtype switch
                {
                    "Polygon" => new JsonObject { ["type"] = "Polygon", ["coordinates"] = Polygon(g.GetProperty("arcs")) },
                    "MultiPolygon" => new JsonObject { ["type"] = "MultiPolygon", ["coordinates"] = new JsonArray([.. g.GetProperty("arcs").EnumerateArray().Select(p => (JsonNode)Polygon(p))]) },
                    _ => null,
                };
                yield return (g.TryGetProperty("properties", out var props) ? props : default, geometry?.ToJsonString() ?? "null");
            }
        }
    }
}
