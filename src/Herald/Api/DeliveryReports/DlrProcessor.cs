using Herald.Core;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Api.Providers;
using Herald.Core.DeliveryReports;
using Herald.Dispatch.Outbox;
using Herald.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.GenericHttp;
using Herald.Storage;
using Herald.Storage.Cluster;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.DeliveryReports;

/// <summary>The answer to a callback, in CleverTap's shape.</summary>
public sealed record DlrAnswer(string Status, int Processed, IReadOnlyList<DlrUnprocessed> Unprocessed, string? Error = null);

/// <summary>One record that could not be applied.</summary>
public sealed record DlrUnprocessed(string Status, string Code, string Error, JsonNode? Record);

/// <summary>A report that moved a message, for <see cref="IReportHook"/>.</summary>
internal sealed record AppliedReport(string MessageId, DeliveryReport Report, TransitionResult Result, DateTimeOffset ReceivedAt);

/// <summary>
/// Work that must happen in the same transaction as applying a provider's reports (the connector queues CleverTap's relays):
/// what it returns is queued in the outbox before the batch commits, so a crash can neither lose it nor double it.
/// </summary>
internal interface IReportHook
{
    /// <summary>Whether it wants the reports that came in on this provider's callbacks.</summary>
    bool Handles(string providerId);

    /// <summary>The webhooks to queue for reports that moved their message.</summary>
    Task<IReadOnlyList<OutboxItem>> AppliedAsync(IReadOnlyList<AppliedReport> applied, CancellationToken cancellationToken);
}

