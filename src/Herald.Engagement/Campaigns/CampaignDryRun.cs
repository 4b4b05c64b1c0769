using Herald.Dispatch.Intake;
using Herald.Engagement.Dlt;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Campaigns;

/// <summary>
/// What a campaign would do if it were launched now, without sending anything or changing any state: every audience member
/// goes through the runner's own steps (render, the one way in, the one send-path policy) and is counted, not stored.
/// </summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Audience">Contacts in the audience now (what launch would freeze).</param>
/// <param name="Evaluated">How many of them were evaluated (all, unless the audience is above <c>Herald:Campaigns:DryRunLimit</c>: then the first by id).</param>
/// <param name="WouldSend">Messages that would be made: sent now or deferred.</param>
/// <param name="WouldSendNow">Of those, the ones that could go right away.</param>
/// <param name="Deferred">Deferred messages by reason: <c>legal-window</c> (outside the country's legal hours), <c>quiet-hours</c>.</param>
/// <param name="Skipped">Recipients who would get nothing, by the reason code the runner records (every code listed, 0 when none).</param>
/// <param name="Segments">SMS segments of the messages that would be made.</param>
/// <param name="Encodings">Those messages by encoding (gsm7, ucs2).</param>
/// <param name="EstimatedCost">Segments times the price per segment of each message's provider; null when no price is configured.</param>
/// <param name="Samples">Up to 5 rendered messages, first audience members first.</param>
/// <param name="EvaluatedAt">The instant the policy was evaluated at (legal hours, quiet hours and caps are as of then).</param>
public sealed record CampaignDryRun(
    string CampaignId,
    long Audience,
    long Evaluated,
    long WouldSend,
    long WouldSendNow,
    IReadOnlyDictionary<string, long> Deferred,
    IReadOnlyDictionary<string, long> Skipped,
    long Segments,
    IReadOnlyDictionary<string, long> Encodings,
    CampaignCost? EstimatedCost,
    IReadOnlyList<CampaignSample> Samples,
    DateTimeOffset EvaluatedAt);

/// <summary>An estimated cost.</summary>
/// <param name="Amount">The sum over priced providers.</param>
/// <param name="Currency">The currency of the prices (<c>Herald:Campaigns:Currency</c>).</param>
/// <param name="UnpricedSegments">Segments that go through a provider without a configured price (not in <see cref="Amount"/>).</param>
public sealed record CampaignCost(decimal Amount, string? Currency, long UnpricedSegments);

/// <summary>One recipient's message as the campaign would make it.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="To">The number.</param>
/// <param name="Body">The rendered text (null when it does not render).</param>
/// <param name="Segments">SMS segments.</param>
/// <param name="Encoding">gsm7 or ucs2.</param>
/// <param name="Provider">The provider it would go through first.</param>
/// <param name="Outcome"><c>send</c>, <c>deferred</c> or <c>skipped</c>.</param>
/// <param name="Reason">The reason code when deferred or skipped.</param>
/// <param name="Note">What exactly stood in the way, for a person.</param>
public sealed record CampaignSample(string ContactId, string To, string? Body, int Segments, string? Encoding, string? Provider, string Outcome, string? Reason,
    string? Note);

/// <summary>The campaign's message for one contact (the wizard's per-contact preview).</summary>
/// <param name="Sample">The rendered message and what the policy would do with it; null when the contact has no number or does not exist.</param>
/// <param name="Dlt">The DLT check of the body against its template at save: null when the campaign names no template.</param>
/// <param name="Contacts">The first audience members, to pick another one.</param>
public sealed record CampaignPreview(CampaignSample? Sample, DltBodyCheck? Dlt, IReadOnlyList<CampaignPreviewContact> Contacts);

/// <summary>An audience member to preview.</summary>
public sealed record CampaignPreviewContact(string Id, string Phone);

/// <summary>The answer of a dry run or preview: the answer, or what is wrong.</summary>
/// <param name="Value">The answer.</param>
/// <param name="Errors">What to fix, by field (400).</param>
/// <param name="NotFound">No such campaign (404).</param>
public sealed record CampaignAnswer<T>(T? Value, IReadOnlyDictionary<string, string[]>? Errors = null, bool NotFound = false) where T : class;

internal sealed partial class CampaignService
{
    /// <summary>The reason codes a recipient can be skipped with, in the order the policy applies them.</summary>
    internal static readonly string[] SkipReasons =
        ["suppressed", "no-consent", "dlt-mismatch", "quiet-hours", "frequency-cap", "duplicate-number", "render-error", "invalid-number"];

    /// <summary>The reason codes a message can be deferred with.</summary>
    internal static readonly string[] DeferReasons = ["legal-window", "quiet-hours"];

    private const int SampleCount = 5;

