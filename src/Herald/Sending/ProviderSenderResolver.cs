using Herald.Shared;
using Herald.Api.Providers;
using Herald.Core.Providers;
using Herald.Dispatch;
using Herald.Storage;

namespace Herald.Sending;

/// <summary>
/// Gives the dispatcher a ready sender for a stored provider (settings decrypted, the sender cached until they change).
/// The provider's row is read at most once a second per provider, so a busy dispatcher does not query it for every
/// claim, and an edit made at runtime (limits, settings) takes effect within a second.
/// </summary>
internal sealed class ProviderSenderResolver(IProviderStore store, ProviderLookup cache, ProviderService providers, IDrainState drain, TimeProvider time) : ISenderResolver
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    private (int? Rate, DateTimeOffset ReadAt)? _combined;

    public async Task<int?> CombinedRateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_combined is { } cached && now - cached.ReadAt < Freshness)
        {
            return cached.Rate;
        }
        var all = await store.ListAsync(cancellationToken);
        int? rate = all.Count == 0 || all.Any(p => p.RateLimit <= 0) ? null : all.Sum(p => p.RateLimit);
        _combined = (rate, now);
        return rate;
    }

    public ISmsSender SenderFor(Herald.Storage.Records.ProviderRecord provider) => providers.SenderFor(provider);

    public async Task<ResolvedProvider?> ResolveAsync(string providerId, CancellationToken cancellationToken) =>
        await cache.FindByIdAsync(providerId, cancellationToken) is { } record
            ? new ResolvedProvider(DrainAwareSender.Wrap(providers.SenderFor(record), drain), record.RateLimit, record.MaxInFlight, record.UpdatedAt)
            {
                CredentialsFailing = record.CredentialsFailedAt is not null,
            }
            : null;
}
