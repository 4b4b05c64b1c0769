using Herald.Dispatch.Intake;
using Herald.Engagement.Templates;
using Herald.Storage.Records;

namespace Herald.Engagement.Campaigns;

/// <summary>What a campaign makes of one recipient: a message the policy let through (now or deferred), or a skip with its reason.</summary>
internal abstract record RecipientMessage(CampaignRecipient Recipient)
{
    /// <summary>A message, checked by the one way in and decided by the send-path policy (allowed, deferred or skipped there).</summary>
    public sealed record Made(CampaignRecipient Recipient, PreparedMessage Message) : RecipientMessage(Recipient);

    /// <summary>No message: the body did not render (<c>render-error: …</c>) or the number was refused (<c>invalid-number: …</c>).</summary>
    public sealed record Unmade(CampaignRecipient Recipient, string Reason) : RecipientMessage(Recipient);
}

/// <summary>
/// How a campaign turns recipients into messages, for the runner and the dry run alike: render the Liquid body for each,
/// check the message through the one way in, then run the one send-path policy over the chunk in order. Nothing is stored.
/// </summary>
internal static class CampaignMessages
{
    /// <summary>
    /// The recipients' messages in order, or a refusal that is not a recipient's fault (a missing sender, an unknown provider:
    /// every recipient would be refused the same way) as <c>field: message</c>.
    /// </summary>
    public static async Task<(IReadOnlyList<RecipientMessage> Messages, string? Refusal)> MakeAsync(IMessageIntake intake, IMessageTemplates templates,
        string campaignId, CampaignDefinition definition, IReadOnlyList<CampaignRecipient> recipients, IntakeLookups lookups, CancellationToken cancellationToken)
    {
        var results = new RecipientMessage?[recipients.Count];
        var prepared = new List<PreparedMessage>(recipients.Count);
        var positions = new List<int>(recipients.Count);
        var overrides = definition.Policy?.ToOverrides();
        var variants = definition.EffectiveVariants;
        for (var i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            var variant = variants[Math.Clamp(recipient.Variant, 0, variants.Count - 1)];
            var text = variant.Body is null ? null : await templates.RenderAsync(variant.Body, Model(recipient), cancellationToken);
            if (text?.SkipReason is { } skip)
            {
                results[i] = new RecipientMessage.Unmade(recipient, skip);
                continue;
            }
            var result = await intake.PrepareAsync(new MessageSubmission
            {
                To = recipient.Phone, Body = text?.Text, Type = definition.EffectiveType, Sender = definition.Sender, Provider = definition.Provider,
                ProviderGroup = definition.ProviderGroup, TemplateId = variant.TemplateId ?? definition.TemplateId, CampaignId = campaignId, Source = "campaign", Policy = overrides,
            }, IntakeMode.Queue, lookups, cancellationToken);
            if (result.Prepared is not { } message)
            {
                var (field, errors) = result.Errors!.First();
                if (field != "to")
                {
                    return ([], $"{field}: {errors.FirstOrDefault()}");
                }
                results[i] = new RecipientMessage.Unmade(recipient, $"invalid-number: {errors.FirstOrDefault()}");
                continue;
            }
            prepared.Add(message);
            positions.Add(i);
        }
        // The one send-path policy, for the whole chunk in order (suppression, consent, DLT, legal hours, quiet hours, caps).
        var decided = await intake.CheckPolicyAsync(prepared, cancellationToken);
        for (var k = 0; k < decided.Count; k++)
        {
            results[positions[k]] = new RecipientMessage.Made(recipients[positions[k]], decided[k]);
        }
        return ([.. results.Select(r => r!)], null);
    }

    /// <summary>What a body's Liquid sees of a recipient.</summary>
    public static TemplateModel Model(CampaignRecipient recipient) =>
        new(new ContactModel(recipient.Phone, recipient.Attributes) { Id = recipient.ContactId, TimeZone = recipient.Timezone, Locale = recipient.Locale });
}
