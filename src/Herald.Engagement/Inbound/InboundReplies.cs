using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Core;
using Herald.Core.Messaging;
using Herald.Dispatch.Intake;
using Herald.Engagement.Contacts;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Inbound;

/// <summary>An inbound message as a provider's format read it.</summary>
/// <param name="ProviderId">The provider whose inbound URL received it.</param>
/// <param name="From">The sender's number as the provider wrote it.</param>
/// <param name="To">The number or sender id it was sent to, if given.</param>
/// <param name="Text">The text.</param>
/// <param name="ProviderMessageId">The provider's id for it, if given (what makes a replay the same message).</param>
/// <param name="Raw">The record as received.</param>
public sealed record InboundText(string ProviderId, string From, string? To, string Text, string? ProviderMessageId, string Raw);

/// <summary>What Herald did with an inbound message.</summary>
/// <param name="Inbound">The stored inbound message with its outcome.</param>
/// <param name="Replay">Whether it had been received before (nothing was done again).</param>
public sealed record InboundOutcome(InboundRecord Inbound, bool Replay);

/// <summary>What an opt-out through the API did: the suppression, or why there is none.</summary>
/// <param name="Suppression">The entry.</param>
/// <param name="NotFound">No live contact has that id.</param>
/// <param name="Error">Why the contact cannot be suppressed (no phone number).</param>
public sealed record OptOutOutcome(SuppressionRecord? Suppression, bool NotFound = false, string? Error = null);

/// <summary>
/// Inbound replies: each is stored once (a provider's replay changes nothing), becomes a <c>replied</c> event on the contact and an
/// entry on the last message to that number, and its keyword acts: STOP suppresses promotional messages, START lifts an opt-out,
/// HELP answers with the help text; one confirmation per keyword event, through the same provider.
/// </summary>
public interface IInboundReplies
{
    /// <summary>Takes one inbound message.</summary>
    Task<InboundOutcome> ReceiveAsync(InboundText message, CancellationToken cancellationToken);

    /// <summary>Opts a contact out as a STOP would (no confirmation: the business did it, not the person).</summary>
    Task<OptOutOutcome> OptOutAsync(string contactId, string source, CancellationToken cancellationToken);
}

