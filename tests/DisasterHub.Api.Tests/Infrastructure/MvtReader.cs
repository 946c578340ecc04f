using System.Text;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>One decoded MVT layer: its name, how many features it holds, its property keys and string values, and its features.</summary>
public sealed record MvtLayer(string Name, int Features, IReadOnlyList<string> Keys, IReadOnlyList<string> StringValues, IReadOnlyList<MvtFeature> Items);

/// <summary>
/// One decoded MVT feature: its properties (string, long, double or bool, as the tile typed them) and the vertices of
/// its geometry in tile coordinates (the command stream followed: MoveTo/LineTo, ClosePath adds none).
/// </summary>
public sealed record MvtFeature(IReadOnlyDictionary<string, object> Properties, IReadOnlyList<(int X, int Y)> Vertices);

/// <summary>
/// A small reader of the Mapbox Vector Tile protobuf (spec 2.1: Tile.layers = 3; Layer.name = 1, features = 2,
/// keys = 3, values = 4; Feature.tags = 2, geometry = 4; Value: string 1, float 2, double 3, int 4, uint 5, sint 6,
/// bool 7), enough for tests to see which layers, keys, values and features a tile carries without starting GDAL for
/// every cell of a matrix. GDAL reads tiles in the tiles tests.
/// </summary>
public static class MvtReader
{
    public static IReadOnlyList<MvtLayer> Read(byte[] tile)
    {
        var layers = new List<MvtLayer>();
        var p = 0;
        while (p < tile.Length)
        {
            var (field, wire) = Tag(tile, ref p);
            if (field == 3 && wire == 2) layers.Add(ReadLayer(Bytes(tile, ref p)));
            else Skip(tile, ref p, wire);
        }
        return layers;
    }

    private static MvtLayer ReadLayer(ReadOnlySpan<byte> b)
    {
        string name = "";
        var features = 0;
        var keys = new List<string>();
        var values = new List<string>();
        var typed = new List<object>();
        var rawFeatures = new List<byte[]>();
        var p = 0;
        var arr = b.ToArray();
        while (p < arr.Length)
        {
            var (field, wire) = Tag(arr, ref p);
            switch (field, wire)
            {
                case (1, 2): name = Encoding.UTF8.GetString(Bytes(arr, ref p)); break;
                case (2, 2): rawFeatures.Add(Bytes(arr, ref p).ToArray()); features++; break;
                case (3, 2): keys.Add(Encoding.UTF8.GetString(Bytes(arr, ref p))); break;
                case (4, 2):
                    var value = Bytes(arr, ref p).ToArray();
                    var q = 0;
                    object? v = null;
                    while (q < value.Length)
                    {
                        var (vf, vw) = Tag(value, ref q);
                        switch (vf, vw)
                        {
                            case (1, 2): var text = Encoding.UTF8.GetString(Bytes(value, ref q)); values.Add(text); v = text; break;
                            case (2, 5): v = (double)BitConverter.ToSingle(value, q); q += 4; break;
                            case (3, 1): v = BitConverter.ToDouble(value, q); q += 8; break;
                            case (4, 0) or (5, 0): v = (long)Varint(value, ref q); break;
                            case (6, 0): v = ZigZag(Varint(value, ref q)); break;
                            case (7, 0): v = Varint(value, ref q) != 0; break;
                            default: Skip(value, ref q, vw); break;
                        }
                    }
                    typed.Add(v ?? throw new InvalidDataException("MVT value without a value"));
                    break;
                default: Skip(arr, ref p, wire); break;
            }
        }
        return new MvtLayer(name, features, keys, values, [.. rawFeatures.Select(f => ReadFeature(f, keys, typed))]);
    }

    private static MvtFeature ReadFeature(byte[] f, List<string> keys, List<object> values)
    {
        var props = new Dictionary<string, object>();
        var vertices = new List<(int, int)>();
        var p = 0;
        while (p < f.Length)
        {
            var (field, wire) = Tag(f, ref p);
            if (field is 2 or 4 && wire == 2)
            {
                var packed = Bytes(f, ref p).ToArray();
                var ints = new List<uint>();
                for (var q = 0; q < packed.Length;) ints.Add((uint)Varint(packed, ref q));
                if (field == 2)
                    for (var i = 0; i + 1 < ints.Count; i += 2) props[keys[(int)ints[i]]] = values[(int)ints[i + 1]];
                else
                {
                    // commands: id in the low 3 bits (1 MoveTo, 2 LineTo, 7 ClosePath), count above; zig-zag deltas
                    int x = 0, y = 0;
                    for (var i = 0; i < ints.Count;)
                    {
                        var (id, count) = (ints[i] & 7, (int)(ints[i] >> 3));
                        i++;
                        if (id == 7) continue;
                        for (var k = 0; k < count; k++, i += 2)
                        {
                            x += (int)ZigZag(ints[i]);
                            y += (int)ZigZag(ints[i + 1]);
                            vertices.Add((x, y));
                        }
                    }
                }
            }
            else Skip(f, ref p, wire);
        }
        return new MvtFeature(props, vertices);
    }

    private static long ZigZag(ulong n) => (long)(n >> 1) ^ -(long)(n & 1);

    private static (int Field, int Wire) Tag(byte[] b, ref int p)
    {
        var t = Varint(b, ref p);
        return ((int)(t >> 3), (int)(t & 7));
    }

    private static ulong Varint(byte[] b, ref int p)
    {
        ulong v = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (p >= b.Length || shift > 63) throw new InvalidDataException("truncated varint in MVT");
            var x = b[p++];
            v |= (ulong)(x & 0x7F) << shift;
            if (x < 0x80) return v;
        }
    }

    private static ReadOnlySpan<byte> Bytes(byte[] b, ref int p)
    {
        var n = checked((int)Varint(b, ref p));
        if (p + n > b.Length) throw new InvalidDataException("truncated field in MVT");
        var span = new ReadOnlySpan<byte>(b, p, n);
        p += n;
        return span;
    }

    private static void Skip(byte[] b, ref int p, int wire)
    {
        switch (wire)
        {
            case 0: Varint(b, ref p); break;
            case 1: p += 8; break;
            case 2: Bytes(b, ref p); break;
            case 5: p += 4; break;
            default: throw new InvalidDataException($"unknown wire type {wire} in MVT");
        }
    }
}
