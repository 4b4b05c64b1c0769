using Herald.Core.Messaging;

namespace Herald.Storage.Records;

/// <summary>A person who signs in to the dashboard.</summary>
public sealed record DashboardUserRecord
{
    /// <summary>Id, e.g. <c>usr_k3n8...</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The sign-in name as the person wrote it; unique, case-insensitive.</summary>
    public required string Username { get; init; }
    /// <summary>The password hash (ASP.NET Core Identity's format); never the password.</summary>
    public required string PasswordHash { get; init; }
    /// <summary>When the user was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the user last signed in, if ever.</summary>
    public DateTimeOffset? LastSignInAt { get; init; }
    /// <summary>Sessions carry it; a new one (sign-out) ends every session issued before. Null until the first sign-out.</summary>
    public string? SecurityStamp { get; init; }
}

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
