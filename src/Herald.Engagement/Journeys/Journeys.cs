using System.Text.Json;
using Herald.Core;
using Herald.Engagement.Segments;
using Herald.Engagement.Templates;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Journeys;

/// <summary>Journeys for the API, the CLI and the dashboard: write, publish, pause, resume and report.</summary>
public interface IJourneys
{
    /// <summary>Stores a draft.</summary>
    Task<JourneyResult> CreateAsync(JourneyDefinition definition, CancellationToken cancellationToken);

    /// <summary>Replaces the draft (published versions never change; publish again to make a new one).</summary>
    Task<JourneyResult> UpdateAsync(string id, JourneyDefinition definition, CancellationToken cancellationToken);

    /// <summary>One journey, or null.</summary>
    Task<JourneyView?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Journeys, newest first.</summary>
    Task<IReadOnlyList<JourneyView>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Makes the draft an immutable version that new entries take; running instances finish on theirs.</summary>
    Task<JourneyResult> PublishAsync(string id, CancellationToken cancellationToken);

    /// <summary>Holds the journey: nobody enters and no timer fires until it is resumed.</summary>
    Task<JourneyResult> PauseAsync(string id, CancellationToken cancellationToken);

    /// <summary>Continues a paused journey (timers that came due meanwhile fire now).</summary>
    Task<JourneyResult> ResumeAsync(string id, CancellationToken cancellationToken);

    /// <summary>What the journey achieved so far, or null.</summary>
    Task<JourneyReport?> ReportAsync(string id, CancellationToken cancellationToken);

    /// <summary>Checks a definition without storing it: the errors by field, or none.</summary>
    Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(JourneyDefinition definition, CancellationToken cancellationToken);
}

/// <summary>A journey as the API shows it: the draft's definition and the newest published version.</summary>
public sealed record JourneyView(string Id, string Name, string Status, int Version, JourneyDefinition Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    internal static JourneyView From(JourneyRecord record) => new(record.Id, record.Name, record.Status, record.Version,
        JsonSerializer.Deserialize<JourneyDefinition>(record.Draft, HeraldJson.Options)!, record.CreatedAt, record.UpdatedAt);
}

/// <summary>The answer of a change: the journey, or what is wrong.</summary>
/// <param name="Journey">The journey after the change.</param>
/// <param name="Errors">What to fix, by field (400).</param>
/// <param name="Conflict">Why the change does not fit the journey's state (409).</param>
/// <param name="NotFound">No such journey (404).</param>
public sealed record JourneyResult(JourneyView? Journey, IReadOnlyDictionary<string, string[]>? Errors = null, string? Conflict = null, bool NotFound = false);

/// <summary>An edge of the diagram with how many contacts took it.</summary>
/// <param name="From">The node it leaves.</param>
/// <param name="To">The node it reaches.</param>
/// <param name="Label">next, onEvent, onTimeout, yes or no.</param>
/// <param name="Count">Contacts that took it (all versions).</param>
public sealed record JourneyEdge(string From, string To, string Label, long Count);

/// <summary>What a journey achieved, across its versions.</summary>
/// <param name="Journey">The journey.</param>
/// <param name="Entered">Contacts that entered (instances).</param>
/// <param name="Active">Instances still on their way.</param>
/// <param name="ActiveByNode">Instances on their way, by the node they are at.</param>
/// <param name="ExitedByReason">Instances that left, by reason (completed, goal, contact-erased).</param>
/// <param name="Sent">Messages queued by its sendSms nodes.</param>
/// <param name="SentByNode">Messages by node.</param>
/// <param name="SkippedByReason">Sends the policy or the template skipped, by reason.</param>
/// <param name="Webhooks">Webhooks queued.</param>
/// <param name="Converted">Instances whose goal came within the attribution window.</param>
/// <param name="ConversionRate">Converted ÷ entered.</param>
/// <param name="Edges">The newest version's edges with their counts.</param>
/// <param name="Published">The newest published version's definition (the draft's before the first publish), which <paramref name="Edges"/> draw.</param>
public sealed record JourneyReport(JourneyView Journey, long Entered, long Active, IReadOnlyDictionary<string, long> ActiveByNode,
    IReadOnlyDictionary<string, long> ExitedByReason, long Sent, IReadOnlyDictionary<string, long> SentByNode, IReadOnlyDictionary<string, long> SkippedByReason,
    long Webhooks, long Converted, double? ConversionRate, IReadOnlyList<JourneyEdge> Edges, JourneyDefinition Published);

internal sealed class JourneyService(IJourneyStore store, IMessageTemplates templates, ISegmentService segments, TimeProvider time) : IJourneys
{
    public async Task<JourneyResult> CreateAsync(JourneyDefinition definition, CancellationToken cancellationToken)
    {
        var errors = await ValidateAsync(definition, cancellationToken);
        if (errors.Count > 0)
        {
            return new JourneyResult(null, errors);
        }
        var now = time.GetUtcNow();
        var record = new JourneyRecord
        {
            Id = Ids.NewId("jrn"), Name = definition.Name!.Trim(), Status = JourneyStatus.Draft, Draft = Serialize(definition), CreatedAt = now, UpdatedAt = now,
        };
        await store.CreateAsync(record, cancellationToken);
        return new JourneyResult(JourneyView.From(record));
    }

