using System.Text.Json;
using Herald.Core;
using Herald.Dispatch.Intake;
using Herald.Engagement.Segments;
using Herald.Engagement.Templates;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Campaigns;

/// <summary>Campaigns for the API, the CLI and the dashboard: write, launch, pause, resume, cancel and report.</summary>
public interface ICampaigns
{
    /// <summary>Stores a draft.</summary>
    Task<CampaignResult> CreateAsync(CampaignDefinition definition, CancellationToken cancellationToken);

    /// <summary>Changes a draft.</summary>
    Task<CampaignResult> UpdateAsync(string id, CampaignDefinition definition, CancellationToken cancellationToken);

    /// <summary>One campaign, or null.</summary>
    Task<CampaignView?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Campaigns, newest first.</summary>
    Task<IReadOnlyList<CampaignView>> ListAsync(string? status, int limit, CancellationToken cancellationToken);

    /// <summary>Freezes the audience and schedules or starts the campaign.</summary>
    Task<CampaignResult> LaunchAsync(string id, CancellationToken cancellationToken);

    /// <summary>Stops claiming and takes back messages not yet sent.</summary>
    Task<CampaignResult> PauseAsync(string id, CancellationToken cancellationToken);

    /// <summary>Continues a paused campaign.</summary>
    Task<CampaignResult> ResumeAsync(string id, CancellationToken cancellationToken);

    /// <summary>Stops for good: recipients not yet sent are cancelled.</summary>
    Task<CampaignResult> CancelAsync(string id, CancellationToken cancellationToken);

    /// <summary>Sends the campaign's message to a few numbers now (not to its audience; not counted in its report).</summary>
    Task<CampaignTestResult> TestAsync(string id, IReadOnlyList<string> numbers, CancellationToken cancellationToken);

    /// <summary>What the campaign achieved so far, or null.</summary>
    Task<CampaignReport?> ReportAsync(string id, CancellationToken cancellationToken);

    /// <summary>Its recipients, to answer "why wasn't this one sent".</summary>
    Task<IReadOnlyList<CampaignRecipientRow>?> RecipientsAsync(string id, string? status, string? reason, long after, int limit, CancellationToken cancellationToken);

    /// <summary>What launching now would do (counts, skips by reason, cost, samples), through the same steps and policy as the runner; sends and changes nothing.</summary>
    Task<CampaignAnswer<CampaignDryRun>> DryRunAsync(string id, CancellationToken cancellationToken);

    /// <summary>The campaign's message for one contact (the first audience member when none is named), and the DLT check of its body.</summary>
    Task<CampaignAnswer<CampaignPreview>> PreviewAsync(string id, string? contactId, CancellationToken cancellationToken);
}

/// <summary>A campaign as the API shows it.</summary>
public sealed record CampaignView(string Id, string Name, string Status, string? StatusReason, long AudienceCount, CampaignDefinition Definition,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? LaunchedAt, DateTimeOffset? FinishedAt)
{
    internal static CampaignView From(CampaignRecord record) => new(record.Id, record.Name, record.Status, record.StatusReason, record.AudienceCount,
        JsonSerializer.Deserialize<CampaignDefinition>(record.Definition, HeraldJson.Options)!, record.CreatedAt, record.UpdatedAt, record.LaunchedAt, record.FinishedAt);
}

/// <summary>The answer of a change: the campaign, or what is wrong.</summary>
/// <param name="Campaign">The campaign after the change.</param>
/// <param name="Errors">What to fix, by field (400).</param>
/// <param name="Conflict">Why the change does not fit the campaign's state (409).</param>
/// <param name="NotFound">No such campaign (404).</param>
public sealed record CampaignResult(CampaignView? Campaign, IReadOnlyDictionary<string, string[]>? Errors = null, string? Conflict = null, bool NotFound = false);

