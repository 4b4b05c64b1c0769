using System.Text.Json;
using Herald.Core;
using Herald.Dispatch.Intake;
using Herald.Engagement.Shared;
using Herald.Engagement.Templates;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// Sends running campaigns: claims due recipients in chunks (as many as the throttle allows), writes each one's text,
/// checks it through the one way in and stores the messages with the recipients' marks in one transaction. Every node
/// runs one; leases keep them apart. It also starts scheduled campaigns, ends them at <c>endAt</c>, pauses them above
/// their error rate and completes them when nobody is left.
/// </summary>
internal sealed partial class CampaignRunner(
    ICampaignStore store,
    IMessageIntake intake,
    IMessageTemplates templates,
    IOptions<CampaignOptions> options,
    TimeProvider time,
    ILogger<CampaignRunner> logger) : PollingLoop
{
    private readonly string _owner = $"campaigns/{Guid.NewGuid().ToString("N")[..8]}";
    private readonly Dictionary<string, Throttle> _throttles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastErrorCheck = new(StringComparer.Ordinal);

    protected override bool Enabled => options.Value.Enabled;

    protected override Task<bool> PassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    protected override async Task IdleAsync(CancellationToken cancellationToken) =>
        await Task.Delay(options.Value.PollInterval, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    protected override void PassFailed(Exception exception) => LogRunFailed(exception);

    /// <summary>One pass over the active campaigns; whether any recipient was handled.</summary>
    internal async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var worked = false;
        var active = await store.ListAsync(CampaignStatus.Active, 1000, cancellationToken);
        foreach (var campaign in active)
        {
            worked |= await RunAsync(campaign, cancellationToken);
        }
        foreach (var gone in _throttles.Keys.Except(active.Select(c => c.Id)).ToList())
        {
            _throttles.Remove(gone);
            _lastErrorCheck.Remove(gone);
        }
        return worked;
    }

    private async Task<bool> RunAsync(CampaignRecord campaign, CancellationToken cancellationToken)
    {
        var definition = JsonSerializer.Deserialize<CampaignDefinition>(campaign.Definition, HeraldJson.Options)!;
        var now = time.GetUtcNow();
        if (definition.EndAt is { } end && end <= now)
        {
            var cancelled = await store.CancelPendingAsync(campaign.Id, "ended", cancellationToken);
            if (cancelled > 0)
            {
                LogEnded(campaign.Id, cancelled);
            }
        }
        if (await store.OutstandingAsync(campaign.Id, cancellationToken) == 0)
        {
            await store.TransitionAsync(campaign.Id, CampaignStatus.Active, CampaignStatus.Completed, null, cancellationToken);
            return false;
        }
        if (definition.AbTest is { } abTest && campaign.WinnerVariant is null && await store.PendingAsync(campaign.Id, cancellationToken) == 0)
        {
            return await DecideAsync(campaign, definition, abTest, now, cancellationToken);
        }
        if (campaign.Status == CampaignStatus.Running && await OverErrorRateAsync(campaign, definition, now, cancellationToken) is { } reason)
        {
            if (await store.TransitionAsync(campaign.Id, [CampaignStatus.Running], CampaignStatus.Paused, reason, cancellationToken))
            {
                await store.TakeBackAsync(campaign.Id, cancel: false, cancellationToken);
                LogPaused(campaign.Id, reason);
            }
            return false;
        }
        var limit = options.Value.ChunkSize;
        Throttle? throttle = null;
        if (definition.Throttle is { } rate)
        {
            if (!_throttles.TryGetValue(campaign.Id, out throttle))
            {
                _throttles[campaign.Id] = throttle = new Throttle(rate.Rate, now);
            }
            limit = Math.Min(limit, throttle.Available(now));
            if (limit == 0)
            {
                return false;
            }
        }
        var recipients = await store.ClaimAsync(campaign.Id, limit, _owner, options.Value.Lease, cancellationToken);
        if (recipients.Count == 0)
        {
            return false;
        }
        if (campaign.Status == CampaignStatus.Scheduled)
        {
            await store.TransitionAsync(campaign.Id, [CampaignStatus.Scheduled], CampaignStatus.Running, null, cancellationToken);
        }
        throttle?.Take(recipients.Count);
        var (made, refusal) = await CampaignMessages.MakeAsync(intake, templates, campaign.Id, definition, recipients, new IntakeLookups(), cancellationToken);
        if (refusal is not null)
        {
            // Not this recipient's fault (a missing sender, an unknown provider): every recipient would be refused the same
            // way, so the campaign pauses with the reason and its recipients stay pending for a resume after the fix.
            var why = $"paused by itself: its messages are refused ({refusal}); fix the campaign or its provider, then resume";
            if (await store.TransitionAsync(campaign.Id, CampaignStatus.Active, CampaignStatus.Paused, why, cancellationToken))
            {
                LogPaused(campaign.Id, why);
            }
            await store.CommitAsync(campaign.Id, [.. recipients.Select(r => new RecipientOutcome.Skipped(r.Id, "released"))], cancellationToken);
            return false;
        }
        // A skip (render error, invalid number, or the send-path policy's reason) is recorded on the recipient and makes no
        // message; a deferred message waits in the queue.
        var outcomes = new List<RecipientOutcome>(recipients.Count);
        var stored = new List<PreparedMessage>(recipients.Count);
        foreach (var result in made)
        {
            switch (result)
            {
                case RecipientMessage.Unmade unmade:
                    outcomes.Add(new RecipientOutcome.Skipped(unmade.Recipient.Id, unmade.Reason));
                    break;
                case RecipientMessage.Made { Message.SkipReason: { } skipped }:
                    outcomes.Add(new RecipientOutcome.Skipped(result.Recipient.Id, skipped));
                    break;
                case RecipientMessage.Made { Message: var message }:
                    stored.Add(message);
                    outcomes.Add(new RecipientOutcome.Queued(result.Recipient.Id, message.Message, message.Dispatch,
                        new IdempotencyRecord($"campaign:{campaign.Id}:{result.Recipient.ContactId}", "", message.Message.Id, now)));
                    break;
            }
        }
        if (await store.CommitAsync(campaign.Id, outcomes, cancellationToken))
        {
            intake.Stored(stored);
        }
        return true;
    }

    /// <summary>
    /// The A/B test phase has handled every recipient: its end is recorded, and once the wait after it is over the variant with
    /// the best rate is chosen (once, cluster-wide) and the held recipients are released to it. Whether a winner was chosen now.
    /// </summary>
    private async Task<bool> DecideAsync(CampaignRecord campaign, CampaignDefinition definition, CampaignAbTest abTest, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ended = campaign.TestEndedAt ?? await store.EndTestPhaseAsync(campaign.Id, now, cancellationToken);
        if (now < ended + abTest.Wait)
        {
            return false;
        }
        var rows = await store.ResultsAsync(campaign.Id, definition.Goal?.Event, definition.Goal?.Window ?? TimeSpan.Zero, cancellationToken);
        var (winner, reason) = CampaignExperiment.ChooseWinner(definition, rows);
        if (!await store.ChooseWinnerAsync(campaign.Id, winner, reason, now, cancellationToken))
        {
            return false;
        }
        LogWinner(campaign.Id, definition.VariantName(winner), reason);
        return true;
    }

    /// <summary>The reason to pause when the campaign's failure share is above its limit (checked every few seconds).</summary>
    private async Task<string?> OverErrorRateAsync(CampaignRecord campaign, CampaignDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var limit = definition.StopOnErrorRate ?? 0.2;
        if (limit >= 1 || (_lastErrorCheck.TryGetValue(campaign.Id, out var last) && now - last < TimeSpan.FromSeconds(5)))
        {
            return null;
        }
        _lastErrorCheck[campaign.Id] = now;
        var messages = (await store.CountsAsync(campaign.Id, cancellationToken)).Messages;
        long failed = messages.GetValueOrDefault("failed") + messages.GetValueOrDefault("rejected");
        var finished = failed + messages.GetValueOrDefault("delivered") + messages.GetValueOrDefault("undelivered") + messages.GetValueOrDefault("expired")
            + messages.GetValueOrDefault("sent") + messages.GetValueOrDefault("accepted");
        var after = definition.StopOnErrorAfter ?? 200;
        return finished >= after && (double)failed / finished > limit
            ? $"paused by itself: {failed} of {finished} messages failed ({(double)failed / finished:P0}), above the campaign's limit of {limit:P0}"
            : null;
    }

    /// <summary>A token bucket per campaign: refills at the rate, holds at most one second's worth (and at least one message).</summary>
    private sealed class Throttle(double perSecond, DateTimeOffset start)
    {
        private double _tokens = Math.Min(1, perSecond);
        private DateTimeOffset _at = start;

        public int Available(DateTimeOffset now)
        {
            _tokens = Math.Min(Math.Max(perSecond, 1), _tokens + (now - _at).TotalSeconds * perSecond);
            _at = now;
            return (int)Math.Floor(_tokens);
        }

        public void Take(int count) => _tokens -= count;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The campaign runner failed a pass; it tries again")]
    private partial void LogRunFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId} reached its end: {Count} recipients not yet sent were cancelled")]
    private partial void LogEnded(string campaignId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId}: variant {Variant} won the A/B test and goes to the rest of the audience: {Reason}")]
    private partial void LogWinner(string campaignId, string variant, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} {Reason}")]
    private partial void LogPaused(string campaignId, string reason);
}
