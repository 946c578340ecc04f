using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DisasterHub.Core;
using DisasterHub.Data;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace DisasterHub.Api.Tests;

/// <summary>
/// The content hash decides whether a re-pushed record changed: every stored feature carries one, so the hash of the
/// same record must never change between versions of the hub (a changed hash would rewrite a whole registry's history
/// on its next re-push). Checked against the original string-built definition and one pinned value.
/// </summary>
public sealed class content_hash_should
{
    /// <summary>The definition as first written (one string, then UTF-8, then SHA-256).</summary>
    private static byte[] Reference(FeatureRecord r, byte[] wkb, string attrsJson)
    {
        var sb = new StringBuilder();
        foreach (var part in new[] { r.Layer, r.EntityKey, r.MunicipalityCode, r.Name, r.Address, r.SourceCrs, r.Status,
                     r.Severity?.ToString(CultureInfo.InvariantCulture), r.Classification, attrsJson, Convert.ToHexString(wkb) })
            sb.Append(part ?? "\u0000").Append('\u001f');
        if (r.ValidFrom is not null || r.ValidUntil is not null)
            sb.Append("valid:").Append(r.ValidFrom?.UtcTicks.ToString(CultureInfo.InvariantCulture))
                .Append('/').Append(r.ValidUntil?.UtcTicks.ToString(CultureInfo.InvariantCulture));
        return SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    private static IEnumerable<FeatureRecord> Records()
    {
        var f = new GeometryFactory(new PrecisionModel(), 4326);
        yield return new FeatureRecord { Layer = "shelters", SourceKey = "1", Geometry = f.CreatePoint(new Coordinate(136.9, 37.05)) };
        yield return new FeatureRecord
        {
            Layer = "shelters", SourceKey = "2", EntityKey = "E1720200009901", MunicipalityCode = "172022", Name = "和倉小学校 🏫",
            Address = "七尾市和倉町", Status = "開設", Severity = 2, Geometry = f.CreatePoint(new Coordinate(136.92, 37.09)),
            Attrs = new JsonObject { ["evacuees"] = 12, ["note"] = "体育館\u001f" },
        };
        yield return new FeatureRecord
        {
            Layer = "warnings", SourceKey = "3", Status = "発表", Classification = Classifications.Responders,
            ValidUntil = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(9)),
            Geometry = f.CreatePolygon([new(136, 37), new(137, 37), new(137, 38), new(136, 37)]),
        };
        yield return new FeatureRecord
        {
            Layer = "warnings", SourceKey = "4", ValidFrom = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero),
            Geometry = f.CreatePoint(new Coordinate(0, 0)),
        };
    }

    [Fact]
    public void stay_what_it_always_was()
    {
        var wkb = new WKBWriter(ByteOrder.LittleEndian, false, false, false);
        var hashes = new List<string>();
        foreach (var r in Records())
        {
            var geom = wkb.Write(r.Geometry);
            var attrs = r.Attrs.ToJsonString();
            var hash = IngestStore.ContentHash(r, geom, attrs);
            Assert.Equal(Convert.ToHexString(Reference(r, geom, attrs)), Convert.ToHexString(hash));
            // as an ingest hashes: the attributes written straight to UTF-8
            var utf8 = new System.Buffers.ArrayBufferWriter<byte>();
            using (var json = new System.Text.Json.Utf8JsonWriter(utf8)) r.Attrs.WriteTo(json);
            Assert.Equal(Convert.ToHexString(hash), Convert.ToHexString(IngestStore.ContentHash(r, geom, utf8.WrittenSpan)));
            hashes.Add(Convert.ToHexString(hash));
        }
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        // the value stored with this record by every hub so far
        Assert.Equal("A60FE5EFFC753BF2E844B715EC2225EB7124B4801428D2B5CC4862C56A656514", hashes[1]);
    }
    [Fact]
    public void be_staged_with_the_bytes_the_wkb_writer_gives()
    {
        // ingest writes a point's WKB itself (IngestStore.PointWkb): the bytes, and so every stored hash, must be the writer's
        var f = new GeometryFactory(new PrecisionModel(), 4326);
        var records = Records().Concat([
            new FeatureRecord { Layer = "shelters", SourceKey = "5", Geometry = f.CreatePoint(new Coordinate(-0.0, 135.123456789012345)) },
            new FeatureRecord { Layer = "shelters", SourceKey = "6", Geometry = f.CreatePoint(new CoordinateZ(139.7671, 35.6812, 40)) },
        ]).ToList();
        var (wkbs, attrs, hashes) = IngestStore.EncodeForStaging(records);
        var writer = new WKBWriter(ByteOrder.LittleEndian, false, false, false);
        for (var i = 0; i < records.Count; i++)
        {
            var expected = writer.Write(records[i].Geometry);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(wkbs[i]));
            Assert.Equal(records[i].Attrs.ToJsonString(), Encoding.UTF8.GetString(attrs[i]));
            Assert.Equal(Convert.ToHexString(Reference(records[i], expected, records[i].Attrs.ToJsonString())), Convert.ToHexString(hashes[i]));
        }
    }
}