/// <summary>The answer of a test send: the message per number, or what is wrong.</summary>
/// <param name="Sent">Each number and the id of the message sent to it.</param>
/// <param name="Errors">What to fix, by field (400).</param>
/// <param name="NotFound">No such campaign (404).</param>
public sealed record CampaignTestResult(IReadOnlyList<CampaignTestMessage> Sent, IReadOnlyDictionary<string, string[]>? Errors = null, bool NotFound = false);

/// <summary>One test message.</summary>
public sealed record CampaignTestMessage(string To, string MessageId);

/// <summary>What a campaign achieved: sending (recipients, messages, delivery) and results (clicks, conversions, variants, lift).</summary>
public sealed record CampaignReport(
    CampaignView Campaign,
    long Audience,
    IReadOnlyDictionary<string, long> Recipients,
    IReadOnlyDictionary<string, long> SkippedByReason,
    IReadOnlyDictionary<string, long> Messages,
    IReadOnlyDictionary<string, long> FailuresByReason,
    IReadOnlyDictionary<string, long> DeferredByReason,
    double? DeliveryRate,
    double? DlrLatencyP50Ms,
    double? DlrLatencyP95Ms,
    IReadOnlyList<CampaignMinute> PerMinute,
    CampaignResults Results)
{
    /// <summary>Counted clicks on the campaign's short links (link-preview bots and HEAD requests are not counted).</summary>
    public long Clicks { get; init; }

    /// <summary>Messages clicked at least once (unique clicks).</summary>
    public long ClickedMessages { get; init; }

    /// <summary>Clicked messages per delivered message; null before any was delivered.</summary>
    public double? ClickRate { get; init; }
}

