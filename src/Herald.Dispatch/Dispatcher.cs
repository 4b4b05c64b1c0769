using System.Text.Json;
using Herald.Core.Concurrency;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Dispatch.Intake;
using Herald.Dispatch.Outcomes;
using Herald.Storage;
using Herald.Storage.Cluster;
using Herald.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>
/// Claims due messages from the database queue (lane first), sends them through their provider,
/// and records every answer in one batched write. Transient failures go back to the queue with
/// backoff until their validity ends; a crashed holder's lease expires and the message is resent
/// with the same id.
/// </summary>
internal sealed partial class Dispatcher(
    IDispatchQueue queue,
    ISenderResolver senders,
    IOptions<DispatchOptions> options,
    HeraldMetrics metrics,
    ProviderAnswers answers,
    ISendPolicy policy,
    IClusterLeadership leadership,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<Dispatcher> logger) : BackgroundService, IDispatchSignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _expressWake = new(0, 1);
    private readonly PrioritySemaphore _sendSlots = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    private readonly InFlightSizing _sizing = InFlightSizing.From(options.Value);
    private readonly string _owner = $"{leadership.NodeId}/{Guid.NewGuid().ToString("N")[..8]}";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProviderGate> _gates = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProviderThrottle> _throttles = new();
    private DateTimeOffset _nextSweep;
    private long _successes;

    public void Notify()
    {
        Wake(_wake);
        Wake(_expressWake);
    }

    private static void Wake(SemaphoreSlim wake)
    {
        if (wake.CurrentCount == 0)
        {
            try
            {
                wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // already awake
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // A periodic timer, started now: a sweep that takes a while, or a clock that jumps, never pushes the next one back.
        using var sweeps = new PeriodicTimer(TimeSpan.FromTicks(Math.Min(settings.LeaseSweepInterval.Ticks, TimeSpan.FromSeconds(1).Ticks)), time);
        // Send nothing before the server listens: callback URLs are built from the address it is bound to.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        // Several workers, so that claiming and recording overlap with sending: while one waits for its slowest
        // answer, the others claim and send. Each claim is small enough that a new OTP waits at most one short cycle.
        // Stop starting sends as soon as the host begins stopping, not only when this service's turn to stop comes:
        // sends already on the wire finish (the senders let them), the rest of each claim goes back to the queue.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        var token = stopping.Token;
        var workers = Enumerable.Range(0, settings.Workers).Select(_ => Task.Run(() => WorkAsync(settings, token), CancellationToken.None)).ToList();
        if (settings.ExpressWorker)
        {
            workers.Add(Task.Run(() => ExpressAsync(settings, token), CancellationToken.None));
        }
        await Task.WhenAll(workers.Append(Task.Run(() => SweepLoopAsync(settings, sweeps, token), CancellationToken.None)));
    }

    private async Task WorkAsync(DispatchOptions settings, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var limit = await ClaimSizeAsync(settings, stoppingToken);
                var claimed = await queue.ClaimAsync(limit, _owner, settings.Lease, stoppingToken);
                if (claimed.Count == 0)
                {
                    await WaitForWorkAsync(settings, stoppingToken);
                    continue;
                }
                if (claimed.Count == limit)
                {
                    // There is probably more: wake a sibling worker to claim it while this one sends.
                    Notify();
                }
                await ProcessAsync(claimed, settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogLoopError(logger, ex);
                await Task.Delay(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// The express worker claims only OTPs, so an OTP accepted while every other worker is busy with a campaign's claim is claimed,
    /// sent and recorded at once rather than after one of those claims is done. It does not wait for one claim's answers to be
    /// recorded before it claims the next OTPs: up to <see cref="ExpressInFlight"/> claims are sent and recorded at once, so an
    /// OTP never waits for an earlier one's slow answer or its write.
    /// </summary>
    private async Task ExpressAsync(DispatchOptions settings, CancellationToken stoppingToken)
    {
        var inFlight = new List<Task>(ExpressInFlight);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                if (inFlight.Count >= ExpressInFlight)
                {
                    await Task.WhenAny(inFlight).WaitAsync(stoppingToken);
                    continue;
                }
                var claimed = await queue.ClaimAsync(Math.Min(settings.ClaimBatchSize, 50), Lanes.For(MessageTypes.Otp), _owner, settings.Lease, stoppingToken);
                if (claimed.Count > 0)
                {
                    inFlight.Add(ProcessExpressAsync(claimed, settings, stoppingToken));
                    continue;
                }
                // Only a wake-up or the poll interval: the next due time is usually a campaign's, which is not this worker's.
                using var timeout = new CancellationTokenSource(settings.PollInterval, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
                await _expressWake.WaitAsync(linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogLoopError(logger, ex);
                await Task.Delay(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        // Shutting down: each claim in flight records what was answered and returns the rest to the queue (ProcessAsync).
        await Task.WhenAll(inFlight);
    }

    /// <summary>Claims of OTPs the express worker sends and records at once.</summary>
    private const int ExpressInFlight = 4;

    private async Task ProcessExpressAsync(IReadOnlyList<ClaimedMessage> claimed, DispatchOptions settings, CancellationToken stoppingToken)
    {
        try
        {
            await ProcessAsync(claimed, settings, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: ProcessAsync returned the unsent ones to the queue
        }
        catch (Exception ex)
        {
            // Like a worker's failed cycle: the claim's lease expires and the sweep returns its messages to the queue.
            LogLoopError(logger, ex);
        }
    }

    /// <summary>
    /// How many messages one worker claims. When every provider has a rate limit, a claim is what they take in
    /// <see cref="DispatchOptions.ClaimWindow"/> shared between the workers, so an OTP never queues behind seconds of a
    /// campaign's claimed messages; otherwise <see cref="DispatchOptions.ClaimBatchSize"/>.
    /// </summary>
    private async Task<int> ClaimSizeAsync(DispatchOptions settings, CancellationToken cancellationToken)
    {
        if (await senders.CombinedRateAsync(cancellationToken) is not { } rate || rate <= 0)
        {
            return settings.ClaimBatchSize;
        }
        var perWindow = rate * settings.ClaimWindow.TotalSeconds / settings.Workers;
        return (int)Math.Clamp(Math.Ceiling(perWindow), 1, settings.ClaimBatchSize);
    }

    /// <summary>
    /// Waits for one of the node's <see cref="DispatchOptions.MaxConcurrency"/> send slots; an <paramref name="urgent"/> send (an OTP)
    /// takes the next free one, ahead of a campaign's sends already waiting.
    /// </summary>
    private async ValueTask<IDisposable> SendSlotAsync(bool urgent, CancellationToken cancellationToken)
    {
        await _sendSlots.WaitAsync(urgent, cancellationToken);
        return new SlotRelease(_sendSlots);
    }

    /// <summary>Whether a message goes ahead of others for the node's and its provider's permits and the database's writer: an OTP.</summary>
    private static bool Urgent(ClaimedMessage claimed) => Lanes.For(claimed.Message.Type) == UrgentLane;

    private static readonly int UrgentLane = Lanes.For(MessageTypes.Otp);

    private sealed class SlotRelease(PrioritySemaphore slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }

    private async Task SweepLoopAsync(DispatchOptions settings, PeriodicTimer sweeps, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepLeasesAsync(settings, stoppingToken);
                await sweeps.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogLoopError(logger, ex);
                await Task.Delay(settings.PollInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task ProcessAsync(IReadOnlyList<ClaimedMessage> claimed, DispatchOptions settings, CancellationToken stoppingToken)
    {
        var completions = new DispatchCompletion?[claimed.Count];
        var urgent = claimed.Any(Urgent);
        await CheckPolicyAsync(claimed, completions, stoppingToken);
        await SkipSettledResendsAsync(claimed, completions, stoppingToken);
        var groups = Enumerable.Range(0, claimed.Count).Where(i => completions[i] is null).GroupBy(i => claimed[i].Message.ProviderId ?? "").ToList();
        try
        {
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency, CancellationToken = stoppingToken },
                async (group, ct) => await ProcessProviderAsync(group.Key, group.ToList(), claimed, completions, settings, ct));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: record what was answered, return the rest to the queue unsent.
            var done = completions.Where(c => c is not null).Select(c => c!).ToList();
            await queue.CompleteAsync(done, urgent, CancellationToken.None);
            var unsent = claimed.Where((_, i) => completions[i] is null).Select(c => c.Message.Id).ToList();
            await queue.ReleaseAsync(unsent, CancellationToken.None);
            throw;
        }
        // A claim that holds an OTP records its answers ahead of the bulk writes waiting for the database's writer.
        await queue.CompleteAsync(completions.Select(c => c!).ToList(), urgent, stoppingToken);
        for (var i = 0; i < claimed.Count; i++)
        {
            if (completions[i]!.RetryAt is null && completions[i]!.Change.Proposed is { } state)
            {
                metrics.Final(claimed[i].Message.ProviderNickname, state);
            }
        }
    }

    /// <summary>
    /// A resend after a crash (its hold in doubt ended without a report) is looked at once more just before it goes: a report
    /// that arrived after the claim proves the first send reached the provider, and it is not sent again. One read, only for
    /// claims that hold resends; a first send never pays it.
    /// </summary>
    private async Task SkipSettledResendsAsync(IReadOnlyList<ClaimedMessage> claimed, DispatchCompletion?[] completions, CancellationToken cancellationToken)
    {
        var resends = claimed.Where((c, i) => c.ResentAfterCrash && completions[i] is null).Select(c => c.Message.Id).ToList();
        if (resends.Count == 0)
        {
            return;
        }
        var settled = (await queue.SettledAsync(resends, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < claimed.Count; i++)
        {
            if (completions[i] is null && settled.Contains(claimed[i].Message.Id))
            {
                completions[i] = new DispatchCompletion(claimed[i].Message.Id, new StateChange
                {
                    Source = "dispatch", Event = "not-resent", Note = "a report settled it while it was claimed for its resend: the earlier send reached the provider",
                });
            }
        }
    }

    /// <summary>
    /// The send-path policy once more, just before a provider sees the messages: what changed while they waited (a STOP, a
    /// consent withdrawn, the clock past the legal window after a backoff) decides. A skipped message ends rejected with the
    /// reason; a deferred one goes back to the queue until the next allowed minute.
    /// </summary>
    private async Task CheckPolicyAsync(IReadOnlyList<ClaimedMessage> claimed, DispatchCompletion?[] completions, CancellationToken cancellationToken)
    {
        var covered = Enumerable.Range(0, claimed.Count).Where(i => claimed[i].Message.Type != MessageTypes.Test).ToList();
        if (covered.Count == 0)
        {
            return;
        }
        var decisions = await policy.CheckAsync(covered.Select(i => new PolicyCheck(claimed[i].Message)).ToList(), PolicyStage.Dispatch, cancellationToken);
        for (var k = 0; k < covered.Count; k++)
        {
            var message = claimed[covered[k]];
            completions[covered[k]] = decisions[k] switch
            {
                PolicyDecision.Skip skip => new DispatchCompletion(message.Message.Id, new StateChange
                {
                    Proposed = DeliveryState.Rejected, Source = "policy", Event = "skipped", Note = $"{skip.Reason}: {skip.Note}",
                    Detail = JsonSerializer.Serialize(new Dictionary<string, string> { ["reason"] = skip.Reason, ["note"] = skip.Note }, DispatchJson.Default.DictionaryStringString),
                }),
                PolicyDecision.Defer defer when message.ValidUntil is { } validUntil && defer.Until >= validUntil =>
                    Final(message.Message.Id, DeliveryState.Expired, "expired", $"not sent: {defer.Reason}: {defer.Note}, past the message's validity ({validUntil:O})"),
                PolicyDecision.Defer defer => new DispatchCompletion(message.Message.Id, new StateChange
                {
                    Proposed = DeliveryState.Queued, Source = "policy", Event = "deferred",
                    Note = $"{defer.Reason}: {defer.Note}; it waits in the queue until {defer.Until:O}",
                }, defer.Until),
                _ => null,
            };
        }
    }

    /// <summary>Sends one provider's share of a claim: through its gate, in batches when the provider takes them.</summary>
    private async Task ProcessProviderAsync(string providerId, List<int> indexes, IReadOnlyList<ClaimedMessage> claimed, DispatchCompletion?[] completions,
        DispatchOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var sendable = new List<int>(indexes.Count);
        foreach (var i in indexes)
        {
            if (claimed[i].ValidUntil is { } validUntil && validUntil <= now)
            {
                completions[i] = Final(claimed[i].Message.Id, DeliveryState.Expired, "expired", $"validity ended at {validUntil:O} before it could be sent");
            }
            else
            {
                sendable.Add(i);
            }
        }
        if (sendable.Count == 0)
        {
            return;
        }
        var provider = providerId.Length == 0 ? null : await senders.ResolveAsync(providerId, cancellationToken);
        if (provider is null)
        {
            foreach (var i in sendable)
            {
                completions[i] = FailoverNow(claimed[i], "the provider no longer exists")
                    ?? Final(claimed[i].Message.Id, DeliveryState.Failed, "permanent-failure", $"provider {claimed[i].Message.ProviderNickname ?? providerId} no longer exists");
            }
            return;
        }
        var sender = provider.Sender;
        var throttle = ThrottleFor(providerId, provider);
        var gate = _gates.GetOrAdd(providerId, _ => new ProviderGate(settings));
        metrics.Circuit(claimed[indexes[0]].Message.ProviderNickname ?? providerId, () => gate.State(time.GetUtcNow()) switch { "open" => 2, "half-open" => 1, _ => 0 });
        var (allowed, waitUntil, reason) = gate.Admit(sendable.Count, now);
        foreach (var i in sendable.Skip(allowed))
        {
            completions[i] = Wait(claimed[i], waitUntil!.Value, reason!);
        }
        var toSend = sendable.Take(allowed).ToList();
        if (toSend.Count > 1 && sender is IBatchSmsSender batchSender)
        {
            foreach (var chunk in toSend.Chunk(Math.Max(1, batchSender.MaxBatchSize)))
            {
                IReadOnlyList<SendResult> results;
                var urgent = chunk.Any(i => Urgent(claimed[i]));
                using (await throttle.AcquireAsync(chunk.Length, urgent, cancellationToken))
                using (await SendSlotAsync(urgent, cancellationToken))
                {
                    results = await SendBatchAsync(batchSender, chunk.Select(i => claimed[i]).ToList(), cancellationToken);
                }
                for (var k = 0; k < chunk.Length; k++)
                {
                    gate.Record(results[k].Outcome, time.GetUtcNow());
                    completions[chunk[k]] = Complete(claimed[chunk[k]], results[k], settings);
                    metrics.Answer(claimed[chunk[k]].Message.ProviderNickname ?? providerId, results[k].Outcome, results[k].Exchange?.ElapsedMs);
                }
                await answers.ObserveAsync(providerId, provider.CredentialsFailing, results.Select(r => r.Outcome), cancellationToken);
            }
            return;
        }
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<SendOutcome>();
        await Parallel.ForEachAsync(toSend, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                SendResult? result;
                DispatchCompletion? early;
                var urgent = Urgent(claimed[i]);
                using (await throttle.AcquireAsync(1, urgent, ct))
                using (await SendSlotAsync(urgent, ct))
                {
                    (result, early) = await SendOneAsync(sender, claimed[i], ct);
                }
                if (early is not null)
                {
                    completions[i] = early;
                    return;
                }
                gate.Record(result!.Outcome, time.GetUtcNow());
                completions[i] = Complete(claimed[i], result, settings);
                metrics.Answer(claimed[i].Message.ProviderNickname ?? providerId, result.Outcome, result.Exchange?.ElapsedMs);
                outcomes.Add(result.Outcome);
            });
        await answers.ObserveAsync(providerId, provider.CredentialsFailing, outcomes, cancellationToken);
    }

    private ProviderThrottle ThrottleFor(string providerId, ResolvedProvider provider)
    {
        var current = _throttles.GetOrAdd(providerId, _ => new ProviderThrottle(provider, time, _sizing));
        if (current.Version == provider.Version)
        {
            return current;
        }
        // Limits changed at runtime: new sends use the new pace; the old throttle is left to the sends still holding it.
        var replacement = new ProviderThrottle(provider, time, _sizing);
        _throttles[providerId] = replacement;
        return replacement;
    }

    private static async Task<(SendResult? Result, DispatchCompletion? Early)> SendOneAsync(ISmsSender sender, ClaimedMessage claimed, CancellationToken cancellationToken)
    {
        try
        {
            return (await sender.SendAsync(ToOutbound(claimed.Message), cancellationToken), null);
        }
        catch (MessageRenderException ex)
        {
            return (null, Final(claimed.Message.Id, DeliveryState.Failed, "permanent-failure", $"not sent: {ex.Message}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (new SendResult(new SendOutcome.Transient($"send failed: {ex.Message}"), null), null);
        }
    }

    private static async Task<IReadOnlyList<SendResult>> SendBatchAsync(IBatchSmsSender sender, IReadOnlyList<ClaimedMessage> batch, CancellationToken cancellationToken)
    {
        try
        {
            return await sender.SendBatchAsync(batch.Select(c => ToOutbound(c.Message)).ToList(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = new SendResult(new SendOutcome.Transient($"batch send failed: {ex.Message}"), null);
            return batch.Select(_ => failure).ToList();
        }
    }

    /// <summary>Puts a message back in the queue unsent until the provider may be called again, or moves it to the next provider of its group.</summary>
    private DispatchCompletion Wait(ClaimedMessage claimed, DateTimeOffset until, string reason)
    {
        if (FailoverNow(claimed, reason) is { } moved)
        {
            return moved;
        }
        if (claimed.ValidUntil is { } validUntil && until >= validUntil)
        {
            return Final(claimed.Message.Id, DeliveryState.Expired, "expired", $"not sent: {reason}, past the message's validity ({validUntil:O})");
        }
        return new DispatchCompletion(claimed.Message.Id, new StateChange
        {
            Proposed = DeliveryState.Queued, Source = "dispatch", Event = "deferred", Note = TimelineNotes.Then($"not sent: {reason}", $"next try at {until:O}"),
        }, until);
    }

    private DispatchCompletion Complete(ClaimedMessage claimed, SendResult result, DispatchOptions settings)
    {
        var message = claimed.Message;
        var keepBodies = KeepBodies(result.Outcome, message, settings);
        // A success without its bodies is kept as its four values: the store spells the JSON out when the timeline is read.
        if (SendOutcomes.Summary(result, keepBodies) is { } summary)
        {
            return new DispatchCompletion(message.Id, SendOutcomes.Change(result, null, DeliveryState.Failed) with { Summary = summary });
        }
        var detail = SendOutcomes.Detail(result, keepBodies);
        if (result.Outcome is not SendOutcome.Transient transient)
        {
            return new DispatchCompletion(message.Id, SendOutcomes.Change(result, detail, DeliveryState.Failed));
        }
        if (FailoverAfterTransient(claimed, transient, detail) is { } moved)
        {
            return moved;
        }
        var retryAt = time.GetUtcNow() + Backoff.Delay(message.Attempts, transient.RetryAfter, settings, Random.Shared.NextDouble());
        if (claimed.ValidUntil is { } until && retryAt >= until)
        {
            return new DispatchCompletion(message.Id, SendOutcomes.Change(result, detail, DeliveryState.Expired,
                TimelineNotes.Then(transient.Reason, $"no retry: the next attempt would be after the message's validity ({until:O})")));
        }
        return new DispatchCompletion(message.Id, SendOutcomes.Change(result, detail, DeliveryState.Queued,
            TimelineNotes.Then(transient.Reason, $"attempt {message.Attempts + 1} at {retryAt:O}")), retryAt);
    }

    /// <summary>Whether this answer keeps its bodies: every failure and test message, one success in <see cref="DispatchOptions.KeepSuccessBodiesOneIn"/>.</summary>
    private bool KeepBodies(SendOutcome outcome, MessageRecord message, DispatchOptions settings)
    {
        if (outcome is not SendOutcome.Accepted || message.Type == MessageTypes.Test)
        {
            return true;
        }
        var oneIn = settings.KeepSuccessBodiesOneIn;
        return oneIn > 0 && Interlocked.Increment(ref _successes) % oneIn == 1 % oneIn;
    }

    private static DispatchCompletion Final(string id, DeliveryState state, string @event, string note) =>
        new(id, new StateChange { Proposed = state, Source = "dispatch", Event = @event, Note = note });

    private static OutboundMessage ToOutbound(MessageRecord message) => new()
    {
        MessageId = message.Id,
        To = PhoneNumber.FromStoredE164(message.To),
        Body = message.Body,
        Type = message.Type,
        Sender = message.Sender,
        TemplateId = message.TemplateId,
        TemplateVariables = message.TemplateVariables,
        CampaignId = message.CampaignId,
        DynamicFields = message.DynamicFields is null ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize(message.DynamicFields, DispatchJson.Default.DictionaryStringString) ?? [],
    };

    private async Task SweepLeasesAsync(DispatchOptions settings, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }
        _nextSweep = now + TimeSpan.FromTicks(Math.Min(settings.LeaseSweepInterval.Ticks, TimeSpan.FromSeconds(5).Ticks));
        metrics.Depth(await queue.DepthAsync(cancellationToken));
        // Once per cluster: the leader returns every node's expired leases (each node still claims for itself).
        await leadership.RunIfLeaderAsync(async ct =>
        {
            var recovered = await queue.RecoverExpiredLeasesAsync(settings.InDoubtHold, ct);
            if (recovered > 0)
            {
                LogRecovered(logger, recovered);
                Notify();
            }
        }, cancellationToken);
    }

    private async Task WaitForWorkAsync(DispatchOptions settings, CancellationToken cancellationToken)
    {
        var wait = settings.PollInterval;
        if (await queue.NextDueAsync(cancellationToken) is { } due)
        {
            var until = due - time.GetUtcNow();
            wait = until < wait ? (until > TimeSpan.Zero ? until : TimeSpan.Zero) : wait;
        }
        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _wake.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // poll interval passed
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        _expressWake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The dispatcher loop failed; retrying")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Returned {Count} messages whose lease expired to the queue; held in doubt for delivery reports, then resent with the same id")]
    private static partial void LogRecovered(ILogger logger, int count);
}
