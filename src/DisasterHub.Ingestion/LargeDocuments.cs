namespace DisasterHub.Ingestion;

/// <summary>
/// A national registry leaves its body (on the large-object heap), its ids and its parse's garbage behind, and the GC
/// keeps what it grew to: the next large document then starts on top of it (a 1,000,000-row re-push peaked at
/// 676–700 MB RSS, the first push at 547–574). After a document this large — pushed, once its answer is sent; pulled,
/// once its pull is done — the heap is compacted and given back to the operating system.
/// </summary>
public static class LargeDocuments
{
    /// <summary>By default a document this large (bytes, as received) has the heap compacted and given back after it
    /// (<see cref="IngestLimitOptions.GiveBackMemoryBytes"/>).</summary>
    public const long DefaultBytes = 32 << 20;

    /// <summary>Whether a document of <paramref name="bytes"/> is one to give memory back after.</summary>
    public static bool IsLarge(long bytes, IngestLimitOptions limits) => limits.GiveBackMemoryBytes > 0 && bytes >= limits.GiveBackMemoryBytes;

    public static void GiveBackMemory() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
