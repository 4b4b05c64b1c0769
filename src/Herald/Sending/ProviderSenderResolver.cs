using Herald.Api.Providers;
using Herald.Core.Providers;
using Herald.Dispatch;
using Herald.Storage;

namespace Herald.Sending;

/// <summary>Gives the dispatcher a ready sender for a stored provider (settings decrypted, cached until they change).</summary>
internal sealed class ProviderSenderResolver(IProviderStore store, ProviderService providers) : ISenderResolver
{
    public async Task<ResolvedProvider?> ResolveAsync(string providerId, CancellationToken cancellationToken) =>
        await store.FindAsync(providerId, cancellationToken) is { } record
            ? new ResolvedProvider(providers.SenderFor(record), record.RateLimit, record.MaxInFlight, record.UpdatedAt)
            {
                CredentialsFailing = record.CredentialsFailedAt is not null,
            }
            : null;
}
