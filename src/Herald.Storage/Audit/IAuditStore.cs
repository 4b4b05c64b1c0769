using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>The audit log of admin changes: append and read, never edited.</summary>
public interface IAuditStore
{
    /// <summary>Appends an entry.</summary>
    Task AppendAsync(AuditRecord entry, CancellationToken cancellationToken);

    /// <summary>A page of entries, newest first; <see cref="Page{T}.Next"/> is the id to pass as <see cref="AuditQuery.Before"/>.</summary>
    Task<Page<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken);
}
