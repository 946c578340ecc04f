namespace DisasterHub.Api.Push;

/// <summary>
/// The per-request locks of the push path, one instance per hub (a DI singleton, not a process-wide static): one
/// holder per API key + Idempotency-Key at a time, so a retried push waits for the first and replays its answer.
/// Entries go when unused.
/// </summary>
public sealed class KeyedLocks
{
    public KeyedSemaphores Idempotency { get; } = new(1);
}
