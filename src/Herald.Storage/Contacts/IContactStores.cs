using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Contacts and their consent.</summary>
public interface IContactStore
{
    /// <summary>A contact with its consent, or null.</summary>
    Task<ContactRecord?> GetAsync(string id, CancellationToken cancellationToken);
    /// <summary>A live contact by its E.164 number, or null.</summary>
    Task<ContactRecord?> FindByPhoneAsync(string phone, CancellationToken cancellationToken);
    /// <summary>A live contact by its external id, or null.</summary>
    Task<ContactRecord?> FindByExternalIdAsync(string externalId, CancellationToken cancellationToken);
    /// <summary>Creates or updates contacts in one transaction, in order (a later change sees an earlier one); one result per change.</summary>
    Task<IReadOnlyList<ContactUpsertResult>> UpsertAsync(IReadOnlyList<ContactChange> changes, CancellationToken cancellationToken);
    /// <summary>A page of contacts with their consent, newest first.</summary>
    Task<Page<ContactRecord>> ListAsync(ContactQuery query, CancellationToken cancellationToken);
    /// <summary>
    /// Erases a contact's personal data: its phone, external id, attributes, locale and consent, the user ids and properties of its
    /// events, and the bodies of messages to its number. The row (with its country and time zone) and the event counts stay, anonymous.
    /// False if there is no such live contact.
    /// </summary>
    Task<bool> EraseAsync(string id, CancellationToken cancellationToken);
}

/// <summary>The suppression list: numbers never sent the listed categories.</summary>
public interface ISuppressionStore
{
    /// <summary>Adds a number or replaces its entry (reason, categories); the first time it was added is kept.</summary>
    Task<SuppressionRecord> UpsertAsync(SuppressionRecord suppression, CancellationToken cancellationToken);
    /// <summary>The entry for a number, or null.</summary>
    Task<SuppressionRecord?> FindAsync(string phone, CancellationToken cancellationToken);
    /// <summary>A page of entries, newest first; the cursor is the last entry's opaque position.</summary>
    Task<Page<SuppressionRecord>> ListAsync(string? reason, int limit, string? after, CancellationToken cancellationToken);
    /// <summary>Removes a number from the list; false if it was not on it.</summary>
    Task<bool> DeleteAsync(string phone, CancellationToken cancellationToken);
}

/// <summary>Events with their per-contact aggregates.</summary>
public interface IEventStore
{
    /// <summary>
    /// Stores events in one transaction, in order: an item's contact change first (the event then belongs to that contact), else the
    /// contact whose external id is the event's user id. An event whose message id is already stored is skipped (a replay), as is
    /// its contact change. Track events add to <see cref="ContactEventStat"/> in the same transaction.
    /// </summary>
    Task<EventIngestResult> IngestAsync(IReadOnlyList<EventWrite> items, CancellationToken cancellationToken);
    /// <summary>Which of these external ids belong to live contacts.</summary>
    Task<IReadOnlySet<string>> KnownExternalIdsAsync(IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken);
    /// <summary>A contact's latest events, newest first.</summary>
    Task<IReadOnlyList<EventRecord>> ListForContactAsync(string contactId, int limit, CancellationToken cancellationToken);
    /// <summary>A contact's aggregates per event name, by name.</summary>
    Task<IReadOnlyList<ContactEventStat>> StatsForContactAsync(string contactId, CancellationToken cancellationToken);
    /// <summary>Removes up to <paramref name="limit"/> events received before <paramref name="before"/> (the aggregates stay); returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}

/// <summary>Contact imports: progress, counts, errors.</summary>
public interface IImportStore
{
    /// <summary>Records a new import.</summary>
    Task InsertAsync(ImportRecord import, CancellationToken cancellationToken);
    /// <summary>Writes an import's progress (counts, first errors).</summary>
    Task UpdateAsync(ImportRecord import, CancellationToken cancellationToken);
    /// <summary>Writes an import's end: status, counts, first errors and the refused rows as CSV.</summary>
    Task FinishAsync(ImportRecord import, string? errorRowsCsv, CancellationToken cancellationToken);
    /// <summary>An import, or null.</summary>
    Task<ImportRecord?> GetAsync(string id, CancellationToken cancellationToken);
    /// <summary>The refused rows of a finished import as CSV (null while it runs or when none were refused).</summary>
    Task<string?> GetErrorRowsAsync(string id, CancellationToken cancellationToken);
    /// <summary>
    /// Marks running imports whose progress was last written before <paramref name="notUpdatedSince"/> failed with
    /// <paramref name="reason"/> (the process that ran them stopped); returns how many.
    /// </summary>
    Task<int> FailStaleAsync(DateTimeOffset notUpdatedSince, string reason, CancellationToken cancellationToken);
}