internal sealed partial class CampaignService(ICampaignStore store, ISegmentService segments, IMessageIntake intake, IMessageTemplates templates,
    IDltTemplateStore dltTemplates, ILinkStore links, IOptions<CampaignOptions> options, TimeProvider time) : ICampaigns
{
    /// <summary>The most numbers one test send takes.</summary>
    public const int MaxTestNumbers = 10;

    private static readonly string[] Finished = ["delivered", "failed", "undelivered", "rejected", "expired"];

    public async Task<CampaignResult> CreateAsync(CampaignDefinition definition, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = await ValidateAsync(definition, now, cancellationToken);
        if (errors.Count > 0)
        {
            return new CampaignResult(null, errors);
        }
        var record = new CampaignRecord
        {
            Id = Ids.NewId("cmp"), Name = definition.Name!.Trim(), Status = CampaignStatus.Draft, Definition = Serialize(definition), CreatedAt = now, UpdatedAt = now,
        };
        await store.CreateAsync(record, cancellationToken);
        return new CampaignResult(CampaignView.From(record));
    }

    public async Task<CampaignResult> UpdateAsync(string id, CampaignDefinition definition, CancellationToken cancellationToken)
    {
        var errors = await ValidateAsync(definition, time.GetUtcNow(), cancellationToken);
        if (errors.Count > 0)
        {
            return new CampaignResult(null, errors);
        }
        if (await store.UpdateAsync(id, definition.Name!.Trim(), Serialize(definition), [CampaignStatus.Draft], cancellationToken))
        {
            return new CampaignResult(await GetAsync(id, cancellationToken));
        }
        return await Refusal(id, "only a draft can be changed; this campaign is {0}. Cancel it and create a new one.", cancellationToken);
    }

    public async Task<CampaignView?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } record ? CampaignView.From(record) : null;

    public async Task<IReadOnlyList<CampaignView>> ListAsync(string? status, int limit, CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(status is null ? null : [status], limit, cancellationToken)).Select(CampaignView.From)];

    public async Task<CampaignResult> LaunchAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } record)
        {
            return new CampaignResult(null, NotFound: true);
        }
        if (record.Status != CampaignStatus.Draft)
        {
            return new CampaignResult(null, Conflict: $"The campaign is {record.Status}: only a draft can be launched.");
        }
        var definition = CampaignView.From(record).Definition;
        var now = time.GetUtcNow();
        var errors = definition.Validate(now);
        if (errors.Count > 0)
        {
            return new CampaignResult(null, errors);
        }
        var (audience, audienceErrors) = await AudienceAsync(definition, cancellationToken);
        if (audience is null)
        {
            return new CampaignResult(null, audienceErrors);
        }
        // The audience's members may have changed since the save: the DLT rule holds for the ones launch freezes.
        if (await DltRuleAsync(definition, cancellationToken) is { Count: > 0 } dlt)
        {
            return new CampaignResult(null, dlt);
        }
        var schedule = definition.Schedule;
        var startsLater = schedule?.At > now || schedule?.LocalTime is not null;
        var frozen = await store.LaunchAsync(id, audience, schedule?.At ?? now, schedule?.LocalTime is null ? null : schedule.LocalInstant,
            startsLater ? CampaignStatus.Scheduled : CampaignStatus.Running, CampaignExperiment.Assignment(id, definition, options.Value.GlobalControlPercent),
            cancellationToken);
        if (frozen is null)
        {
            return await Refusal(id, "The campaign is {0}: only a draft can be launched.", cancellationToken);
        }
        return new CampaignResult(await GetAsync(id, cancellationToken));
    }

    public async Task<CampaignResult> PauseAsync(string id, CancellationToken cancellationToken)
    {
        if (!await store.TransitionAsync(id, CampaignStatus.Active, CampaignStatus.Paused, "paused by request", cancellationToken))
        {
            return await Refusal(id, "The campaign is {0}: only a scheduled or running campaign can be paused.", cancellationToken);
        }
        await store.TakeBackAsync(id, cancel: false, cancellationToken);
        return new CampaignResult(await GetAsync(id, cancellationToken));
    }

    public async Task<CampaignResult> ResumeAsync(string id, CancellationToken cancellationToken) =>
        await store.TransitionAsync(id, [CampaignStatus.Paused], CampaignStatus.Running, null, cancellationToken)
            ? new CampaignResult(await GetAsync(id, cancellationToken))
            : await Refusal(id, "The campaign is {0}: only a paused campaign can be resumed.", cancellationToken);

    public async Task<CampaignResult> CancelAsync(string id, CancellationToken cancellationToken)
    {
        if (!await store.TransitionAsync(id, [CampaignStatus.Draft, CampaignStatus.Scheduled, CampaignStatus.Running, CampaignStatus.Paused],
            CampaignStatus.Cancelled, "cancelled by request", cancellationToken))
        {
            return await Refusal(id, "The campaign is {0} already.", cancellationToken);
        }
        await store.TakeBackAsync(id, cancel: true, cancellationToken);
        return new CampaignResult(await GetAsync(id, cancellationToken));
    }

    public async Task<CampaignTestResult> TestAsync(string id, IReadOnlyList<string> numbers, CancellationToken cancellationToken)
    {
        if (await GetAsync(id, cancellationToken) is not { } campaign)
        {
            return new CampaignTestResult([], NotFound: true);
        }
        if (numbers.Count is 0 or > MaxTestNumbers)
        {
            return new CampaignTestResult([], new Dictionary<string, string[]> { ["numbers"] = [$"List 1 to {MaxTestNumbers} numbers to send the test to."] });
        }
        var definition = campaign.Definition;
        var lookups = new IntakeLookups();
        var prepared = new List<PreparedMessage>();
        var errors = new Dictionary<string, string[]>();
        // With A/B variants each number gets every variant, so the marketer sees them all.
        foreach (var (i, variant) in numbers.Index().SelectMany(n => definition.EffectiveVariants.Select(v => (n.Index, v))))
        {
            var text = variant.Body is null ? null
                : await templates.RenderAsync(variant.Body, CampaignMessages.Model(new CampaignRecipient(0, "", numbers[i], null, "{}", null, 0)), cancellationToken);
            if (text?.SkipReason is { } reason)
            {
                errors["body"] = [reason];
                break;
            }
            var result = await intake.PrepareAsync(new MessageSubmission
            {
                To = numbers[i], ToField = $"numbers[{i}]", Body = text?.Text, Type = definition.EffectiveType, Sender = definition.Sender,
                Provider = definition.Provider, ProviderGroup = definition.ProviderGroup, TemplateId = variant.TemplateId ?? definition.TemplateId, Source = "campaign-test",
                Policy = definition.Policy?.ToOverrides(),
                FirstNote = $"a test of campaign {campaign.Id} ({campaign.Name})",
            }, IntakeMode.Queue, lookups, cancellationToken);
            if (result.Errors is { } refused)
            {
                foreach (var (field, messages) in refused)
                {
                    errors[field] = messages;
                }
                continue;
            }
            prepared.Add(result.Prepared!);
        }
        if (errors.Count > 0)
        {
            return new CampaignTestResult([], errors);
        }
        await intake.SubmitAsync(prepared, null, cancellationToken);
        return new CampaignTestResult([.. prepared.Select(p => new CampaignTestMessage(p.Message.To, p.Message.Id))]);
    }

    public async Task<CampaignReport?> ReportAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } record)
        {
            return null;
        }
        var campaign = CampaignView.From(record);
        var counts = await store.CountsAsync(id, cancellationToken);
        var (p50, p95) = await store.DeliveryLatencyAsync(id, cancellationToken);
        var finished = Finished.Sum(s => counts.Messages.GetValueOrDefault(s));
        var definition = campaign.Definition;
        var results = await store.ResultsAsync(id, definition.Goal?.Event, definition.Goal?.Window ?? TimeSpan.Zero, cancellationToken);
        var clicks = await links.CampaignClicksAsync(id, cancellationToken);
        var delivered = counts.Messages.GetValueOrDefault("delivered");
        return new CampaignReport(campaign, campaign.AudienceCount, counts.Recipients, counts.Skipped, counts.Messages, counts.Failures, counts.Deferred,
            finished == 0 ? null : Math.Round((double)delivered / finished, 4), p50, p95,
            await store.MinutesAsync(id, cancellationToken), CampaignResults.From(definition, record, results))
        {
            Clicks = clicks.Clicks, ClickedMessages = clicks.ClickedMessages,
            ClickRate = delivered == 0 ? null : Math.Round((double)clicks.ClickedMessages / delivered, 4),
        };
    }

    public async Task<IReadOnlyList<CampaignRecipientRow>?> RecipientsAsync(string id, string? status, string? reason, long after, int limit, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is null ? null : await store.RecipientsAsync(id, status, reason, after, limit, cancellationToken);

    private async Task<CampaignResult> Refusal(string id, string conflict, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } record
            ? new CampaignResult(null, Conflict: string.Format(System.Globalization.CultureInfo.InvariantCulture, conflict, record.Status))
            : new CampaignResult(null, NotFound: true);

    /// <summary>The definition's own rules, a body that Liquid can parse (refused at save with its line and column), and the DLT rule.</summary>
    private async Task<Dictionary<string, string[]>> ValidateAsync(CampaignDefinition definition, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var errors = definition.Validate(now);
        if (!string.IsNullOrEmpty(definition.Body) && templates.Check(definition.Body) is { } error)
        {
            errors["body"] = [$"The message does not parse as Liquid at line {error.Line}, column {error.Column}: {error.Message}"];
        }
        foreach (var (i, variant) in (definition.Variants ?? []).Index())
        {
            if (!string.IsNullOrEmpty(variant?.Body) && templates.Check(variant.Body) is { } wrong)
            {
                errors[$"variants[{i}].body"] = [$"Variant {definition.VariantName(i)} does not parse as Liquid at line {wrong.Line}, column {wrong.Column}: {wrong.Message}"];
            }
        }
        if (errors.Count == 0)
        {
            foreach (var (field, messages) in await DltRuleAsync(definition, cancellationToken))
            {
                errors[field] = messages;
            }
        }
        return errors;
    }

    private static string Serialize(CampaignDefinition definition) => JsonSerializer.Serialize(definition, HeraldJson.Options);
}
