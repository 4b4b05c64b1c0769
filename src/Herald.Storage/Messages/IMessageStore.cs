using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>Messages and their timelines.</summary>
public interface IMessageStore
{
    /// <summary>Stores a new message with its first timeline entry, durably, in one transaction.</summary>
    Task InsertAsync(MessageRecord message, MessageEventRecord firstEvent, CancellationToken cancellationToken);
    /// <summary>One message.</summary>
    Task<MessageRecord?> GetAsync(string id, CancellationToken cancellationToken);
    /// <summary>A message's timeline, oldest first.</summary>
    Task<IReadOnlyList<MessageEventRecord>> GetEventsAsync(string id, CancellationToken cancellationToken);
    /// <summary>Messages, newest first, filtered and paged.</summary>
    Task<Page<MessageRecord>> ListAsync(MessageQuery query, CancellationToken cancellationToken);
    /// <summary>
    /// Records <paramref name="change"/> on the message's timeline and, when the state machine allows
    /// it, moves the message to the proposed state, atomically.
    /// </summary>
    Task<TransitionResult> TransitionAsync(string messageId, StateChange change, CancellationToken cancellationToken);
}
