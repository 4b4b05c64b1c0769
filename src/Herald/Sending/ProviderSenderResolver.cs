using Herald.Api.Providers;
using Herald.Core.Providers;
using Herald.Dispatch;
using Herald.Hosting;
using Herald.Storage;

namespace Herald.Sending;

/// <summary>Gives the dispatcher a ready sender for a stored provider (settings decrypted, cached until they change).</summary>
internal sealed class ProviderSenderResolver(IProviderStore store, ProviderService providers, IDrainState drain) : ISenderResolver
{
    public async Task<ResolvedProvider?> ResolveAsync(string providerId, CancellationToken cancellationToken) =>
        await store.FindAsync(providerId, cancellationToken) is { } record
            ? new ResolvedProvider(DrainAwareSender.Wrap(providers.SenderFor(record), drain), record.RateLimit, record.MaxInFlight, record.UpdatedAt)
            {
                CredentialsFailing = record.CredentialsFailedAt is not null,
            }
            : null;
}
