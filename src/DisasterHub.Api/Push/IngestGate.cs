using DisasterHub.Ingestion;
using Microsoft.Extensions.Options;

namespace DisasterHub.Api.Push;

/// <summary>
/// Backpressure that is fair between organizations: each organization may ingest a few documents at once
/// (<c>Hub:Ingest:PerOrganizationSlots</c>) and all together at most <c>Hub:Ingest:GlobalSlots</c>. One organization
/// sending many large documents fills its own share and waits (then 503 + Retry-After); everyone else keeps the rest.
/// A push that cannot get both within <c>Hub:Ingest:SlotWaitMilliseconds</c> is told 503 instead of queueing without
/// bound.
/// </summary>
public sealed class IngestGate : IDisposable
{
    private readonly KeyedSemaphores _perOrganization;
    private readonly SemaphoreSlim _global;
    private readonly TimeSpan _wait;

    public IngestGate(IOptions<HubOptions> options)
    {
        var o = options.Value.Ingest;
        _perOrganization = new KeyedSemaphores(o.EffectivePerOrganizationSlots);
        _global = new SemaphoreSlim(o.EffectiveGlobalSlots, o.EffectiveGlobalSlots);
        _wait = TimeSpan.FromMilliseconds(Math.Max(0, o.SlotWaitMilliseconds));
        GlobalSlots = o.EffectiveGlobalSlots;
        PerOrganizationSlots = o.EffectivePerOrganizationSlots;
    }

    public int GlobalSlots { get; }
    public int PerOrganizationSlots { get; }

    /// <summary>Organizations with a document ingesting or waiting.</summary>
    public int ActiveOrganizations => _perOrganization.Count;

    /// <summary>A slot for one document of <paramref name="organizationId"/>, or null when none came free in time.</summary>
    public async Task<IDisposable?> TryEnterAsync(string organizationId, CancellationToken ct)
    {
        var started = Environment.TickCount64;
        var share = await _perOrganization.WaitAsync(organizationId, _wait, ct);
        if (share is null) return null;
        try
        {
            var left = _wait - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            if (await _global.WaitAsync(left < TimeSpan.Zero ? TimeSpan.Zero : left, ct))
                return new Slot(this, share);
        }
        catch
        {
            share.Dispose();
            throw;
        }
        share.Dispose();
        return null;
    }

    public void Dispose() => _global.Dispose();

    private sealed class Slot(IngestGate gate, IDisposable share) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            gate._global.Release();
            share.Dispose();
        }
    }
}
