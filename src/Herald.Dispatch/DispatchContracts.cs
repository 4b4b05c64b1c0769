using Herald.Core.Providers;

namespace Herald.Dispatch;

/// <summary>A provider ready to send: its sender and how hard it may be pushed.</summary>
/// <param name="Sender">The sender.</param>
/// <param name="RateLimit">Messages a second; 0 = no limit.</param>
/// <param name="MaxInFlight">Requests at once; 0 = no limit.</param>
/// <param name="Version">Changes whenever the provider's settings change.</param>
public sealed record ResolvedProvider(ISmsSender Sender, int RateLimit, int MaxInFlight, DateTimeOffset Version)
{
    /// <summary>Whether the provider's last answer refused Herald's credentials.</summary>
    public bool CredentialsFailing { get; init; }
}

/// <summary>Finds the sender for a stored provider (implemented by the host, which owns provider settings and secrets).</summary>
public interface ISenderResolver
{
    /// <summary>The provider, or null when it no longer exists.</summary>
    Task<ResolvedProvider?> ResolveAsync(string providerId, CancellationToken cancellationToken);

    /// <summary>A sender for a provider as stored (settings decrypted), to check or send a message now.</summary>
    ISmsSender SenderFor(Herald.Storage.Records.ProviderRecord provider);

    /// <summary>
    /// How many messages a second all providers together may take, or null when any provider has no rate limit (or it is
    /// not known): the dispatcher sizes its claims by it.
    /// </summary>
    Task<int?> CombinedRateAsync(CancellationToken cancellationToken) => Task.FromResult<int?>(null);
}

/// <summary>Wakes the dispatcher when new work is queued.</summary>
public interface IDispatchSignal
{
    /// <summary>Says that messages were queued.</summary>
    void Notify();
}

/// <summary>Lanes: lower goes first, so OTPs overtake a running campaign.</summary>
public static class Lanes
{
    /// <summary>The lane of a message type.</summary>
    public static int For(string type) => type switch
    {
        "otp" or "test" => 0,
        "txn" => 1,
        "mkt" => 3,
        _ => 2,
    };
}