/// <summary>
/// Applies delivery reports to messages, many callbacks at a time in one transaction (see <see cref="DlrIngest"/>).
/// Idempotent: the same report twice changes nothing.
/// </summary>
/// <remarks>
/// A raw callback is kept (<c>dlr_inbox</c>, until <see cref="DlrIngestOptions.Retention"/>) only when it is worth reading again:
/// when any of its records was not applied cleanly (unreadable, unknown or not yet known message, a failure state, a change the
/// state machine refused), when it names a test SMS, and for one plain success in <see cref="Herald.Dispatch.DispatchOptions.KeepSuccessBodiesOneIn"/>
/// (the send bodies' sample). Any other callback is applied and not kept: its timeline entries keep their state, event and note
/// (the provider's status, when it was reported) with no detail, rather than a reference to a body that is gone.
/// </remarks>
internal sealed partial class DlrProcessor(IDlrInbox inbox, ProviderLookup providers, ProviderService providerService, IProviderKinds kinds, Herald.Dispatch.HeraldMetrics metrics,
    IEnumerable<IReportHook> hooks, IOutboxSignal outbox, IOptions<Herald.Dispatch.DispatchOptions> dispatchOptions,
    TimeProvider time, ILogger<DlrProcessor> logger)
{
    /// <summary>Plain successful callbacks seen, for the one-in-N sample of those kept.</summary>
    private long _plain;

    /// <summary>
    /// Stores (unless already stored) and applies callbacks, parks reports that overtook their send's answer and keeps each callback
    /// worth keeping processed with its answer (deleting, or never writing, the others), all in one commit; returns each callback's
    /// answer, in order.
    /// </summary>
    public async Task<IReadOnlyList<(int StatusCode, DlrAnswer Answer)>> ProcessAsync(IReadOnlyList<DlrInboxItem> items, bool stored,
        CancellationToken cancellationToken)
    {
        // Parsed before the batch takes the database's writer (SQLite's one writer turn): parsing needs no transaction, and every
        // other write (an OTP's among them) waits while the batch holds it.
        var formats = await FormatsAsync(items, cancellationToken);
        var work = items.Select(item => Parse(item, formats[item.ProviderId])).ToList();
        await using var batch = await inbox.BeginBatchAsync(cancellationToken);
        if (!stored)
        {
            // Received now: each gets its id first, so the timeline entries its reports write can refer to it rather than copy it.
            var ids = await batch.ReserveIdsAsync(items.Count, cancellationToken);
            items = [.. items.Select((item, i) => item with { Id = ids[i] })];
        }
        var correlation = await CorrelateAsync(batch, items, work, cancellationToken);
        // Decided before the timeline entries are written, so an entry refers to its callback's body only when the body stays.
        var keep = new bool[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            keep[i] = !IsPlain(items[i], work[i], correlation) || Sampled();
        }
        var changes = new List<(string MessageId, StateChange Change)>();
        var parked = new List<PendingReport>();
        var targets = new List<(int Item, DeliveryReport Report)>();
        for (var i = 0; i < items.Count; i++)
        {
            var searchFrom = 0;
            foreach (var report in work[i].Reports)
            {
                if (items[i].MessageId is { } scope)
                {
                    // The callback URL names one message (its token is that message's): its reports move that message only,
                    // whatever reference they echo (the connector's carry CleverTap's message_id).
                    changes.Add((scope, Change(report, keep[i], keep[i] ? InBody(items[i], report, ref searchFrom) : null)));
                    targets.Add((i, report));
                }
                else if (correlation.MessageFor(items[i].ProviderId, report) is { } messageId)
                {
                    changes.Add((messageId, Change(report, keep[i], keep[i] ? InBody(items[i], report, ref searchFrom) : null)));
                    targets.Add((i, report));
                }
                else if ((report.CorrelateBy == DlrCorrelation.ProviderMessageId ? report.Reference : report.AlternateProviderMessageId) is { } providerMessageId)
                {
                    // It may have overtaken the send's answer: keep it until that id is recorded.
                    parked.Add(new PendingReport
                    {
                        ProviderId = items[i].ProviderId, ProviderMessageId = providerMessageId,
                        Report = JsonSerializer.Serialize(report, HeraldJson.Options), ReceivedAt = time.GetUtcNow(),
                    });
                    work[i].Processed++;
                }
                else
                {
                    work[i].Unprocessed.Add(new("fail", "unknown_message",
                        $"No message of this provider has the id '{report.Reference}'. meta must be the $$MessageID Herald sent.", CallbackBodies.Record(report.Raw)));
                }
            }
        }
        var results = await batch.TransitionAsync(changes, cancellationToken);
        for (var k = 0; k < results.Count; k++)
        {
            var (i, report) = targets[k];
            if (results[k].Found)
            {
                work[i].Processed++;
            }
            else
            {
                work[i].Unprocessed.Add(new("fail", "unknown_message", $"Message '{changes[k].MessageId}' no longer exists.", CallbackBodies.Record(report.Raw)));
            }
            // A change the state machine refused (out of order, a repeat) or a message gone since: the callback is kept to be read
            // again. Its entries were written without a reference to it, which is fine: they never point at a body that is not there.
            if (!results[k].Found || (report.State is not null && !results[k].Applied))
            {
                keep[i] = true;
            }
        }
        await batch.ParkAsync(parked, cancellationToken);
        var queued = await HooksAsync(batch, items, changes, targets, results, cancellationToken);
        var answers = work.Select(w => w.Answer()).ToList();
        var answered = new List<(DlrInboxItem Item, string Result)>(items.Count);
        var notKept = new List<long>();
        for (var i = 0; i < items.Count; i++)
        {
            if (keep[i])
            {
                answered.Add((items[i], StoredText(answers[i].Answer)));
            }
            else
            {
                notKept.Add(items[i].Id);
            }
        }
        if (stored)
        {
            // Stored before a crash: mark those kept applied and delete the others, in the commit that applies them.
            await batch.MarkProcessedAsync(answered.Select(r => (r.Item.Id, r.Result)).ToList(), cancellationToken);
            await batch.DeleteAppliedAsync(notKept, cancellationToken);
        }
        else
        {
            // Received now: those kept are stored already applied, one row each, in the same commit; the others are never written
            // (their effects commit with this batch before any of them is answered, so nothing acknowledged is lost).
            await batch.StoreProcessedAsync(answered, cancellationToken);
        }
        await batch.CommitAsync(cancellationToken);
        Observe(changes, results);
        if (queued)
        {
            outbox.Notify();
        }
        return answers;
    }

    /// <summary>Hands the reports that moved a message to the hooks for their provider and queues what they return, in the batch.</summary>
    private async Task<bool> HooksAsync(IDlrBatch batch, IReadOnlyList<DlrInboxItem> items, List<(string MessageId, StateChange Change)> changes,
        List<(int Item, DeliveryReport Report)> targets, IReadOnlyList<TransitionResult> results, CancellationToken cancellationToken)
    {
        var queued = false;
        foreach (var hook in hooks)
        {
            var applied = new List<AppliedReport>();
            for (var k = 0; k < results.Count; k++)
            {
                var item = items[targets[k].Item];
                if (results[k] is { Found: true, Applied: true } && hook.Handles(item.ProviderId))
                {
                    applied.Add(new AppliedReport(changes[k].MessageId, targets[k].Report, results[k], item.ReceivedAt));
                }
            }
            if (applied.Count > 0 && await hook.AppliedAsync(applied, cancellationToken) is { Count: > 0 } webhooks)
            {
                await batch.EnqueueOutboxAsync(webhooks, cancellationToken);
                queued = true;
            }
        }
        return queued;
    }

    /// <summary>
    /// Whether a callback is a plain success, which is not kept unless sampled: it was read, every record in it names a message this
    /// provider sent (found now, not parked), none of them is a test SMS, and every state it reports is a step forward
    /// (accepted, sent, delivered) or none (a timeline-only event). A refused change is only known once applied (see its caller).
    /// </summary>
    private static bool IsPlain(DlrInboxItem item, Parsed parsed, Correlation correlation)
    {
        if (!parsed.Readable || parsed.Unprocessed.Count > 0 || parsed.Reports.Count == 0)
        {
            return false;
        }
        foreach (var report in parsed.Reports)
        {
            if (report.State is not (null or DeliveryState.Accepted or DeliveryState.Sent or DeliveryState.Delivered))
            {
                return false;
            }
            // A callback URL that names one message is the connector's, whose messages are never test SMS.
            if (item.MessageId is null && (correlation.Find(item.ProviderId, report) is not { } message || message.Type == MessageTypes.Test))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether this plain success is the one in <see cref="Herald.Dispatch.DispatchOptions.KeepSuccessBodiesOneIn"/> that is kept (the first is).</summary>
    private bool Sampled()
    {
        var oneIn = dispatchOptions.Value.KeepSuccessBodiesOneIn;
        return oneIn > 0 && Interlocked.Increment(ref _plain) % oneIn == 1 % oneIn;
    }

    /// <summary>The most unprocessed records an answer keeps when it is stored with its callback.</summary>
    public const int MaxStoredUnprocessed = 100;

    // A callback of 55,000 unknown records would otherwise store an answer ten times its size: keep the first ones and the count.
    private static DlrAnswer Stored(DlrAnswer answer) => answer.Unprocessed.Count <= MaxStoredUnprocessed ? answer
        : answer with
        {
            Unprocessed = answer.Unprocessed.Take(MaxStoredUnprocessed).ToList(),
            Error = $"{answer.Unprocessed.Count} records were not processed; the first {MaxStoredUnprocessed} are kept here.",
        };

    /// <summary>
    /// The answer as stored with its callback: the usual one (every record applied, or none to apply) written as text, the
    /// others serialised; both spell it exactly as the serialiser does.
    /// </summary>
    internal static string StoredText(DlrAnswer answer) => IsPlain(answer)
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""{"status":"{{answer.Status}}","processed":{{answer.Processed}},"unprocessed":[]}""")
        : JsonSerializer.Serialize(Stored(answer), HeraldJson.Options);

    /// <summary>Whether the answer is the usual one (nothing unprocessed, no error), which <see cref="StoredText"/> writes without the serialiser.</summary>
    internal static bool IsPlain(DlrAnswer answer) => answer is { Unprocessed.Count: 0, Error: null } && answer.Status is "success" or "fail" or "partial";

    /// <summary>Applies parked reports whose message is now known and removes them from the parking lot, in one commit.</summary>
    public async Task ApplyParkedAsync(IReadOnlyList<(PendingReport Report, string MessageId)> matched, CancellationToken cancellationToken)
    {
        await using var batch = await inbox.BeginBatchAsync(cancellationToken);
        var changes = matched
            .Select(m => (m.MessageId, Change(JsonSerializer.Deserialize<DeliveryReport>(m.Report.Report, HeraldJson.Options)!)))
            .ToList();
        var results = await batch.TransitionAsync(changes, cancellationToken);
        await batch.RemoveParkedAsync(matched.Select(m => m.Report.Id).ToList(), cancellationToken);
        await batch.CommitAsync(cancellationToken);
        Observe(changes, results);
    }

    /// <summary>
    /// The report format of each provider in the batch: its kind's. A provider removed since its report was stored
    /// (a recovery after a crash) is read as a generic one, which takes both CleverTap's and Kaleyra's formats.
    /// </summary>
    private async Task<Dictionary<string, IDeliveryReportFormat>> FormatsAsync(IReadOnlyList<DlrInboxItem> items, CancellationToken cancellationToken)
    {
        var formats = new Dictionary<string, IDeliveryReportFormat>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!formats.ContainsKey(item.ProviderId))
            {
                // A connector's callbacks (provider id connector:{kind}) are read as that kind's.
                // A provider reads its reports as its settings declare (a generic provider's reports), else as its kind does.
                if (item.ProviderId.StartsWith("connector:", StringComparison.Ordinal))
                {
                    formats[item.ProviderId] = kinds.Find(item.ProviderId["connector:".Length..])?.Reports ?? GenericDlrFormat.Instance;
                }
                else
                {
                    var provider = await providers.FindByIdAsync(item.ProviderId, cancellationToken);
                    formats[item.ProviderId] = provider is not null && kinds.Find(provider.Kind) is not null
                        ? providerService.ReportsFor(provider)
                        : GenericDlrFormat.Instance;
                }
            }
        }
        return formats;
    }

    private static Parsed Parse(DlrInboxItem item, IDeliveryReportFormat format)
    {
        try
        {
            var parsed = format.Parse(new DlrRequest(item.ContentType, item.Body, CallbackBodies.Query(item.Query)));
            return new Parsed(parsed.Reports, parsed.Unprocessed.Select(u => new DlrUnprocessed("fail", u.Code, u.Error, CallbackBodies.Record(u.Record))).ToList(), null)
            {
                SuccessStatus = format.SuccessStatus, UnusableStatus = format.UnusableStatus,
            };
        }
        catch (DlrFormatException ex)
        {
            return new Parsed([], [], ex.Message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or FormatException or ArgumentException or OverflowException)
        {
            // A format that trips over a body must not fail the other callbacks of the batch (each would be retried forever).
            return new Parsed([], [], $"The body could not be read as a delivery report: {ex.Message}");
        }
    }

    /// <summary>Looks up every message the batch's reports name, with two queries per provider rather than one per report.</summary>
    private static async Task<Correlation> CorrelateAsync(IDlrBatch batch, IReadOnlyList<DlrInboxItem> items, IReadOnlyList<Parsed> work,
        CancellationToken cancellationToken)
    {
        var heraldIds = new HashSet<string>(StringComparer.Ordinal);
        var byProvider = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            foreach (var report in work[i].Reports)
            {
                if (items[i].MessageId is not null)
                {
                    continue; // a scoped callback: its message is known
                }
                if (report.CorrelateBy == DlrCorrelation.HeraldMessageId)
                {
                    heraldIds.Add(report.Reference);
                }
                if ((report.CorrelateBy == DlrCorrelation.ProviderMessageId ? report.Reference : report.AlternateProviderMessageId) is { } providerMessageId)
                {
                    (byProvider.TryGetValue(items[i].ProviderId, out var set) ? set : byProvider[items[i].ProviderId] = new(StringComparer.Ordinal)).Add(providerMessageId);
                }
            }
        }
        var owners = heraldIds.Count == 0 ? new Dictionary<string, ReportedMessage>() : await batch.ProvidersOfAsync(heraldIds, cancellationToken);
        var known = new Dictionary<string, IReadOnlyDictionary<string, ReportedMessage>>(StringComparer.Ordinal);
        foreach (var (providerId, providerMessageIds) in byProvider)
        {
            known[providerId] = await batch.FindByProviderMessageIdsAsync(providerId, providerMessageIds, cancellationToken);
        }
        return new Correlation(owners, known);
    }

    /// <summary>
    /// Where a report's raw record is found verbatim in its callback's body, searching on from the previous record's end (records
    /// come in body order, so a callback of many records is read once): the timeline keeps a reference to it, not a copy.
    /// </summary>
    private static ReportSlice? InBody(DlrInboxItem item, DeliveryReport report, ref int searchFrom)
    {
        if (item.Id <= 0 || report.Raw.Length == 0 || searchFrom >= item.Body.Length)
        {
            return null;
        }
        var at = item.Body.IndexOf(report.Raw, searchFrom, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        searchFrom = at + report.Raw.Length;
        return new ReportSlice(item.Id, at, report.Raw.Length);
    }

    /// <param name="report">The report.</param>
    /// <param name="kept">Whether its callback's raw body is kept: when it is not, the entry keeps no detail (state, event and note say
    /// what the report said), never a reference to a body that will not be there.</param>
    /// <param name="inBody">Where its record is in its callback's body, if found there.</param>
    private static StateChange Change(DeliveryReport report, bool kept = true, ReportSlice? inBody = null)
    {
        var note = report.Code is null ? report.Description : $"code {report.Code}{(report.Description is null ? "" : ": " + report.Description)}";
        return kept
            ? new StateChange { Proposed = report.State, Source = "dlr", Event = report.Event, Note = note, ReportedAt = report.OccurredAt, Detail = report.Raw, DetailInReport = inBody }
            : new StateChange { Proposed = report.State, Source = "dlr", Event = report.Event, Note = note, ReportedAt = report.OccurredAt };
    }

    private void Observe(IReadOnlyList<(string MessageId, StateChange Change)> changes, IReadOnlyList<TransitionResult> results)
    {
        for (var k = 0; k < results.Count; k++)
        {
            if (results[k] is { Found: true, Applied: true, State: { } state })
            {
                metrics.Final(null, state);
            }
            if (results[k].Found)
            {
                LogApplied(logger, changes[k].MessageId, changes[k].Change.Event, results[k].Applied, results[k].State?.ToString() ?? "?");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "DLR {Event} for {MessageId}: applied={Applied}, state={State}")]
    private static partial void LogApplied(ILogger logger, string messageId, string @event, bool applied, string state);

    /// <summary>One callback's reports and what became of them.</summary>
    private sealed class Parsed(IReadOnlyList<DeliveryReport> reports, List<DlrUnprocessed> unprocessed, string? formatError)
    {
        public IReadOnlyList<DeliveryReport> Reports { get; } = reports;
        /// <summary>Whether the body could be read as its provider's reports.</summary>
        public bool Readable => formatError is null;
        public List<DlrUnprocessed> Unprocessed { get; } = unprocessed;
        public int Processed { get; set; }
        public int SuccessStatus { get; init; } = StatusCodes.Status200OK;
        public int UnusableStatus { get; init; } = StatusCodes.Status200OK;

        public (int StatusCode, DlrAnswer Answer) Answer()
        {
            if (formatError is not null)
            {
                return (StatusCodes.Status400BadRequest, new DlrAnswer("fail", 0, [], formatError));
            }
            var status = Unprocessed.Count == 0 ? "success" : Processed == 0 ? "fail" : "partial";
            return (status == "fail" ? UnusableStatus : SuccessStatus, new DlrAnswer(status, Processed, Unprocessed));
        }
    }

    /// <summary>The messages a batch's reports name.</summary>
    private sealed class Correlation(IReadOnlyDictionary<string, ReportedMessage> owners, IReadOnlyDictionary<string, IReadOnlyDictionary<string, ReportedMessage>> known)
    {
        /// <summary>The message a report is about: by Herald id when its provider matches, else by the provider's message id.</summary>
        public string? MessageFor(string providerId, DeliveryReport report) => Find(providerId, report)?.Id;

        /// <summary>The message a report is about (see <see cref="MessageFor"/>), with its type.</summary>
        public ReportedMessage? Find(string providerId, DeliveryReport report)
        {
            if (report.CorrelateBy == DlrCorrelation.HeraldMessageId && owners.TryGetValue(report.Reference, out var owner) && owner.ProviderId == providerId)
            {
                return owner;
            }
            var providerMessageId = report.CorrelateBy == DlrCorrelation.ProviderMessageId ? report.Reference : report.AlternateProviderMessageId;
            return providerMessageId is not null && known.TryGetValue(providerId, out var ids) && ids.TryGetValue(providerMessageId, out var message) ? message : null;
        }
    }
}

/// <summary>
/// Applies parked reports once the provider message id they name is recorded (a report that
/// overtook the send's answer), and gives up on those still unmatched after an hour. A cluster-wide
/// job: only the leader runs it, so two nodes never apply the same parked report.
/// </summary>
internal sealed partial class PendingReportWorker(IPendingReports pending, IDlrInbox inbox, DlrProcessor processor, IClusterLeadership leadership,
    IOptions<DlrIngestOptions> options, TimeProvider time, ILogger<PendingReportWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private const int SweepBatch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextStaleCheck = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!leadership.IsLeader)
                {
                    await Task.Delay(Interval, time, stoppingToken);
                    continue;
                }
                var matched = await pending.MatchedAsync(500, stoppingToken);
                if (matched.Count > 0)
                {
                    await processor.ApplyParkedAsync(matched, stoppingToken);
                }
                if (time.GetUtcNow() >= nextStaleCheck)
                {
                    nextStaleCheck = time.GetUtcNow() + options.Value.SweepInterval;
                    await SweepAsync(stoppingToken);
                }
                if (matched.Count == 0)
                {
                    await Task.Delay(Interval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or JsonException or InvalidOperationException)
            {
                LogFailed(logger, ex);
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    // Every stale parked report and every raw callback past retention, in small batches (each its own short transaction,
    // so callbacks keep being written in between): a backlog of 200,000 clears in one sweep, not 500 a minute.
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Reports parked while their message was being given its provider id (concurrent transactions on PostgreSQL) were
        // marked by neither side: one indexed look at the reports parked since the sweep before last catches them.
        await pending.MarkLateMatchesAsync(now - 2 * options.Value.SweepInterval - TimeSpan.FromSeconds(5), cancellationToken);
        IReadOnlyList<PendingReport> stale;
        do
        {
            stale = await pending.StaleAsync(now - options.Value.ParkedFor, SweepBatch, cancellationToken);
            foreach (var report in stale.Take(10))
            {
                LogGaveUp(logger, report.ProviderId, report.ProviderMessageId);
            }
            if (stale.Count > 10)
            {
                LogGaveUpMore(logger, stale.Count - 10);
            }
            await pending.RemoveAsync(stale.Select(s => s.Id).ToList(), cancellationToken);
        }
        while (stale.Count == SweepBatch && !cancellationToken.IsCancellationRequested);
        int purged;
        do
        {
            purged = await inbox.PurgeAsync(now - options.Value.Retention, SweepBatch, cancellationToken);
        }
        while (purged == SweepBatch && !cancellationToken.IsCancellationRequested);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up on {Count} more unmatched delivery reports (they stay in the raw report log until its retention)")]
    private static partial void LogGaveUpMore(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up on a delivery report for {ProviderMessageId} from provider {ProviderId}: no message with that id in time (it stays in the raw report log until its retention)")]
    private static partial void LogGaveUp(ILogger logger, string providerId, string providerMessageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying parked delivery reports failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>After a crash, applies reports that were stored but not yet applied.</summary>
internal sealed partial class DlrRecoveryService(IDlrInbox inbox, DlrProcessor processor, ILogger<DlrRecoveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var pending = await inbox.PendingAsync(500, stoppingToken);
            if (pending.Count == 0)
            {
                return;
            }
            LogRecovering(logger, pending.Count);
            await processor.ProcessAsync(pending, stored: true, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} delivery reports received before the last stop")]
    private static partial void LogRecovering(ILogger logger, int count);
}
