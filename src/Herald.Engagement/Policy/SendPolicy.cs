using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core;
using Herald.Dispatch.Intake;
using Herald.Engagement.Campaigns;
using Herald.Engagement.Dlt;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Policy;

/// <summary>
/// The send-path policy (issue 12 §6), in order: 1. the suppression list; 2. consent for the message's category; 3. DLT for
/// +91 recipients of a message that names a registered template (a campaign's must); 4. the legal window (deferred); 5. quiet hours; 6. rolling
/// frequency caps on <c>mkt</c>. OTP and txn messages skip 5 and 6. The provider's rate limit (7) is the dispatcher's.
/// Each list is decided with one query per table, whatever its length. A campaign message is judged by its campaign's own
/// caps and quiet hours at submission and, read again from the campaign store, at dispatch.
/// </summary>
internal sealed class SendPolicy(IPolicyStore store, IDltTemplateStore templates, IOptions<PolicyOptions> options, TimeProvider time,
    ICampaignStore? campaigns = null) : ISendPolicy
{
    public async Task<IReadOnlyList<PolicyDecision>> CheckAsync(IReadOnlyList<PolicyCheck> checks, PolicyStage stage, CancellationToken cancellationToken)
    {
        var messages = stage == PolicyStage.Dispatch && campaigns is not null ? await WithCampaignOverridesAsync(campaigns, checks, cancellationToken) : checks;
        var settings = options.Value;
        var now = time.GetUtcNow();
        var decisions = new PolicyDecision[messages.Count];
        var toCheck = new List<int>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            // At dispatch, a message claimed right after it was checked at submission goes as decided then: only one that
            // waited (deferred, retried, queued behind a campaign) is checked again.
            if (stage == PolicyStage.Dispatch && now - messages[i].Message.CreatedAt < settings.RecheckAfter)
            {
                decisions[i] = PolicyDecision.Allowed;
            }
            else
            {
                toCheck.Add(i);
            }
        }
        if (toCheck.Count == 0)
        {
            return decisions;
        }
        var phones = toCheck.Select(i => messages[i].Message.To).Distinct(StringComparer.Ordinal).ToList();
        var suppressions = await store.SuppressionsAsync(phones, cancellationToken);
        // Contacts matter for consent and the recipient's time zone: not for a plain OTP or txn message (the hot path).
        var contactPhones = toCheck.Select(i => messages[i].Message)
            .Where(m => m.Type is not (MessageTypes.Otp or MessageTypes.Transactional) || !string.IsNullOrWhiteSpace(m.TemplateId))
            .Select(m => m.To).Distinct(StringComparer.Ordinal).ToList();
        var contacts = contactPhones.Count == 0 ? new Dictionary<string, PolicyContact>() : await store.ContactsAsync(contactPhones, cancellationToken);
        var templateIds = toCheck.Select(i => messages[i].Message).Where(m => IsIndian(m.To) && !string.IsNullOrWhiteSpace(m.TemplateId))
            .Select(m => m.TemplateId!).Distinct(StringComparer.Ordinal).ToList();
        var registered = templateIds.Count == 0 ? new Dictionary<string, DltTemplateRecord>() : await templates.FindManyAsync(templateIds, cancellationToken);
        var marketing = toCheck.Where(i => messages[i].Message.Type == MessageTypes.Marketing).ToList();
        var counted = new List<CountedMessage>();
        if (marketing.Count > 0)
        {
            var longest = marketing.SelectMany(i => Caps(messages[i], settings)).Select(c => c.Window).DefaultIfEmpty(TimeSpan.Zero).Max();
            if (longest > TimeSpan.Zero)
            {
                // The messages decided here (stored when re-checked at dispatch) are counted in order below, not from the table;
                // the rest of a claim (let through without a new check) counts from the table.
                var own = toCheck.Select(i => messages[i].Message.Id).ToHashSet(StringComparer.Ordinal);
                counted.AddRange((await store.RecentAsync(marketing.Select(i => messages[i].Message.To).Distinct().ToList(), MessageTypes.Marketing, now - longest, cancellationToken))
                    .Where(c => !own.Contains(c.Id)));
            }
        }
        foreach (var i in toCheck)
        {
            var check = messages[i];
            var decision = Decide(check, stage, now, settings, suppressions.GetValueOrDefault(check.Message.To), contacts.GetValueOrDefault(check.Message.To),
                check.Message.TemplateId is { } id && IsIndian(check.Message.To) ? registered.GetValueOrDefault(id) : null, counted);
            decisions[i] = decision;
            if (check.Message.Type == MessageTypes.Marketing)
            {
                switch (decision)
                {
                    case PolicyDecision.Allow:
                        counted.Add(new CountedMessage(check.Message.Id, check.Message.To, now));
                        break;
                    case PolicyDecision.Defer defer:
                        counted.Add(new CountedMessage(check.Message.Id, check.Message.To, defer.Until));
                        break;
                }
            }
        }
        return decisions;
    }

    /// <summary>
    /// At dispatch a message comes from the queue without its path's overrides: a campaign's message gets its campaign's own
    /// caps and quiet hours again (read from the campaign, one query per campaign in the claim), as it had at submission.
    /// </summary>
    private static async Task<IReadOnlyList<PolicyCheck>> WithCampaignOverridesAsync(ICampaignStore campaigns, IReadOnlyList<PolicyCheck> checks,
        CancellationToken cancellationToken)
    {
        var ids = checks.Where(c => c.Overrides is null && c.Message.CampaignId is not null).Select(c => c.Message.CampaignId!).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return checks;
        }
        var overrides = new Dictionary<string, PolicyOverrides>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (await campaigns.GetAsync(id, cancellationToken) is { } campaign
                && System.Text.Json.JsonSerializer.Deserialize<CampaignDefinition>(campaign.Definition, HeraldJson.Options)?.Policy is { } policy)
            {
                overrides[id] = policy.ToOverrides();
            }
        }
        return overrides.Count == 0 ? checks
            : [.. checks.Select(c => c.Overrides is null && c.Message.CampaignId is { } id && overrides.TryGetValue(id, out var o) ? c with { Overrides = o } : c)];
    }

    private static PolicyDecision Decide(PolicyCheck check, PolicyStage stage, DateTimeOffset now, PolicyOptions settings, SuppressionEntry? suppression,
        PolicyContact? contact, DltTemplateRecord? template, List<CountedMessage> counted)
    {
        var message = check.Message;
        var category = CategoryOf(message, template);
        var consentCategory = MessageCategories.ConsentCategory(category);

        // 1. The suppression list: a number on it stays off, contact or not.
        if (suppression is not null && suppression.Covers(consentCategory))
        {
            return new PolicyDecision.Skip("suppressed",
                $"{message.To} is on the suppression list ({suppression.Reason}, since {suppression.Since:yyyy-MM-dd HH:mm} UTC) for {string.Join(", ", suppression.Categories)} messages; this one is {category}");
        }

        // 2. Consent: promotional needs promotional consent, service-explicit needs service consent; transactional none.
        if (category is MessageCategories.Promotional or MessageCategories.ServiceExplicit)
        {
            if (contact is null)
            {
                if (!(category == MessageCategories.Promotional && settings.PromotionalWithoutContact))
                {
                    return new PolicyDecision.Skip("no-consent",
                        $"{message.To} is not a contact, so no {consentCategory} consent is on record: add it with POST /api/v1/contacts and consent.{consentCategory} = true");
                }
            }
            else if (!contact.Consents.TryGetValue(consentCategory, out var granted) || !granted)
            {
                return new PolicyDecision.Skip("no-consent", contact.Consents.ContainsKey(consentCategory)
                    ? $"contact {contact.Id} refused or withdrew {consentCategory} consent"
                    : $"contact {contact.Id} has no {consentCategory} consent on record");
            }
        }

        // 3. DLT, for Indian numbers when the message names a registered template. A campaign's message to an Indian number
        // needs one: operators block unregistered content, so sending would only pay for a guaranteed failure.
        if (template is null && message.Source == "campaign" && IsIndian(message.To))
        {
            return new PolicyDecision.Skip("dlt-mismatch", string.IsNullOrWhiteSpace(message.TemplateId)
                ? "a campaign to +91 numbers needs a DLT template: set the campaign's templateId to one registered with POST /api/v1/dlt/templates"
                : $"DLT template {message.TemplateId} is not registered: register it with POST /api/v1/dlt/templates, or use one that is");
        }
        IReadOnlyDictionary<string, string>? fields = null;
        string? header = null;
        if (template is not null)
        {
            if (DltCheck.AtSend(template, message.Body, message.Sender) is { } mismatch)
            {
                return new PolicyDecision.Skip("dlt-mismatch", mismatch);
            }
            fields = new Dictionary<string, string> { ["EntityId"] = template.EntityId, ["Header"] = template.Header };
            header = template.Header;
        }

        // 4. The legal window of the country and category: deferred to the next allowed minute.
        var region = PhoneNumber.FromStoredE164(message.To).RegionCode;
        var zone = SendWindows.ZoneOf(message.To, contact?.TimeZone);
        if (SendWindows.LegalWindow(region, category, zone) is { } window && SendWindows.NextOpen(now, window.Zone, window.Start, window.End) is { } opens)
        {
            return new PolicyDecision.Defer(opens, "legal-window", $"{window.Rule}; it is {TimeZoneInfo.ConvertTime(now, window.Zone):HH:mm} there");
        }

        if (message.Type is MessageTypes.Otp or MessageTypes.Transactional)
        {
            return Allowed(stage, fields, header);
        }

        // 5. Quiet hours in the recipient's time zone (the campaign's, else the server's; none by default).
        var quiet = check.Overrides?.QuietHours ?? settings.ParsedQuietHours;
        if (quiet is { } hours && SendWindows.NextOpen(now, zone, hours.End, hours.Start) is { } quietEnds)
        {
            var note = $"quiet hours {hours.Start:HH\\:mm}-{hours.End:HH\\:mm} in {zone.Id}; it is {TimeZoneInfo.ConvertTime(now, zone):HH:mm} there";
            return (check.Overrides?.DropInQuietHours ?? settings.DropInQuietHours)
                ? new PolicyDecision.Skip("quiet-hours", note)
                : new PolicyDecision.Defer(quietEnds, "quiet-hours", note);
        }

        // 6. Rolling frequency caps on promotional (mkt) messages.
        if (message.Type == MessageTypes.Marketing)
        {
            foreach (var cap in Caps(check, settings))
            {
                var since = now - cap.Window;
                var sent = counted.Count(c => c.To == message.To && c.At > since);
                if (sent >= cap.Count)
                {
                    return new PolicyDecision.Skip("frequency-cap",
                        $"{sent} mkt message(s) to {message.To} within {Describe(cap.Window)} (sent or due): the cap is {cap.Count} per {Describe(cap.Window)}");
                }
            }
        }
        return Allowed(stage, fields, header);
    }

    private static PolicyDecision Allowed(PolicyStage stage, IReadOnlyDictionary<string, string>? fields, string? header) =>
        stage == PolicyStage.Intake && fields is not null ? new PolicyDecision.Allow(fields, header) : PolicyDecision.Allowed;

    private static IEnumerable<(int Count, TimeSpan Window)> Caps(PolicyCheck check, PolicyOptions settings) =>
        check.Overrides?.FrequencyCaps ?? settings.FrequencyCaps.Select(c => (c.Count, c.Window));

    /// <summary>
    /// A message's category: promotional when its type is mkt or its DLT template is promotional (mixed content counts as
    /// promotional); else the template's category; else transactional for otp and txn, service-implicit for default.
    /// </summary>
    internal static string CategoryOf(MessageRecord message, DltTemplateRecord? template)
    {
        if (message.Type == MessageTypes.Marketing || template?.Category == MessageCategories.Promotional)
        {
            return MessageCategories.Promotional;
        }
        if (template is not null)
        {
            return template.Category;
        }
        return message.Type is MessageTypes.Otp or MessageTypes.Transactional ? MessageCategories.Transactional : MessageCategories.ServiceImplicit;
    }

    private static bool IsIndian(string e164) => e164.StartsWith("+91", StringComparison.Ordinal);

    private static string Describe(TimeSpan window) =>
        window.TotalHours >= 1 && window.TotalHours == Math.Floor(window.TotalHours) ? $"{window.TotalHours:0} h" : window.ToString();
}