    public async Task<JourneyResult> UpdateAsync(string id, JourneyDefinition definition, CancellationToken cancellationToken)
    {
        var errors = await ValidateAsync(definition, cancellationToken);
        if (errors.Count > 0)
        {
            return new JourneyResult(null, errors);
        }
        return await store.UpdateDraftAsync(id, definition.Name!.Trim(), Serialize(definition), cancellationToken)
            ? new JourneyResult(await GetAsync(id, cancellationToken))
            : new JourneyResult(null, NotFound: true);
    }

    public async Task<JourneyView?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } record ? JourneyView.From(record) : null;

    public async Task<IReadOnlyList<JourneyView>> ListAsync(int limit, CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(limit, cancellationToken)).Select(JourneyView.From)];

    public async Task<JourneyResult> PublishAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } record)
        {
            return new JourneyResult(null, NotFound: true);
        }
        var definition = JsonSerializer.Deserialize<JourneyDefinition>(record.Draft, HeraldJson.Options)!;
        var errors = await ValidateAsync(definition, cancellationToken);
        if (errors.Count > 0)
        {
            return new JourneyResult(null, errors);
        }
        if (record.Version > 0 && await store.VersionAsync(id, record.Version, cancellationToken) == record.Draft)
        {
            return new JourneyResult(null, Conflict: $"version {record.Version} is this draft already: change the draft, then publish.");
        }
        JourneySegmentTrigger? segmentTrigger = null;
        if (definition.TriggerSegment is { } segment)
        {
            // The members at publishing are the baseline (they do not enter), taken in the publish's own transaction.
            var (filter, problems) = await segments.FilterAsync(segment, cancellationToken);
            if (filter is null)
            {
                var at = $"nodes[{definition.Nodes!.ToList().IndexOf(definition.Trigger)}].segment";
                return new JourneyResult(null, new Dictionary<string, string[]>
                {
                    [at] = [problems is null ? $"No segment has the id '{segment}': use the id of a saved segment." : $"The segment '{segment}' has a rule that no longer reads: fix the segment first."],
                });
            }
            segmentTrigger = new JourneySegmentTrigger(segment, filter, definition.Trigger.IncludeExisting == true);
        }
        await store.PublishAsync(id, record.Name, record.Draft, definition.EventNames(), segmentTrigger, cancellationToken);
        return new JourneyResult(await GetAsync(id, cancellationToken));
    }

    public Task<JourneyResult> PauseAsync(string id, CancellationToken cancellationToken) =>
        TransitionAsync(id, JourneyStatus.Active, JourneyStatus.Paused, "only an active journey can be paused; this one is {0}.", cancellationToken);

    public Task<JourneyResult> ResumeAsync(string id, CancellationToken cancellationToken) =>
        TransitionAsync(id, JourneyStatus.Paused, JourneyStatus.Active, "only a paused journey can be resumed; this one is {0}.", cancellationToken);

    private async Task<JourneyResult> TransitionAsync(string id, string from, string to, string refusal, CancellationToken cancellationToken)
    {
        if (await store.TransitionAsync(id, [from], to, cancellationToken))
        {
            return new JourneyResult(await GetAsync(id, cancellationToken));
        }
        return await store.GetAsync(id, cancellationToken) is { } record
            ? new JourneyResult(null, Conflict: string.Format(System.Globalization.CultureInfo.InvariantCulture, refusal, record.Status))
            : new JourneyResult(null, NotFound: true);
    }

    public async Task<JourneyReport?> ReportAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } record)
        {
            return null;
        }
        var view = JourneyView.From(record);
        var counts = await store.CountsAsync(id, cancellationToken);
        var definition = record.Version > 0 && await store.VersionAsync(id, record.Version, cancellationToken) is { } published
            ? JsonSerializer.Deserialize<JourneyDefinition>(published, HeraldJson.Options)!
            : view.Definition;
        var edges = (definition.Nodes ?? []).Where(n => n?.Id is not null)
            .SelectMany(n => n.Exits().Where(e => e.Target is not null)
                .Select(e => new JourneyEdge(n.Id!, e.Target!, e.Field, counts.Counters.GetValueOrDefault($"edge:{n.Id}>{e.Target}"))))
            .ToList();
        var sentByNode = Prefixed(counts.Counters, "sent:");
        return new JourneyReport(view, counts.Entered, counts.ActiveByNode.Values.Sum(), counts.ActiveByNode, counts.ExitedByReason, sentByNode.Values.Sum(), sentByNode,
            Prefixed(counts.Counters, "skipped:"), Prefixed(counts.Counters, "webhook:").Values.Sum(), counts.Converted,
            counts.Entered == 0 ? null : Math.Round((double)counts.Converted / counts.Entered, 4), edges, definition);
    }

    private static Dictionary<string, long> Prefixed(IReadOnlyDictionary<string, long> counters, string prefix) =>
        counters.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(c => c.Key[prefix.Length..], c => c.Value, StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, string[]>> ValidateAsync(JourneyDefinition definition, CancellationToken cancellationToken)
    {
        var segmentIds = (definition.Nodes ?? []).Select(n => n?.Segment).OfType<string>().ToList();
        var known = segmentIds.Count == 0 ? [] : (await segments.ListAsync(cancellationToken)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        return definition.Validate(
            source => templates.Check(source) is { } error ? $"The body does not parse at line {error.Line}, column {error.Column}: {error.Message}" : null,
            known.Contains);
    }

    private static string Serialize(JourneyDefinition definition) => JsonSerializer.Serialize(definition, HeraldJson.Options);
}
