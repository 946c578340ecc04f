using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.QuickTime;

namespace DisasterHub.Adapters.Media;

/// <summary>What a photo or video says about itself: its type (from its bytes, not the request), hash, place and capture time.</summary>
/// <param name="CapturedAt">UTC; an EXIF time without a zone is read in <see cref="MediaInspector"/>'s default offset.</param>
public sealed record MediaFacts(string MediaType, string Extension, string Sha256, long Bytes, double? Lon, double? Lat, DateTimeOffset? CapturedAt);

/// <summary>
/// Reads uploaded media (issue 12, layer <c>media</c>): the type from the magic bytes (JPEG, PNG, HEIC, MP4), the EXIF
/// GPS position and <c>DateTimeOriginal</c> (with <c>OffsetTimeOriginal</c> when present) through MetadataExtractor,
/// and for MP4 the QuickTime creation time and ISO 6709 location. Pure: bytes in, facts out.
/// </summary>
public static partial class MediaInspector
{
    /// <summary>The offset of an EXIF time that carries none: cameras write local time, and the hub serves Japan.</summary>
    public static readonly TimeSpan DefaultOffset = TimeSpan.FromHours(9);

    /// <summary>The file extension a stored file of this media type gets.</summary>
    public static string ExtensionOf(string mediaType) => mediaType switch
    {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/heic" => "heic",
        _ => "mp4",
    };

    /// <summary>The media type by magic bytes; null when the bytes are none of the accepted kinds.</summary>
    public static string? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
        if (b.Length >= 8 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (b.Length >= 12 && b[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = System.Text.Encoding.ASCII.GetString(b[8..12]);
            if (brand is "heic" or "heix" or "heim" or "heis" or "mif1" or "msf1") return "image/heic";
            if (brand is "isom" or "iso2" or "mp41" or "mp42" or "avc1" or "M4V " or "dash" or "qt  ") return "video/mp4";
        }
        return null;
    }

    /// <summary>The facts of a file, or null when it is not an accepted kind. Unreadable metadata leaves place and time unknown.</summary>
    public static MediaFacts? Inspect(byte[] bytes, TimeSpan? defaultOffset = null)
    {
        if (Sniff(bytes) is not { } mediaType) return null;
        var kind = (MediaType: mediaType, Extension: ExtensionOf(mediaType));
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        double? lon = null, lat = null;
        DateTimeOffset? captured = null;
        IReadOnlyList<MetadataExtractor.Directory> dirs;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            dirs = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception e) when (e is ImageProcessingException or IOException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotSupportedException)
        {
            return new MediaFacts(kind.MediaType, kind.Extension, sha, bytes.Length, null, null, null);
        }
        if (dirs.OfType<GpsDirectory>().FirstOrDefault()?.GetGeoLocation() is { } loc && !loc.IsZero
            && double.IsFinite(loc.Latitude) && double.IsFinite(loc.Longitude))
        {
            lat = loc.Latitude;
            lon = loc.Longitude;
        }
        if (dirs.OfType<ExifSubIfdDirectory>().FirstOrDefault() is { } exif && exif.TryGetDateTime(ExifDirectoryBase.TagDateTimeOriginal, out var local))
        {
            var offset = exif.GetString(ExifDirectoryBase.TagTimeZoneOriginal) is { } o && TryOffset(o, out var parsed) ? parsed : defaultOffset ?? DefaultOffset;
            captured = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset).ToUniversalTime();
        }
        if (kind.MediaType == "video/mp4")
        {
            if (captured is null && dirs.OfType<QuickTimeMovieHeaderDirectory>().FirstOrDefault() is { } movie
                && movie.TryGetDateTime(QuickTimeMovieHeaderDirectory.TagCreated, out var created) && created.Year > 1970)
                captured = new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc));
            if (lat is null && dirs.OfType<QuickTimeMetadataHeaderDirectory>().FirstOrDefault()?.GetString(QuickTimeMetadataHeaderDirectory.TagGpsLocation) is { } iso
                && Iso6709().Match(iso) is { Success: true } m)
            {
                lat = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                lon = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }
        return new MediaFacts(kind.MediaType, kind.Extension, sha, bytes.Length, lon, lat, captured);
    }

    private static bool TryOffset(string s, out TimeSpan offset)
    {
        offset = default;
        var t = s.Trim();
        if (t.Length != 6 || (t[0] != '+' && t[0] != '-')) return false;
        if (!TimeSpan.TryParseExact(t[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var v)) return false;
        offset = t[0] == '-' ? -v : v;
        return true;
    }

    [GeneratedRegex(@"^([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)")]
    private static partial Regex Iso6709();
}
