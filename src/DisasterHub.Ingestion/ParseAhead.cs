using System.Threading.Channels;
using DisasterHub.Core;

namespace DisasterHub.Ingestion;

/// <summary>
/// A batched parser's batches read one ahead on another thread (issue 16 §1: parsing and COPY overlap): while ingest
/// checks a batch and copies it into staging, the parser reads the next. At most one batch waits, so memory stays
/// bounded by two batches. An exception of the parser (an unreadable line) is thrown by <see cref="NextAsync"/> at the
/// batch where it happened; disposing stops the parser and waits for it.
/// </summary>
internal sealed class ParseAhead : IAsyncDisposable
{
    private readonly Channel<ParseResult> _ready = Channel.CreateBounded<ParseResult>(
        new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _parser;

    public ParseAhead(IEnumerable<ParseResult> batches)
    {
        _parser = Task.Run(async () =>
        {
            try
            {
                foreach (var batch in batches)
                    await _ready.Writer.WriteAsync(batch, _stop.Token);
                _ready.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _ready.Writer.TryComplete(e);
            }
        });
    }

    /// <summary>The next batch, or null after the last; throws what the parser threw.</summary>
    public async ValueTask<ParseResult?> NextAsync(CancellationToken ct)
    {
        while (await _ready.Reader.WaitToReadAsync(ct))
            if (_ready.Reader.TryRead(out var batch)) return batch;
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _parser;   // never faults: the parser's exceptions complete the channel
        _stop.Dispose();
    }
}
