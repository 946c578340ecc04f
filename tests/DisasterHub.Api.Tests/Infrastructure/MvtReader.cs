using System.Text;

namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>One decoded MVT layer: its name, how many features it holds, its property keys and string values.</summary>
public sealed record MvtLayer(string Name, int Features, IReadOnlyList<string> Keys, IReadOnlyList<string> StringValues);

/// <summary>
/// A small reader of the Mapbox Vector Tile protobuf (spec 2.1: Tile.layers = 3; Layer.name = 1, features = 2,
/// keys = 3, values = 4; Value.string_value = 1), enough for tests to see which layers, keys and strings a tile
/// carries without starting GDAL for every cell of a matrix. GDAL reads tiles in the tiles tests.
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
        var p = 0;
        var arr = b.ToArray();
        while (p < arr.Length)
        {
            var (field, wire) = Tag(arr, ref p);
            switch (field, wire)
            {
                case (1, 2): name = Encoding.UTF8.GetString(Bytes(arr, ref p)); break;
                case (2, 2): Bytes(arr, ref p); features++; break;
                case (3, 2): keys.Add(Encoding.UTF8.GetString(Bytes(arr, ref p))); break;
                case (4, 2):
                    var value = Bytes(arr, ref p).ToArray();
                    var q = 0;
                    while (q < value.Length)
                    {
                        var (vf, vw) = Tag(value, ref q);
                        if (vf == 1 && vw == 2) values.Add(Encoding.UTF8.GetString(Bytes(value, ref q)));
                        else Skip(value, ref q, vw);
                    }
                    break;
                default: Skip(arr, ref p, wire); break;
            }
        }
        return new MvtLayer(name, features, keys, values);
    }

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
