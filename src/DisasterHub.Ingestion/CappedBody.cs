namespace DisasterHub.Ingestion;

/// <summary>
/// Reads a document of at most a cap of bytes — a push's request body, a media upload, a pulled feed. With a declared
/// length the bytes go into one array of that size (a 128 MB registry costs 128 MB, not the up to 3× of a growing
/// buffer and its final copy); without one, into a growing buffer.
/// </summary>
public static class CappedBody
{
    /// <exception cref="InvalidDataException">The body (or its declared length) is over the cap; the message is <paramref name="tooLarge"/>.</exception>
    /// <exception cref="EndOfStreamException">The body ended before its declared length.</exception>
    public static async Task<byte[]> ReadAsync(Stream s, long cap, long? declaredLength, string tooLarge, CancellationToken ct)
    {
        if (declaredLength is { } declared and >= 0 and <= int.MaxValue)
        {
            if (declared > cap) throw new InvalidDataException(tooLarge);
            var exact = new byte[declared];
            await s.ReadExactlyAsync(exact, ct);
            return exact;
        }
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = await s.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > cap) throw new InvalidDataException(tooLarge);
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }
}
