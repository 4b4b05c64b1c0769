using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Saved segments (the <c>segments</c> table).</summary>
public interface ISegmentStore
{
    /// <summary>A segment by id.</summary>
    Task<SegmentRecord?> FindSegmentAsync(string id, CancellationToken cancellationToken);
    /// <summary>Every segment, by name.</summary>
    Task<IReadOnlyList<SegmentRecord>> ListSegmentsAsync(CancellationToken cancellationToken);
    /// <summary>Adds a segment.</summary>
    Task InsertSegmentAsync(SegmentRecord segment, CancellationToken cancellationToken);
    /// <summary>Replaces a segment's name and rule; false if it does not exist.</summary>
    Task<bool> UpdateSegmentAsync(SegmentRecord segment, CancellationToken cancellationToken);
    /// <summary>Removes a segment; false if it did not exist.</summary>
    Task<bool> DeleteSegmentAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Counts and lists the contacts a <see cref="ContactFilter"/> picks (a compiled segment).</summary>
public interface IContactAudience
{
    /// <summary>How many contacts match.</summary>
    Task<long> CountAsync(ContactFilter filter, CancellationToken cancellationToken);
    /// <summary>The first <paramref name="limit"/> matching contacts, by id.</summary>
    Task<IReadOnlyList<AudienceContact>> ListAsync(ContactFilter filter, int limit, CancellationToken cancellationToken);
}
