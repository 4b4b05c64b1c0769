using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>The send-path policy's reads: suppressions, contacts with their consent, and recent messages for frequency caps.</summary>
public interface IPolicyStore
{
    /// <summary>The suppression entries of <paramref name="phones"/> (E.164), by phone.</summary>
    Task<IReadOnlyDictionary<string, SuppressionEntry>> SuppressionsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken);

    /// <summary>The (not erased) contacts with these phones (E.164), by phone, with their recorded consent.</summary>
    Task<IReadOnlyDictionary<string, PolicyContact>> ContactsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken);

    /// <summary>
    /// Messages of <paramref name="type"/> to <paramref name="phones"/> that went, or are due to go, at or after
    /// <paramref name="since"/> and were not refused (queued, dispatching, accepted, sent, delivered or undelivered).
    /// Index-backed: <c>(to_number, type, next_attempt_at)</c>.
    /// </summary>
    Task<IReadOnlyList<CountedMessage>> RecentAsync(IReadOnlyCollection<string> phones, string type, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>Registered DLT templates.</summary>
public interface IDltTemplateStore
{
    /// <summary>Adds a template; false when its id is taken.</summary>
    Task<bool> InsertAsync(DltTemplateRecord template, CancellationToken cancellationToken);

    /// <summary>Replaces a template; false when it does not exist.</summary>
    Task<bool> UpdateAsync(DltTemplateRecord template, CancellationToken cancellationToken);

    /// <summary>Removes a template; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>One template.</summary>
    Task<DltTemplateRecord?> GetAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>Templates in id order, after <paramref name="after"/> (exclusive), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DltTemplateRecord>> ListAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>The templates with these ids, by id.</summary>
    Task<IReadOnlyDictionary<string, DltTemplateRecord>> FindManyAsync(IReadOnlyCollection<string> templateIds, CancellationToken cancellationToken);
}
