namespace Herald.Simulator.Scenarios;

/// <summary>
/// The simulator's single source of randomness: <see cref="Random.Shared"/> normally, or a seeded
/// generator (behind a short lock, as <see cref="Random"/> is not thread-safe) when
/// <see cref="SimulatorOptions.Seed"/> is set.
/// </summary>
internal sealed class SimulatorRandom(SimulatorOptions options)
{
    private readonly Random? _seeded = options.Seed is { } seed ? new Random(seed) : null;
    private readonly Lock _gate = new();

    public double NextDouble()
    {
        if (_seeded is null)
        {
            return Random.Shared.NextDouble();
        }

        lock (_gate)
        {
            return _seeded.NextDouble();
        }
    }

    public int Next(int maxExclusive)
    {
        if (_seeded is null)
        {
            return Random.Shared.Next(maxExclusive);
        }

        lock (_gate)
        {
            return _seeded.Next(maxExclusive);
        }
    }
}
