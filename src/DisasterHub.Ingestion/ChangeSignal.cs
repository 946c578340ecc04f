namespace DisasterHub.Ingestion;

/// <summary>
/// "Something in these layers of this workspace changed." Raised in-process right after an ingest commits (so this
/// node's next read is already fresh) and again when PostgreSQL NOTIFY brings the news from any node.
/// </summary>
public sealed class ChangeSignal
{
    public event Action<string, IReadOnlyList<string>>? Changed;

    public void Publish(string workspace, IReadOnlyList<string> layers) => Changed?.Invoke(workspace, layers);

    /// <summary>"A source was changed where no scheduler runs (the CLI)": NOTIFY hub_registry, from any node.</summary>
    public event Action<string>? RegistryChanged;

    public void PublishRegistry(string sourceId) => RegistryChanged?.Invoke(sourceId);
}