internal sealed partial class InboundReplies(
    IInboundStore inbound,
    IContactStore contacts,
    ISuppressionService suppressionService,
    ISuppressionStore suppressions,
    IEventStore events,
    IMessageStore messages,
    IMessageIntake intake,
    ContactRules rules,
    IOptions<InboundOptions> options,
    TimeProvider time,
    ILogger<InboundReplies> logger) : IInboundReplies
{
    private readonly InboundKeywords _keywords = new(options.Value);

    public async Task<InboundOutcome> ReceiveAsync(InboundText message, CancellationToken cancellationToken)
    {
        var dedupe = $"{message.ProviderId}:{(string.IsNullOrWhiteSpace(message.ProviderMessageId) ? Digest(message) : message.ProviderMessageId.Trim())}";
        if (await inbound.FindByDedupeKeyAsync(dedupe, cancellationToken) is { } seen)
        {
            return new InboundOutcome(seen, Replay: true);
        }
        var now = time.GetUtcNow();
        var phone = Phone(message.From);
        var keyword = _keywords.Read(message.Text);
        var contact = phone is null ? null : await contacts.FindByPhoneAsync(phone, cancellationToken);
        var lastMessage = phone is null ? null : await inbound.LastMessageToAsync(phone, cancellationToken);
        var record = new InboundRecord
        {
            Id = Ids.NewId("in"),
            ProviderId = message.ProviderId,
            DedupeKey = dedupe,
            From = phone ?? message.From,
            To = message.To,
            Text = message.Text,
            Keyword = keyword == InboundKeyword.None ? null : keyword.ToString().ToLowerInvariant(),
            MessageId = lastMessage,
            ContactId = contact?.Id,
            ReceivedAt = now,
            Raw = message.Raw,
        };

        // The actions first, the record last: a crash in between means the provider's retry does them again, and each is safe to
        // repeat (the suppression is an upsert, the event is deduplicated on its id, the confirmation on its idempotency key).
        var notes = new List<string>();
        if (phone is null)
        {
            notes.Add($"'{message.From}' is not a phone number: no keyword action, no reply");
        }
        else
        {
            notes.Add(await ActAsync(keyword, phone, contact, cancellationToken));
        }
        await events.IngestAsync([new EventWrite(new EventRecord
        {
            MessageId = "rpl_" + dedupe,
            ContactId = contact?.Id,
            Type = "track",
            Name = "replied",
            Properties = JsonSerializer.Serialize(new Dictionary<string, string?>
            {
                ["text"] = message.Text, ["keyword"] = record.Keyword, ["messageId"] = lastMessage, ["providerId"] = message.ProviderId, ["inboundId"] = record.Id,
            }),
            At = now,
            ReceivedAt = now,
        }, null)], cancellationToken);
        if (lastMessage is not null)
        {
            await messages.TransitionAsync(lastMessage, new StateChange
            {
                Source = "inbound", Event = "replied", Note = record.Keyword is { } k ? $"{k}: \"{Clip(message.Text)}\"" : $"\"{Clip(message.Text)}\"",
                Detail = JsonSerializer.Serialize(new Dictionary<string, string?> { ["inboundId"] = record.Id, ["from"] = record.From, ["text"] = message.Text }),
            }, cancellationToken);
        }
        string? replyId = null;
        if (phone is not null && ReplyText(keyword) is { Length: > 0 } text)
        {
            var (id, note) = await ReplyAsync(message, record, phone, keyword, text, cancellationToken);
            replyId = id;
            notes.Add(note);
        }
        record = record with { ReplyMessageId = replyId, Note = string.Join("; ", notes.Where(n => n.Length > 0)) };
        if (!await inbound.InsertAsync(record, cancellationToken))
        {
            // The same message arrived twice at once: the other request stored it (with the same reply, by its idempotency key).
            return new InboundOutcome(await inbound.FindByDedupeKeyAsync(dedupe, cancellationToken) ?? record, Replay: true);
        }
        LogReceived(record.Id, message.ProviderId, record.Keyword ?? "reply", record.Note);
        return new InboundOutcome(record, Replay: false);
    }

    public async Task<OptOutOutcome> OptOutAsync(string contactId, string source, CancellationToken cancellationToken)
    {
        var contact = await contacts.GetAsync(contactId, cancellationToken);
        if (contact is null)
        {
            return new OptOutOutcome(null, NotFound: true);
        }
        if (contact.Phone is null)
        {
            return new OptOutOutcome(null, Error: $"Contact {contactId} has no phone number (erased, or known only by externalId): there is nothing to suppress.");
        }
        var (entry, error) = await OptOutNumberAsync(contact.Phone, contact, source, cancellationToken);
        return new OptOutOutcome(entry, Error: error);
    }

    /// <summary>
    /// The one opt-out (a STOP, or the API's): the number goes on the suppression list with reason <c>opt-out</c> for the configured
    /// categories, and a contact with that number has its consent for them withdrawn.
    /// </summary>
    private async Task<(SuppressionRecord? Entry, string? Error)> OptOutNumberAsync(string phone, ContactRecord? contact, string source, CancellationToken cancellationToken)
    {
        var categories = options.Value.EffectiveOptOutCategories;
        var added = await suppressionService.AddAsync(phone, "opt-out", categories, source, cancellationToken);
        if (added.Suppression is not { } entry)
        {
            return (null, string.Join(" ", added.Errors!.Values));
        }
        await SetConsentAsync(contact, phone, granted: false, source, entry.UpdatedAt, cancellationToken);
        return (entry, null);
    }

    private async Task SetConsentAsync(ContactRecord? contact, string phone, bool granted, string source, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (contact is null)
        {
            return; // consent is kept on contacts; a number that is none has only its suppression entry
        }
        var categories = options.Value.EffectiveOptOutCategories.Contains("*") ? ContactRules.Categories : options.Value.EffectiveOptOutCategories;
        await contacts.UpsertAsync([new ContactChange { Phone = phone, Consents = [.. categories.Select(c => new ConsentRecord(c, granted, source, at))] }], cancellationToken);
    }

    /// <summary>The keyword's action on the suppression list; a note for the record.</summary>
    private async Task<string> ActAsync(InboundKeyword keyword, string phone, ContactRecord? contact, CancellationToken cancellationToken)
    {
        switch (keyword)
        {
            case InboundKeyword.Stop:
                var (entry, error) = await OptOutNumberAsync(phone, contact, "inbound", cancellationToken);
                return entry is not null ? $"suppressed for {(entry.Categories == "*" ? "all" : entry.Categories)} messages" : "not suppressed: " + error;
            case InboundKeyword.Start:
                var existing = await suppressions.FindAsync(phone, cancellationToken);
                if (existing is null)
                {
                    await SetConsentAsync(contact, phone, granted: true, "inbound", time.GetUtcNow(), cancellationToken);
                    return "resubscribed (the number was not suppressed)";
                }
                if (existing.Reason != "opt-out")
                {
                    // A person can take back their own opt-out, not a complaint, an invalid number or an operator's entry.
                    return $"still suppressed: the entry's reason is {existing.Reason}, which START does not lift";
                }
                await suppressions.DeleteAsync(phone, cancellationToken);
                await SetConsentAsync(contact, phone, granted: true, "inbound", time.GetUtcNow(), cancellationToken);
                return "resubscribed: the opt-out was lifted";
            case InboundKeyword.Help:
                return "help requested";
            default:
                return "";
        }
    }

    private string? ReplyText(InboundKeyword keyword) => keyword switch
    {
        InboundKeyword.Stop => options.Value.StopReply,
        InboundKeyword.Start => options.Value.StartReply,
        InboundKeyword.Help => options.Value.HelpText,
        _ => null,
    };

    /// <summary>
    /// One confirmation per keyword event: a transactional message through the same provider, with an idempotency key derived from the
    /// inbound message, so a replay (or a retry after a crash) finds the first one instead of sending another.
    /// </summary>
    private async Task<(string? MessageId, string Note)> ReplyAsync(InboundText message, InboundRecord record, string phone, InboundKeyword keyword, string text,
        CancellationToken cancellationToken)
    {
        var key = "herald-inbound:" + record.DedupeKey;
        var since = time.GetUtcNow() - TimeSpan.FromDays(1);
        if (await intake.FindIdempotencyAsync(key, since, cancellationToken) is { } sent)
        {
            return (sent.MessageId, $"{keyword.ToString().ToLowerInvariant()} confirmation {sent.MessageId} (sent before)");
        }
        var result = await intake.PrepareAsync(new MessageSubmission
        {
            To = phone, Body = text, Type = MessageTypes.Transactional, Provider = message.ProviderId,
            Sender = string.IsNullOrWhiteSpace(options.Value.Sender) ? message.To : options.Value.Sender, TemplateId = options.Value.TemplateId,
            Source = "inbound", ShortenLinks = false, FirstNote = $"the {keyword.ToString().ToUpperInvariant()} confirmation to inbound message {record.Id}",
        }, IntakeMode.Queue, new IntakeLookups(), cancellationToken);
        if (result.Prepared is not { } prepared)
        {
            var (field, errors) = result.Errors!.First();
            return (null, $"no confirmation sent ({field}: {errors.FirstOrDefault()})");
        }
        try
        {
            await intake.SubmitAsync([prepared], new IdempotencyRecord(key, "", prepared.Message.Id, time.GetUtcNow()), cancellationToken);
        }
        catch (DbException)
        {
            // The same inbound message is being handled at once elsewhere: its confirmation is the one.
            var other = await intake.FindIdempotencyAsync(key, since, cancellationToken);
            return (other?.MessageId, $"{keyword.ToString().ToLowerInvariant()} confirmation {other?.MessageId} (sent by a concurrent delivery)");
        }
        return (prepared.Message.Id, $"{keyword.ToString().ToLowerInvariant()} confirmation {prepared.Message.Id}");
    }

    /// <summary>The sender as E.164: as written, or with a + when a provider leaves it out (Kaleyra writes 9198...); null when it is no number.</summary>
    private string? Phone(string from)
    {
        var trimmed = from.Trim();
        if (rules.TryPhone(trimmed, null, out var phone, out _))
        {
            return phone!.E164;
        }
        return trimmed.Length is >= 8 and <= 15 && trimmed.All(char.IsAsciiDigit) && rules.TryPhone("+" + trimmed, null, out phone, out _) ? phone!.E164 : null;
    }

    private static string Digest(InboundText message) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{message.From}\n{message.To}\n{message.Text}\n{message.Raw}")))[..32];

    private static string Clip(string text) => text.Length <= 80 ? text : text[..77] + "...";

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbound message {InboundId} through provider {ProviderId}: {Keyword}; {Note}")]
    private partial void LogReceived(string inboundId, string providerId, string keyword, string? note);
}
