using System.Collections.Concurrent;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Providers;

/// <summary>
/// Providers for the hot paths (every delivery report and every claim names its provider), read from the database at
/// most once a second each: an edit or a removal takes effect within a second.
/// </summary>
internal sealed class ProviderLookup(IProviderStore store, TimeProvider time)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (ProviderRecord? Provider, DateTimeOffset ReadAt)> _recent = new(StringComparer.Ordinal);

    /// <summary>The provider with this id (not nickname), or null.</summary>
    public async ValueTask<ProviderRecord?> FindByIdAsync(string providerId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_recent.TryGetValue(providerId, out var cached) && now - cached.ReadAt < Freshness)
        {
            return cached.Provider;
        }
        var provider = await store.FindAsync(providerId, cancellationToken);
        provider = provider?.Id == providerId ? provider : null;
        if (_recent.Count > 10_000)
        {
            _recent.Clear(); // ids from random callback URLs must not grow it without bound
        }
        _recent[providerId] = (provider, now);
        return provider;
    }
}
