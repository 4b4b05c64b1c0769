using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Storage;

namespace Herald.Dispatch;

/// <summary>
/// Learns from a provider's answers. It marks a provider's credentials as failing when it answers 401 or 403, and as working
/// again at its next accepted message, so people see a wrong api-key on the provider rather than only on each failed message.
/// It also tells the callback endpoints how many reports to expect (<see cref="IReportExpectations"/>).
/// </summary>
public sealed class ProviderAnswers(IProviderStore providers, IReportExpectations reports, TimeProvider time)
{
    /// <summary>Whether an outcome says the provider refused Herald's credentials.</summary>
    public static bool IsCredentialFailure(SendOutcome outcome) => outcome is SendOutcome.Permanent { Code: "401" or "403" };

    /// <summary>Learns from a provider's answers; <paramref name="currentlyFailing"/> is what the provider's record says now.</summary>
    public async Task ObserveAsync(string providerId, bool currentlyFailing, IEnumerable<SendOutcome> outcomes, CancellationToken cancellationToken)
    {
        SendOutcome.Permanent? refused = null;
        var accepted = 0;
        foreach (var outcome in outcomes)
        {
            if (IsCredentialFailure(outcome))
            {
                refused = (SendOutcome.Permanent)outcome;
            }
            accepted += outcome is SendOutcome.Accepted ? 1 : 0;
        }
        if (accepted > 0)
        {
            reports.Accepted(providerId, accepted);
        }
        if (refused is not null)
        {
            await providers.SetCredentialsStatusAsync(providerId, time.GetUtcNow(), refused.Reason, cancellationToken);
        }
        else if (accepted > 0 && currentlyFailing)
        {
            await providers.SetCredentialsStatusAsync(providerId, null, null, cancellationToken);
        }
    }
}

/// <summary>No callback endpoints to tell (a host without them, e.g. a library test).</summary>
internal sealed class NoReportExpectations : IReportExpectations
{
    public void Accepted(string providerId, int messages)
    {
    }
}