    public async Task<CampaignAnswer<CampaignDryRun>> DryRunAsync(string id, CancellationToken cancellationToken)
    {
        if (await GetAsync(id, cancellationToken) is not { } campaign)
        {
            return new(null, NotFound: true);
        }
        var definition = campaign.Definition;
        var (audience, errors) = await AudienceAsync(definition, cancellationToken);
        if (audience is null)
        {
            return new(null, errors);
        }
        var now = time.GetUtcNow();
        var limit = options.Value.DryRunLimit;
        var size = await store.CountAudienceAsync(audience, null, cancellationToken);
        var skipped = SkipReasons.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        var deferred = DeferReasons.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        var encodings = new Dictionary<string, long>(StringComparer.Ordinal);
        var samples = new List<CampaignSample>(SampleCount);
        var unmadeSamples = new List<CampaignSample>(SampleCount);
        long evaluated = 0, wouldSend = 0, sendNow = 0, segments = 0, unpriced = 0;
        decimal amount = 0;
        var prices = Prices();
        // Listed ids that repeat would reach the same number again: launch freezes each contact once, so they are skipped.
        if (definition.ContactIds is { } listed)
        {
            skipped["duplicate-number"] = listed.Count - listed.Distinct(StringComparer.Ordinal).Count();
        }
        var lookups = new IntakeLookups();
        string? after = null;
        while (evaluated < limit)
        {
            var page = await store.AudienceAsync(audience, after, (int)Math.Min(options.Value.ChunkSize, limit - evaluated), cancellationToken);
            if (page.Count == 0)
            {
                break;
            }
            after = page[^1].ContactId;
            evaluated += page.Count;
            var (made, refusal) = await CampaignMessages.MakeAsync(intake, templates, campaign.Id, definition, page, lookups, cancellationToken);
            if (refusal is not null)
            {
                return new(null, Refused(refusal));
            }
            foreach (var result in made)
            {
                var sample = Sample(result);
                switch (result)
                {
                    case RecipientMessage.Unmade unmade:
                        Count(skipped, Code(unmade.Reason));
                        if (unmadeSamples.Count < SampleCount)
                        {
                            unmadeSamples.Add(sample);
                        }
                        continue;
                    case RecipientMessage.Made { Message: var message }:
                        if (samples.Count < SampleCount)
                        {
                            samples.Add(sample);
                        }
                        switch (message.Decision)
                        {
                            case PolicyDecision.Skip skip:
                                Count(skipped, skip.Reason);
                                continue;
                            case PolicyDecision.Defer defer:
                                Count(deferred, defer.Reason);
                                break;
                            default:
                                sendNow++;
                                break;
                        }
                        wouldSend++;
                        segments += message.Dispatch.Segments;
                        Count(encodings, message.Dispatch.Encoding, 1);
                        if (prices is not null)
                        {
                            if (message.Provider is { } provider && (prices.GetValueOrDefault(provider.Id) ?? prices.GetValueOrDefault(provider.Nickname)) is { } price)
                            {
                                amount += price * message.Dispatch.Segments;
                            }
                            else
                            {
                                unpriced += message.Dispatch.Segments;
                            }
                        }
                        break;
                }
            }
        }
        samples.AddRange(unmadeSamples.Take(SampleCount - samples.Count));
        return new(new CampaignDryRun(campaign.Id, size, evaluated, wouldSend, sendNow, deferred, skipped, segments, encodings,
            prices is null ? null : new CampaignCost(amount, options.Value.Currency, unpriced), samples, now));
    }

    public async Task<CampaignAnswer<CampaignPreview>> PreviewAsync(string id, string? contactId, CancellationToken cancellationToken)
    {
        if (await GetAsync(id, cancellationToken) is not { } campaign)
        {
            return new(null, NotFound: true);
        }
        var definition = campaign.Definition;
        var (audience, errors) = await AudienceAsync(definition, cancellationToken);
        if (audience is null)
        {
            return new(null, errors);
        }
        var first = await store.AudienceAsync(audience, null, 20, cancellationToken);
        var who = string.IsNullOrWhiteSpace(contactId) ? first.Take(1).ToList()
            : await store.AudienceAsync(new CampaignAudience.Contacts([contactId.Trim()]), null, 1, cancellationToken);
        CampaignSample? sample = null;
        if (who.Count > 0)
        {
            var (made, refusal) = await CampaignMessages.MakeAsync(intake, templates, campaign.Id, definition, who, new IntakeLookups(), cancellationToken);
            if (refusal is not null)
            {
                return new(null, Refused(refusal));
            }
            sample = Sample(made[0]);
        }
        DltBodyCheck? dlt = null;
        if (definition.TemplateId is { } templateId && definition.Body is { } body)
        {
            dlt = await dltTemplates.GetAsync(templateId, cancellationToken) is { } template
                ? DltCheck.AtSave(template, body) is { } difference ? new DltBodyCheck(false, difference) : new DltBodyCheck(true, null)
                : new DltBodyCheck(false, $"no DLT template {templateId} is registered");
        }
        return new(new CampaignPreview(sample, dlt, [.. first.Select(c => new CampaignPreviewContact(c.ContactId, c.Phone))]));
    }

