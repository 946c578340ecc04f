namespace DisasterHub.Api.Tests.Infrastructure;

/// <summary>A TimeProvider the test moves by hand (the testing package for FakeTimeProvider is not obtainable here).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
