using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core;
using Herald.Dispatch.Intake;
using Herald.Engagement.Segments;
using Herald.Engagement.Shared;
using Herald.Engagement.Templates;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Journeys;

/// <summary>Wakes the journey runner when events it listens to were stored, so it need not wait for its next poll.</summary>
public interface IJourneySignal
{
    /// <summary>Says that events were stored.</summary>
    void Notify();

    /// <summary>Says that contacts or their events changed: segment triggers are evaluated soon rather than at their interval.</summary>
    void ContactsChanged();
}

/// <summary>
/// Runs journeys on every node. Two passes, each over rows claimed under a lease (<c>SKIP LOCKED</c> on PostgreSQL):
/// the event pass takes the journey inbox (events a journey listens to, written by the ingest in its own transaction) and
/// enters contacts, ends waits and exits goals; the timer pass takes due instances, walks each from its node until it
/// waits or exits, and stores the move with its messages (key <c>journey:{instance}:{node}</c>) and webhooks in one
/// transaction, only if the instance is still where it was claimed. Nothing lives in memory between passes but the
/// immutable versions' definitions. A third pass evaluates the segments of journeys triggered by entering a segment, each
/// journey claimed by one node at a time, every <see cref="JourneyOptions.SegmentEvaluationInterval"/> (sooner after a change).
/// </summary>
internal sealed partial class JourneyRunner(
    IJourneyStore store,
    IMessageIntake intake,
    IMessageTemplates templates,
    ISegmentService segments,
    IOptions<JourneyOptions> options,
    TimeProvider time,
    ILogger<JourneyRunner> logger) : PollingLoop, IJourneySignal
{
    /// <summary>The outbox topic of journey webhooks.</summary>
    public const string WebhookTopic = "journey";

    /// <summary>The longest a goal looks back for instances to credit (the longest attribution window that counts).</summary>
    private static readonly TimeSpan GoalLookBack = TimeSpan.FromDays(31);

    private readonly string _owner = $"journeys/{Guid.NewGuid().ToString("N")[..8]}";
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<(string, int), JourneyDefinition?> _versions = new();
    private long _changedAt = long.MinValue;

    public void Notify()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // already signalled
            }
        }
    }

    public void ContactsChanged()
    {
        Interlocked.Exchange(ref _changedAt, time.GetUtcNow().ToUnixTimeMilliseconds());
        Notify();
    }

    protected override bool Enabled => options.Value.Enabled;

    protected override Task<bool> PassAsync(CancellationToken cancellationToken) => RunOnceAsync(cancellationToken);

    protected override Task IdleAsync(CancellationToken cancellationToken) => WaitAsync(cancellationToken);

    protected override void PassFailed(Exception exception) => LogRunFailed(exception);

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Value.PollInterval, time);
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

    /// <summary>One segment pass, one event pass and one timer pass; whether any found work.</summary>
    internal async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var segments = await SegmentPassAsync(cancellationToken);
        var events = await EventPassAsync(cancellationToken);
        var timers = await TimerPassAsync(cancellationToken);
        return segments || events || timers;
    }

    /// <summary>The definition of a published version (immutable, so kept once read).</summary>
    internal async Task<JourneyDefinition?> DefinitionAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue((journeyId, version), out var known))
        {
            return known;
        }
        var json = await store.VersionAsync(journeyId, version, cancellationToken);
        var definition = json is null ? null : JsonSerializer.Deserialize<JourneyDefinition>(json, HeraldJson.Options);
        if (_versions.Count > 10_000)
        {
            _versions.Clear();
        }
        _versions[(journeyId, version)] = definition;
        return definition;
    }

    // ------------------------------------------------------------------ segments: contacts that became members enter

    private async Task<bool> SegmentPassAsync(CancellationToken cancellationToken)
    {
        var changed = Interlocked.Read(ref _changedAt);
        var claimed = await store.ClaimSegmentTriggersAsync(_owner, options.Value.Lease,
            changed == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(changed), options.Value.SegmentChangeDelay, 10, cancellationToken);
        var entered = 0;
        foreach (var trigger in claimed)
        {
            var next = time.GetUtcNow() + options.Value.SegmentEvaluationInterval;
            var definition = await DefinitionAsync(trigger.JourneyId, trigger.Version, cancellationToken);
            var (filter, _) = definition?.TriggerSegment == trigger.SegmentId ? await segments.FilterAsync(trigger.SegmentId, cancellationToken) : (null, null);
            if (definition is null || filter is null)
            {
                // The segment was deleted, or its rule no longer reads: nobody can enter until it is fixed (publishing checks it again).
                LogSegmentUnusable(trigger.JourneyId, trigger.SegmentId);
                await store.ReleaseSegmentTriggerAsync(_owner, trigger.JourneyId, next, cancellationToken);
                continue;
            }
            var outcome = await store.EvaluateSegmentTriggerAsync(_owner, new SegmentTriggerEvaluation
            {
                Trigger = trigger, Filter = filter, Node = definition.Trigger.Id!, ReEntryMode = definition.ReEntry?.Mode ?? "everyTime",
                ReEntryHours = definition.ReEntry?.Hours, NextDueAt = next,
            }, cancellationToken);
            entered += outcome.Entered;
            if (outcome.Joined > 0 || outcome.Left > 0)
            {
                LogSegmentEvaluated(trigger.JourneyId, trigger.SegmentId, outcome.Joined, outcome.Left, outcome.Entered);
            }
        }
        return entered > 0;
    }

    // ------------------------------------------------------------------ events: entries, waits that end, goals

    private async Task<bool> EventPassAsync(CancellationToken cancellationToken)
    {
        var events = await store.ClaimEventsAsync(_owner, options.Value.Lease, options.Value.EventBatchSize, cancellationToken);
        if (events.Count == 0)
        {
            return false;
        }
        var now = time.GetUtcNow();
        var journeys = new List<(JourneyRecord Journey, JourneyDefinition Definition)>();
        foreach (var journey in await store.ListAsync(1000, cancellationToken))
        {
            if (journey is { Status: JourneyStatus.Active, Version: > 0 } && await DefinitionAsync(journey.Id, journey.Version, cancellationToken) is { } definition)
            {
                journeys.Add((journey, definition));
            }
        }
        var contacts = events.Select(e => e.ContactId).Distinct(StringComparer.Ordinal).ToList();
        var instances = (await store.InstancesOfAsync(contacts, now - GoalLookBack, cancellationToken)).ToList();
        var entryCounts = (await store.EntriesOfAsync(contacts, cancellationToken)).ToDictionary(e => (e.JourneyId, e.ContactId), e => (e.Count, e.LastEntered));
        // A contact whose instance a runner holds right now: its events wait a moment, so a wait the runner is about to start
        // (or a send it is about to store) is not raced by the event that should have ended it.
        var held = instances.Where(i => i.Status == JourneyStatus.InstanceActive && i.LeaseUntil > now).Select(i => i.ContactId).ToHashSet(StringComparer.Ordinal);
        var done = new List<long>();
        var deferred = new List<long>();
        var entries = new List<JourneyEntry>();
        var signals = new List<JourneySignal>();
        var goals = new List<JourneyGoal>();
        foreach (var e in events)
        {
            if (held.Contains(e.ContactId))
            {
                deferred.Add(e.Id);
                continue;
            }
            done.Add(e.Id);
            for (var i = 0; i < instances.Count; i++)
            {
                var instance = instances[i];
                if (instance.ContactId != e.ContactId || await DefinitionAsync(instance.JourneyId, instance.Version, cancellationToken) is not { } definition)
                {
                    continue;
                }
                if (definition.Goal is { } goal && goal.Event == e.Name && e.At >= instance.TriggerAt
                    && JourneyValues.SameAs(instance.TriggerProperties, e.Properties, goal.MatchTrigger))
                {
                    if (instance.Id == 0)
                    {
                        // Entered in this batch and reached the goal in it too: it enters converted and exited.
                        if (instance.Status == JourneyStatus.InstanceActive)
                        {
                            var index = entries.FindIndex(x => x.JourneyId == instance.JourneyId && x.TriggerMessageId == instance.TriggerMessageId);
                            entries[index] = entries[index] with { Goal = true };
                            instances[i] = instance with { Status = JourneyStatus.InstanceExited, ConvertedAt = now };
                        }
                        continue;
                    }
                    var converted = instance.ConvertedAt is null && e.At <= instance.EnteredAt + goal.Window;
                    if (instance.Status == JourneyStatus.InstanceActive)
                    {
                        goals.Add(new JourneyGoal(instance.Id, Exit: true, converted));
                        instances[i] = instance with { Status = JourneyStatus.InstanceExited, ConvertedAt = converted ? now : instance.ConvertedAt };
                        continue;
                    }
                    if (converted)
                    {
                        goals.Add(new JourneyGoal(instance.Id, Exit: false, Converted: true));
                        instances[i] = instance with { ConvertedAt = now };
                    }
                    continue;
                }
                if (instance is { Id: > 0, Status: JourneyStatus.InstanceActive, Waiting: true } && definition.Node(instance.Node) is { Type: JourneyNodeTypes.WaitForEvent } wait
                    && Matches(wait, e, instance.TriggerProperties))
                {
                    signals.Add(new JourneySignal(instance.Id, instance.JourneyId, instance.Version, wait.Id!, wait.OnEvent!));
                    instances[i] = instance with { Waiting = false, Node = wait.OnEvent! };
                }
            }
            foreach (var (journey, definition) in journeys)
            {
                var trigger = definition.Trigger;
                if (trigger.Event != e.Name || !(trigger.Where ?? []).All(c => c.Holds(JourneyValues.Get(e.Properties, c.Property!))))
                {
                    continue;
                }
                var (count, last) = entryCounts.GetValueOrDefault((journey.Id, e.ContactId));
                var inside = instances.Any(i => i.JourneyId == journey.Id && i.ContactId == e.ContactId && i.Status == JourneyStatus.InstanceActive);
                string? key = (definition.ReEntry?.Mode ?? "everyTime") switch
                {
                    "once" => count == 0 ? $"{e.ContactId}:1" : null,
                    "afterHours" => !inside && (count == 0 || now - last >= TimeSpan.FromHours(definition.ReEntry!.Hours!.Value)) ? $"{e.ContactId}:{count + 1}" : null,
                    _ => "m:" + e.MessageId,
                };
                if (key is null)
                {
                    continue;
                }
                var at = e.At > now ? now : e.At;
                entries.Add(new JourneyEntry(journey.Id, journey.Version, e.ContactId, trigger.Id!, key, e.MessageId, e.Name, e.Properties, at));
                entryCounts[(journey.Id, e.ContactId)] = (count + 1, now);
                instances.Add(new JourneyInstance
                {
                    JourneyId = journey.Id, Version = journey.Version, ContactId = e.ContactId, Node = trigger.Id!, Status = JourneyStatus.InstanceActive,
                    TriggerMessageId = e.MessageId, TriggerName = e.Name, TriggerProperties = e.Properties, TriggerAt = at, EnteredAt = now,
                });
            }
        }
        var entered = await store.ApplyEventsAsync(new JourneyEventOutcome(done, deferred, now + TimeSpan.FromSeconds(1), entries, signals, goals), cancellationToken);
        if (entered > 0 || signals.Count > 0)
        {
            LogEvents(events.Count, entered, signals.Count, goals.Count(g => g.Exit));
        }
        return true;
    }

    private static bool Matches(JourneyNode wait, JourneyEvent e, string? triggerProperties) =>
        wait.Event == e.Name
        && (wait.Where ?? []).All(c => c.Holds(JourneyValues.Get(e.Properties, c.Property!)))
        && JourneyValues.SameAs(triggerProperties, e.Properties, wait.MatchTrigger);

    // ------------------------------------------------------------------ timers: walk due instances

    private async Task<bool> TimerPassAsync(CancellationToken cancellationToken)
    {
        var claimed = await store.ClaimDueAsync(_owner, options.Value.Lease, options.Value.BatchSize, cancellationToken);
        if (claimed.Count == 0)
        {
            return false;
        }
        var now = time.GetUtcNow();
        var walks = new List<Walk>(claimed.Count);
        try
        {
            foreach (var instance in claimed)
            {
                walks.Add(await WalkAsync(instance, now, cancellationToken));
            }
            var lookups = new IntakeLookups();
            var prepared = new List<PreparedMessage>();
            var owners = new List<(Walk Walk, JourneyNode Node)>();
            foreach (var walk in walks)
            {
                foreach (var node in walk.Sends)
                {
                    var from = walk.From;
                    if (from.Phone is null)
                    {
                        walk.Count("skipped:no-phone");
                        continue;
                    }
                    var text = node.Body is null ? null : await templates.RenderAsync(node.Body, Model(from), cancellationToken);
                    if (text?.SkipReason is { } skip)
                    {
                        walk.Count("skipped:" + skip);
                        continue;
                    }
                    var result = await intake.PrepareAsync(new MessageSubmission
                    {
                        To = from.Phone, Body = text?.Text, Type = node.EffectiveMessageType, Sender = node.Sender, Provider = node.Provider,
                        ProviderGroup = node.ProviderGroup, TemplateId = node.TemplateId, Source = "journey", JourneyId = from.Instance.JourneyId,
                        FirstNote = $"journey {from.Instance.JourneyId} v{from.Instance.Version}, node {node.Id}",
                    }, IntakeMode.Queue, lookups, cancellationToken);
                    if (result.Prepared is not { } message)
                    {
                        var (field, errors) = result.Errors!.First();
                        walk.Count($"skipped:invalid-{field}: {errors.FirstOrDefault()}");
                        continue;
                    }
                    prepared.Add(message);
                    owners.Add((walk, node));
                }
            }
            // The one send-path policy over the whole batch, in order: a skip is counted with its reason and makes no message;
            // a deferred message waits in the queue.
            var decided = await intake.CheckPolicyAsync(prepared, cancellationToken);
            var queued = new List<PreparedMessage>(decided.Count);
            for (var i = 0; i < decided.Count; i++)
            {
                var (walk, node) = owners[i];
                if (decided[i].SkipReason is { } skipped)
                {
                    walk.Count("skipped:" + skipped);
                    continue;
                }
                walk.Messages.Add((decided[i].Message, decided[i].Dispatch,
                    new IdempotencyRecord($"journey:{walk.From.Instance.Id}:{node.Id}", "", decided[i].Message.Id, now)));
                walk.Count("sent:" + node.Id);
                queued.Add(decided[i]);
            }
            var stored = await store.CommitStepsAsync(_owner, [.. walks.Select(w => w.ToStep())], cancellationToken);
            intake.Stored(queued);
            if (stored < walks.Count)
            {
                LogRaced(walks.Count - stored);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the claimed instances go back now, not when their lease runs out.
            await store.ReleaseAsync(_owner, [.. claimed.Select(c => c.Instance.Id)], CancellationToken.None);
            throw;
        }
        return true;
    }

    /// <summary>Moves one instance from its node until it waits or exits; sends and webhooks are collected, not yet made.</summary>
    private async Task<Walk> WalkAsync(ClaimedInstance claimed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var instance = claimed.Instance;
        var walk = new Walk(claimed);
        var definition = await DefinitionAsync(instance.JourneyId, instance.Version, cancellationToken);
        if (definition is null)
        {
            return walk.Exit("journey-missing");
        }
        if (claimed.Erased)
        {
            return walk.Exit("contact-erased");
        }
        // Everything this walk passes counts as reached when the instance became due: a wait started here looks for its event
        // from then on, and its timeout runs from then.
        var since = instance.WakeAt ?? now;
        var node = definition.Node(instance.Node);
        if (node is null)
        {
            return walk.Exit("node-missing");
        }
        if (instance.Waiting)
        {
            switch (node.Type)
            {
                case JourneyNodeTypes.Delay:
                    node = walk.Move(definition, node, node.Next!);
                    break;
                case JourneyNodeTypes.WaitForEvent:
                    node = walk.Move(definition, node, node.OnTimeout!);
                    break;
            }
        }
        for (var steps = 0; steps <= JourneyDefinition.MaxNodes; steps++)
        {
            switch (node!.Type)
            {
                case JourneyNodeTypes.Trigger:
                    node = walk.Move(definition, node, node.Next!);
                    break;
                case JourneyNodeTypes.Delay:
                    var until = Until(node, claimed, since);
                    if (until > now)
                    {
                        return walk.Wait(node, until);
                    }
                    node = walk.Move(definition, node, node.Next!);
                    break;
                case JourneyNodeTypes.WaitForEvent:
                    // The event may have come before the instance got here (in the trigger's own batch, say).
                    var earlier = (await store.EventsSinceAsync(instance.ContactId, node.Event!, since, cancellationToken))
                        .Where(p => (node.Where ?? []).All(c => c.Holds(JourneyValues.Get(p, c.Property!))) && JourneyValues.SameAs(instance.TriggerProperties, p, node.MatchTrigger))
                        .ToList();
                    if (earlier.Count > 0)
                    {
                        // The goal event itself (the checkout): the contact leaves on the goal, as it would had the event come later.
                        if (definition.Goal is { } goal && goal.Event == node.Event && earlier.Any(p => JourneyValues.SameAs(instance.TriggerProperties, p, goal.MatchTrigger)))
                        {
                            walk.Converted = true;
                            return walk.Exit("goal");
                        }
                        node = walk.Move(definition, node, node.OnEvent!);
                        break;
                    }
                    var deadline = since + node.ParsedTimeout!.Value;
                    if (deadline > now)
                    {
                        return walk.Wait(node, deadline);
                    }
                    node = walk.Move(definition, node, node.OnTimeout!);
                    break;
                case JourneyNodeTypes.Branch:
                    node = walk.Move(definition, node, await BranchAsync(node, claimed, cancellationToken) ? node.Yes! : node.No!);
                    break;
                case JourneyNodeTypes.SendSms:
                    walk.Sends.Add(node);
                    node = walk.Move(definition, node, node.Next!);
                    break;
                case JourneyNodeTypes.Webhook:
                    walk.Webhooks.Add(Webhook(node, claimed, now));
                    walk.Count("webhook:" + node.Id);
                    node = walk.Move(definition, node, node.Next!);
                    break;
                default:
                    return walk.Exit("completed", node);
            }
        }
        return walk.Exit("completed", node);
    }

    /// <summary>When a delay ends, counted from <paramref name="since"/>.</summary>
    private static DateTimeOffset Until(JourneyNode node, ClaimedInstance claimed, DateTimeOffset since)
    {
        if (node.ParsedDuration is { } duration)
        {
            return since + duration;
        }
        if (node.ParsedLocalTime is { } localTime)
        {
            var zone = TimeZoneInfo.Utc;
            if (claimed.Timezone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(claimed.Timezone, out var found))
            {
                zone = found;
            }
            var local = TimeZoneInfo.ConvertTime(since, zone);
            var day = DateOnly.FromDateTime(local.DateTime);
            for (var i = 0; i < 3; i++, day = day.AddDays(1))
            {
                var at = day.ToDateTime(localTime, DateTimeKind.Unspecified);
                // A local time skipped by a clock change is taken an hour later, when it exists again.
                if (zone.IsInvalidTime(at))
                {
                    at = at.AddHours(1);
                }
                var instant = new DateTimeOffset(at, zone.GetUtcOffset(at));
                if (instant > since)
                {
                    return instant;
                }
            }
            return since;
        }
        return JourneyValues.Get(claimed.Attributes, node.UntilAttribute!) is { } value && JourneyValues.Instant(value) is { } date
            ? date + node.ParsedOffset
            : since;
    }

    private async Task<bool> BranchAsync(JourneyNode node, ClaimedInstance claimed, CancellationToken cancellationToken)
    {
        if (node.Attribute is { } condition)
        {
            return condition.Holds(JourneyValues.Get(claimed.Attributes, condition.Name!));
        }
        if (node.Segment is { } segment)
        {
            var (filter, _) = await segments.FilterAsync(segment, cancellationToken);
            return filter is not null && await store.InSegmentAsync(claimed.Instance.ContactId, filter, cancellationToken);
        }
        // The same answer whenever this instance reaches this node (a step run again decides the same).
        var hash = BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{claimed.Instance.Id}:{node.Id}")), 0);
        return hash % 10_000 < node.RandomPercent!.Value * 100;
    }

    private static OutboxItem Webhook(JourneyNode node, ClaimedInstance claimed, DateTimeOffset now)
    {
        var instance = claimed.Instance;
        var payload = new JsonObject
        {
            ["type"] = "journey.webhook",
            ["journeyId"] = instance.JourneyId,
            ["version"] = instance.Version,
            ["node"] = node.Id,
            ["instanceId"] = instance.Id,
            ["contact"] = new JsonObject { ["id"] = instance.ContactId, ["phone"] = claimed.Phone, ["externalId"] = claimed.ExternalId },
            ["event"] = new JsonObject
            {
                ["name"] = instance.TriggerName, ["messageId"] = instance.TriggerMessageId,
                ["properties"] = instance.TriggerProperties is null ? null : JsonNode.Parse(instance.TriggerProperties),
            },
            ["at"] = now.ToString("O", CultureInfo.InvariantCulture),
        };
        return new OutboxItem
        {
            Key = $"journey:{instance.Id}:{node.Id}", Topic = WebhookTopic, Url = node.Url!, Payload = payload.ToJsonString(HeraldJson.Options),
            NextAttemptAt = now, ValidUntil = now + TimeSpan.FromDays(1),
        };
    }

    /// <summary>What a message body's Liquid sees: the contact and the trigger event.</summary>
    internal static TemplateModel Model(ClaimedInstance claimed) => new(
        new ContactModel(claimed.Phone ?? "", claimed.Attributes)
        {
            Id = claimed.Instance.ContactId, ExternalId = claimed.ExternalId, TimeZone = claimed.Timezone, Locale = claimed.Locale,
        },
        new EventModel(claimed.Instance.TriggerName, claimed.Instance.TriggerProperties));

    /// <summary>One instance's walk: where it ends, what it sends, the edges it took.</summary>
    private sealed class Walk(ClaimedInstance from)
    {
        private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
        private string _node = from.Instance.Node;
        private bool _waiting = from.Instance.Waiting;
        private DateTimeOffset? _wakeAt;
        private string? _exit;

        public ClaimedInstance From => from;
        public bool Converted { get; set; }
        public List<JourneyNode> Sends { get; } = [];
        public List<OutboxItem> Webhooks { get; } = [];
        public List<(MessageRecord, DispatchInfo, IdempotencyRecord)> Messages { get; } = [];

        public void Count(string key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

        public JourneyNode Move(JourneyDefinition definition, JourneyNode node, string to)
        {
            Count($"edge:{node.Id}>{to}");
            _node = to;
            _waiting = false;
            return definition.Node(to)!;
        }

        public Walk Wait(JourneyNode node, DateTimeOffset until)
        {
            _node = node.Id!;
            _waiting = true;
            _wakeAt = until;
            return this;
        }

        public Walk Exit(string reason, JourneyNode? at = null)
        {
            if (at is not null)
            {
                _node = at.Id!;
            }
            _waiting = false;
            _exit = reason;
            return this;
        }

        public JourneyStep ToStep() => new()
        {
            From = from, Node = _node, Waiting = _waiting, WakeAt = _wakeAt, ExitReason = _exit, Converted = Converted, Messages = Messages, Webhooks = Webhooks,
            Counts = _counts,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The journey runner failed a pass; it tries again")]
    private partial void LogRunFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Journey events: {Events} read, {Entered} entered, {Signals} waits ended, {Goals} goal exits")]
    private partial void LogEvents(int events, int entered, int signals, int goals);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Journey {JourneyId}: segment {SegmentId} gained {Joined} and lost {Left} members; {Entered} entered")]
    private partial void LogSegmentEvaluated(string journeyId, string segmentId, int joined, int left, int entered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journey {JourneyId}: its trigger segment {SegmentId} is gone or its rule no longer reads; nobody enters until it is fixed")]
    private partial void LogSegmentUnusable(string journeyId, string segmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} journey step(s) were dropped: their instance moved meanwhile (an event, a goal or another node)")]
    private partial void LogRaced(int count);
}
