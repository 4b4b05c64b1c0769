using Herald.Storage.Records;

namespace Herald.Storage.Tests.Infrastructure;

/// <summary>One report at a time through <see cref="IDlrInbox.BeginBatchAsync"/>, the only write path Herald has for reports.</summary>
internal static class DlrBatchTestExtensions
{
    public static async Task<long> StoreAsync(this IDlrInbox inbox, DlrInboxItem item, CancellationToken cancellationToken)
    {
        await using var batch = await inbox.BeginBatchAsync(cancellationToken);
        var ids = await batch.StoreAsync([item], cancellationToken);
        await batch.CommitAsync(cancellationToken);
        return ids[0];
    }

    public static async Task MarkProcessedAsync(this IDlrInbox inbox, long id, string result, CancellationToken cancellationToken)
    {
        await using var batch = await inbox.BeginBatchAsync(cancellationToken);
        await batch.MarkProcessedAsync([(id, result)], cancellationToken);
        await batch.CommitAsync(cancellationToken);
    }

    public static async Task<string?> FindByProviderMessageIdAsync(this IDlrInbox inbox, string providerId, string providerMessageId,
        CancellationToken cancellationToken)
    {
        await using var batch = await inbox.BeginBatchAsync(cancellationToken);
        var found = await batch.FindByProviderMessageIdsAsync(providerId, [providerMessageId], cancellationToken);
        return found.TryGetValue(providerMessageId, out var message) ? message.Id : null;
    }
}