    /// <summary>
    /// The DLT rule (issue 12 §4): a campaign that names a template must name a registered one, its body must be able to produce
    /// only the registered text, and its sender must be the registered header; one without a template may not reach +91
    /// numbers. Checked at save and again at launch (a segment's members change in between; launch freezes them).
    /// </summary>
    private async Task<Dictionary<string, string[]>> DltRuleAsync(CampaignDefinition definition, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var variants = definition.EffectiveVariants;
        var withoutTemplate = false;
        foreach (var (i, variant) in variants.Index())
        {
            // Each body is checked against the template it is sent under: its variant's own, or the campaign's.
            var templateId = variant.TemplateId ?? definition.TemplateId;
            if (string.IsNullOrWhiteSpace(templateId))
            {
                withoutTemplate = true;
                continue;
            }
            var prefix = definition.Variants is { Count: > 0 } ? $"variants[{i}]." : "";
            if (await dltTemplates.GetAsync(templateId, cancellationToken) is not { } template)
            {
                errors[variant.TemplateId is null ? "templateId" : prefix + "templateId"] =
                    [$"No DLT template {templateId} is registered: register it first (POST /api/v1/dlt/templates, or the DLT templates page)."];
                continue;
            }
            if (!string.IsNullOrEmpty(variant.Body) && DltCheck.AtSave(template, variant.Body) is { } difference)
            {
                errors[prefix + "body"] = [$"The message cannot be sent under DLT template {template.TemplateId}: {difference}."];
            }
            if (!string.IsNullOrWhiteSpace(definition.Sender) && !DltCheck.SameHeader(definition.Sender, template.Header))
            {
                errors["sender"] = [$"The sender {definition.Sender} is not the header {template.Header} registered for DLT template {template.TemplateId}: use {template.Header}, or leave the sender out."];
            }
        }
        if (errors.Count > 0 || !withoutTemplate)
        {
            return errors;
        }
        if ((await AudienceAsync(definition, cancellationToken)).Audience is { } audience
            && await store.CountAudienceAsync(audience, "+91", cancellationToken) is > 0 and var indian)
        {
            errors["templateId"] = [$"{indian:N0} contact(s) in the audience have +91 numbers, and messages to India must use a registered DLT template: name it in templateId (or leave those contacts out)."];
        }
        return errors;
    }

    /// <summary>The campaign's audience, as launch resolves it; or why it cannot be resolved.</summary>
    private async Task<(CampaignAudience? Audience, IReadOnlyDictionary<string, string[]>? Errors)> AudienceAsync(CampaignDefinition definition,
        CancellationToken cancellationToken)
    {
        if (definition.SegmentId is { } segmentId)
        {
            var (filter, ruleErrors) = await segments.FilterAsync(segmentId, cancellationToken);
            if (ruleErrors is not null)
            {
                return (null, ruleErrors);
            }
            return filter is null
                ? (null, new Dictionary<string, string[]> { ["segmentId"] = [$"There is no segment '{segmentId}'."] })
                : (new CampaignAudience.Segment(filter), null);
        }
        return (definition.ContactIds is { } ids ? new CampaignAudience.Contacts(ids) : new CampaignAudience.Everyone(), null);
    }

    private static Dictionary<string, string[]> Refused(string refusal)
    {
        var colon = refusal.IndexOf(':', StringComparison.Ordinal);
        return new() { [refusal[..colon]] = [$"Every message of this campaign would be refused: {refusal[(colon + 2)..]}"] };
    }

    private static CampaignSample Sample(RecipientMessage result) => result switch
    {
        RecipientMessage.Made { Message: var m } => new CampaignSample(result.Recipient.ContactId, m.Message.To, m.Message.Body, m.Dispatch.Segments, m.Dispatch.Encoding,
            m.Provider?.Nickname, m.Decision switch { PolicyDecision.Skip => "skipped", PolicyDecision.Defer => "deferred", _ => "send" },
            m.Decision switch { PolicyDecision.Skip s => s.Reason, PolicyDecision.Defer d => d.Reason, _ => null },
            m.Decision switch { PolicyDecision.Skip s => s.Note, PolicyDecision.Defer d => $"{d.Note}; it would wait until {d.Until:yyyy-MM-dd HH:mm} UTC", _ => null }),
        RecipientMessage.Unmade u => new CampaignSample(u.Recipient.ContactId, u.Recipient.Phone, null, 0, null, null, "skipped", Code(u.Reason), u.Reason),
        _ => throw new InvalidOperationException("unknown recipient message"),
    };

    /// <summary>The code of a reason written as <c>code: detail</c>.</summary>
    private static string Code(string reason) => reason.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? reason[..colon] : reason;

    private static void Count(Dictionary<string, long> counts, string key, long by = 1) => counts[key] = counts.GetValueOrDefault(key) + by;

    /// <summary>The configured prices per segment by provider id or nickname (case-insensitive), or null when none are configured.</summary>
    private Dictionary<string, decimal?>? Prices() => options.Value.Pricing is { Count: > 0 } pricing
        ? pricing.ToDictionary(p => p.Key, p => (decimal?)p.Value, StringComparer.OrdinalIgnoreCase)
        : null;
}
