using Herald.Core.Messaging;

namespace Herald.Storage.Records;

/// <summary>How many messages of one provider are in one state.</summary>
/// <param name="ProviderId">The provider (null for messages without one).</param>
/// <param name="State">The state.</param>
/// <param name="Count">How many.</param>
public sealed record ProviderStateCount(string? ProviderId, DeliveryState State, long Count);

/// <summary>How many messages created in one hour are in one state.</summary>
/// <param name="Hour">The start of the hour (UTC).</param>
/// <param name="State">The state.</param>
/// <param name="Count">How many.</param>
public sealed record HourlyStateCount(DateTimeOffset Hour, DeliveryState State, long Count);

/// <summary>When a message was accepted by its provider and when its final delivery report was applied.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="AcceptedAt">When the provider accepted it.</param>
/// <param name="FinalAt">When it reached its final state.</param>
/// <param name="FinalState">The final state.</param>
public sealed record DeliveryLatency(string MessageId, DateTimeOffset AcceptedAt, DateTimeOffset FinalAt, DeliveryState FinalState);

/// <summary>A failure on a message's timeline.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="At">When it was recorded.</param>
/// <param name="Source">dispatch, provider-response, dlr...</param>
/// <param name="Event">The event, e.g. permanent-failure.</param>
/// <param name="Note">What went wrong.</param>
public sealed record MessageFailure(string MessageId, DateTimeOffset At, string Source, string Event, string? Note);
