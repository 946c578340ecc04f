using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DisasterHub.Api.Tests.Infrastructure;
using SkiaSharp;

namespace DisasterHub.Api.Tests;

/// <summary>
/// Issue 12, layer media: a photo placed and timed by its own EXIF, stored outside the database by its hash, with a
/// thumbnail served only to callers allowed to see its record.
/// </summary>
public sealed class media_should : IAsyncLifetime
{
    private HubServer _hub = null!;
    private string _key = null!;
    private string _mediaDir = null!;

    public async Task InitializeAsync()
    {
        _mediaDir = Directory.CreateTempSubdirectory("hub-media-").FullName;
        var s = new Dictionary<string, string?> { ["Hub:MediaDirectory"] = _mediaDir };
        TestSettings.AddPushSources(s, 10, "media", ("nanao-media", "media.geojson", "media"));
        _hub = await HubServer.StartAsync(s);
        _key = await _hub.CreateKeyAsync("nanao-city", "push:media");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_mediaDir, recursive: true);
    }

    /// <summary>A 640×480 JPEG (drawn by Skia) with an EXIF block: GPS position, DateTimeOriginal and OffsetTimeOriginal.</summary>
    internal static byte[] PhotoWithExif(double lat, double lon, string dateTimeOriginal, string offset, SKColor colour)
    {
        using var bmp = new SKBitmap(640, 480);
        using (var canvas = new SKCanvas(bmp)) canvas.Clear(colour);
        using var data = SKImage.FromBitmap(bmp).Encode(SKEncodedImageFormat.Jpeg, 85);
        var jpeg = data.ToArray();
        var exif = ExifBlock(lat, lon, dateTimeOriginal, offset);
        var app1 = new byte[4 + exif.Length];
        app1[0] = 0xFF;
        app1[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)(exif.Length + 2));
        exif.CopyTo(app1, 4);
        return [.. jpeg[..2], .. app1, .. jpeg[2..]]; // right after SOI
    }

    /// <summary>"Exif\0\0" and a big-endian TIFF structure: IFD0 → Exif IFD (times) and GPS IFD (N/E position).</summary>
    private static byte[] ExifBlock(double lat, double lon, string dateTimeOriginal, string offset)
    {
        var t = new byte[198];
        void U16(int at, int v) => BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(at), (ushort)v);
        void U32(int at, long v) => BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(at), (uint)v);
        void Entry(int at, int tag, int type, int count, long value) { U16(at, tag); U16(at + 2, type); U32(at + 4, count); U32(at + 8, value); }
        void Ascii(int at, string s) => Encoding.ASCII.GetBytes(s + "\0").CopyTo(t, at);
        void Dms(int at, double deg)
        {
            var d = Math.Floor(deg);
            var m = Math.Floor((deg - d) * 60);
            var sec = ((deg - d) * 60 - m) * 60;
            U32(at, (long)d); U32(at + 4, 1); U32(at + 8, (long)m); U32(at + 12, 1); U32(at + 16, (long)Math.Round(sec * 10000)); U32(at + 20, 10000);
        }
        t[0] = (byte)'M'; t[1] = (byte)'M'; U16(2, 42); U32(4, 8);
        U16(8, 2); Entry(10, 0x8769, 4, 1, 38); Entry(22, 0x8825, 4, 1, 96); U32(34, 0);
        U16(38, 2); Entry(40, 0x9003, 2, 20, 68); Entry(52, 0x9011, 2, 7, 88); U32(64, 0);
        Ascii(68, dateTimeOriginal); Ascii(88, offset);
        U16(96, 4);
        Entry(98, 1, 2, 2, 0); Ascii(106, "N");
        Entry(110, 2, 5, 3, 150);
        Entry(122, 3, 2, 2, 0); Ascii(130, "E");
        Entry(134, 4, 5, 3, 174);
        U32(146, 0);
        Dms(150, lat); Dms(174, lon);
        return [.. "Exif\0\0"u8.ToArray(), .. t];
    }

    private async Task<HttpResponseMessage> UploadAsync(byte[] file, string query, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/sources/nanao-media/media{query}") { Content = new ByteArrayContent(file) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key ?? _key);
        return await _hub.Http.SendAsync(req);
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? key)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await _hub.Http.SendAsync(req);
    }

    [Fact]
    public async Task place_a_photo_by_its_exif_and_serve_its_thumbnail_only_to_callers_allowed_to_see_it()
    {
        var photo = PhotoWithExif(37.0480, 136.9660, "2026:12:05 10:15:00", "+09:00", SKColors.SteelBlue);
        var r = await UploadAsync(photo, "?classification=responders&caption=" + Uri.EscapeDataString("県道23号 路面亀裂"));
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.True(r.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.Equal("exif", body.GetProperty("location_source").GetString());
        Assert.Equal(37.0480, body.GetProperty("lat").GetDouble(), 4);
        Assert.Equal(136.9660, body.GetProperty("lon").GetDouble(), 4);
        Assert.Equal("exif", body.GetProperty("time_source").GetString());
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 1, 15, 0, TimeSpan.Zero), body.GetProperty("captured_at").GetDateTimeOffset());
        var sha = body.GetProperty("sha256").GetString()!;
        Assert.True(File.Exists(Path.Combine(_mediaDir, sha[..2], sha + ".jpg")), "the file is stored outside the database by its hash");

        var responders = await _hub.CreateKeyAsync("nanao-city", "read:responders");
        var items = JsonDocument.Parse(await (await GetAsync("/ogc/collections/merged_media/items", responders)).Content.ReadAsStringAsync()).RootElement;
        var f = Assert.Single(items.GetProperty("features").EnumerateArray());
        Assert.Equal($"/api/v1/media/{sha}/thumbnail", f.GetProperty("properties").GetProperty("attrs").GetProperty("thumbnail_url").GetString());
        Assert.Equal(0, JsonDocument.Parse(await _hub.Http.GetStringAsync("/ogc/collections/merged_media/items")).RootElement.GetProperty("numberMatched").GetInt32());

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/api/v1/media/{sha}/thumbnail", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/api/v1/media/{sha}", null)).StatusCode);
        var thumb = await GetAsync($"/api/v1/media/{sha}/thumbnail", responders);
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType?.MediaType);
        using var decoded = SKBitmap.Decode(await thumb.Content.ReadAsByteArrayAsync());
        Assert.Equal((320, 240), (decoded.Width, decoded.Height));
        var original = await GetAsync($"/api/v1/media/{sha}", responders);
        Assert.Equal(photo, await original.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task take_the_place_from_the_request_over_the_exif_and_refuse_what_is_not_media()
    {
        var photo = PhotoWithExif(37.0480, 136.9660, "2026:12:05 10:15:00", "+09:00", SKColors.OliveDrab);
        var r = JsonDocument.Parse(await (await UploadAsync(photo, "?lon=136.95&lat=37.05")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("request", r.GetProperty("location_source").GetString());
        Assert.Equal(136.95, r.GetProperty("lon").GetDouble(), 6);
        // public: anyone may fetch it
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/api/v1/media/{r.GetProperty("sha256").GetString()}", null)).StatusCode);

        var notMedia = await UploadAsync("%PDF-1.7 not a photo"u8.ToArray(), "");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notMedia.StatusCode);
        Assert.Equal("application/problem+json", notMedia.Content.Headers.ContentType?.MediaType);
        var badLon = await UploadAsync(photo, "?lon=east&lat=37");
        Assert.Equal(HttpStatusCode.BadRequest, badLon.StatusCode);
        Assert.Contains("\"field\":\"lon\"", await badLon.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UploadAsync(photo, "", "dh_nope.nope")).StatusCode);
    }
}
