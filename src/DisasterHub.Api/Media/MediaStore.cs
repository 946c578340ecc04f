using DisasterHub.Adapters.Media;
using SkiaSharp;

namespace DisasterHub.Api.Media;

/// <summary>
/// Media files outside the database (issue 12): content-addressed by SHA-256 under <c>Hub:MediaDirectory</c>
/// (<c>{root}/{first two hex}/{sha256}.{ext}</c>), written once (temp file + rename, so a reader never sees half a file),
/// with a JPEG thumbnail (longest side <see cref="ThumbnailSize"/>) made by SkiaSharp for JPEG and PNG. A DI singleton.
/// </summary>
public sealed class MediaStore
{
    public const int ThumbnailSize = 320;

    /// <summary>Bigger images are stored but get no thumbnail: decoding them would cost too much memory.</summary>
    private const long MaxThumbnailSourcePixels = 64L * 1024 * 1024;

    public string Root { get; }

    public MediaStore(IConfiguration config)
    {
        Root = config["Hub:MediaDirectory"] is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "media");
        Directory.CreateDirectory(Root);
    }

    private string PathOf(string sha256, string extension) => Path.Combine(Root, sha256[..2], $"{sha256}.{extension}");

    public string FilePath(string sha256, string mediaType) => PathOf(sha256, MediaInspector.ExtensionOf(mediaType));

    public string ThumbnailPath(string sha256) => PathOf(sha256, "thumb.jpg");

    /// <summary>Stores the file (once per content) and its thumbnail; true when a thumbnail exists.</summary>
    public async Task<bool> SaveAsync(MediaFacts facts, byte[] bytes, CancellationToken ct)
    {
        var path = PathOf(facts.Sha256, facts.Extension);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) await WriteOnceAsync(path, bytes, ct);
        var thumb = ThumbnailPath(facts.Sha256);
        if (File.Exists(thumb)) return true;
        if (facts.MediaType is not ("image/jpeg" or "image/png") || Thumbnail(bytes) is not { } jpeg) return false;
        await WriteOnceAsync(thumb, jpeg, ct);
        return true;
    }

    private static async Task WriteOnceAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp); // the same content, stored by a concurrent upload
        }
    }

    /// <summary>A JPEG of at most <see cref="ThumbnailSize"/> pixels on its longest side, or null when the image cannot be decoded.</summary>
    public static byte[]? Thumbnail(byte[] image)
    {
        using var data = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0 || (long)codec.Info.Width * codec.Info.Height > MaxThumbnailSourcePixels) return null;
        using var full = SKBitmap.Decode(codec);
        if (full is null) return null;
        var scale = Math.Min(1.0, (double)ThumbnailSize / Math.Max(full.Width, full.Height));
        var info = new SKImageInfo(Math.Max(1, (int)Math.Round(full.Width * scale)), Math.Max(1, (int)Math.Round(full.Height * scale)));
        using var small = full.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (small is null) return null;
        using var img = SKImage.FromBitmap(small);
        using var encoded = img.Encode(SKEncodedImageFormat.Jpeg, 80);
        return encoded?.ToArray();
    }
}
