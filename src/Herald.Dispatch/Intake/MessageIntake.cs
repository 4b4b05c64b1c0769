using System.Text.Json;
using System.Xml;
using Herald.Core;
using Herald.Core.Encoding;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Dispatch.Links;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch.Intake;

/// <summary>The one way in: checks messages through their provider's kind and stores them durably.</summary>
public interface IMessageIntake
{
    /// <summary>Checks one message and builds its row, or says what to fix by field. Stores nothing.</summary>
    Task<IntakeResult> PrepareAsync(MessageSubmission submission, IntakeMode mode, IntakeLookups lookups, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the send-path policy over prepared messages (in order: earlier ones count against later ones) and answers them
    /// with its decisions applied: a skipped message becomes <c>rejected</c> with the reason on its first timeline entry, a
    /// deferred one waits in the queue until the next allowed minute. Messages already checked, test SMS and direct sends
    /// pass unchanged. <see cref="SubmitAsync"/> does this itself for anything not yet checked: call it first only to answer
    /// the caller with the decisions.
    /// </summary>
    Task<IReadOnlyList<PreparedMessage>> CheckPolicyAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Stores prepared messages with their first timeline entry (and the idempotency key) in one transaction, then wakes the
    /// dispatcher for queued ones. Throws <see cref="System.Data.Common.DbException"/> when the idempotency key was taken
    /// meanwhile (the caller answers as the first request was answered).
    /// </summary>
    Task SubmitAsync(IReadOnlyList<PreparedMessage> messages, IdempotencyRecord? idempotency, CancellationToken cancellationToken);

    /// <summary>
    /// Counts and wakes the dispatcher for prepared messages that a path stored in its own transaction (a campaign marks its
    /// recipients in the transaction that stores their messages).
    /// </summary>
    void Stored(IReadOnlyList<PreparedMessage> messages);

    /// <summary>The message an idempotency key created, if the key was used since <paramref name="since"/>.</summary>
    Task<IdempotencyRecord?> FindIdempotencyAsync(string key, DateTimeOffset since, CancellationToken cancellationToken);
}

internal sealed class MessageIntake(
    IProviderStore providers,
    IProviderGroupStore groups,
    ISenderResolver senders,
    IDispatchQueue queue,
    IDispatchSignal signal,
    HeraldMetrics metrics,
    IOptions<DispatchOptions> options,
    IOptions<IntakeOptions> intake,
    ISendPolicy policy,
    ILinkShortener shortener,
    TimeProvider time) : IMessageIntake
{
    public async Task<IntakeResult> PrepareAsync(MessageSubmission submission, IntakeMode mode, IntakeLookups lookups, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var countryCode = string.IsNullOrWhiteSpace(submission.CountryCode) ? intake.Value.DefaultCountry : submission.CountryCode;
        if (!PhoneNumber.TryParse(submission.To, countryCode, out var phone, out var phoneError))
        {
            errors[submission.ToField] = [phoneError!];
        }
        var type = MessageTypes.Normalize(submission.Type);
        if (type is null || (type == MessageTypes.Test && submission.Source != "test"))
        {
            errors["type"] = [$"type '{submission.Type}' is not supported: use otp, txn, default or mkt."];
        }
        if (string.IsNullOrWhiteSpace(submission.Body) && string.IsNullOrWhiteSpace(submission.TemplateId))
        {
            errors[submission.BodyField] = [submission.Source == "test"
                ? "Write a message (e.g. \"This is a test message powered by Kaleyra\") or give a templateId."
                : "Give the message text in body, or a templateId."];
        }
        TimeSpan? validity = null;
        if (!string.IsNullOrWhiteSpace(submission.Validity))
        {
            validity = ParseDuration(submission.Validity);
            if (validity is null || validity <= TimeSpan.Zero || validity > TimeSpan.FromDays(7))
            {
                errors["validity"] = ["validity must be a duration between 1 second and 7 days, in ISO-8601 (PT10M) or as hh:mm:ss."];
            }
        }
        ProviderRecord? provider = null;
        (ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)? group = null;
        if (submission.AdHocSender is null)
        {
            (provider, group) = await ResolveRouteAsync(submission, lookups, errors, cancellationToken);
        }
        else if (mode != IntakeMode.Direct)
        {
            throw new ArgumentException("An ad-hoc sender can only send directly.", nameof(submission));
        }
        if (errors.Count > 0)
        {
            return new IntakeResult(null, errors);
        }

        var now = time.GetUtcNow();
        var id = submission.MessageId ?? Ids.NewMessageId(time);
        var dynamicFields = submission.DynamicFields ?? new Dictionary<string, string>();
        var templateId = string.IsNullOrWhiteSpace(submission.TemplateId) ? null : submission.TemplateId.Trim();
        // A group's message may go through any of its providers: the smallest cap applies, and links stay long if one shortens itself.
        var route = group?.Providers ?? (provider is null ? [] : [provider]);
        var body = submission.Body;
        IReadOnlyList<LinkRecord> links = [];
        if (mode == IntakeMode.Queue && type != MessageTypes.Test && submission.Source != "test" && submission.ShortenLinks && shortener.Enabled
            && route.All(p => p.ShortenLinks))
        {
            var shortened = shortener.Shorten(id, phone!.E164, body, dynamicFields, submission.LongUrl, submission.CampaignId, submission.JourneyId);
            (body, dynamicFields, links) = (shortened.Body, shortened.DynamicFields, shortened.Links);
        }
        var outbound = new OutboundMessage
        {
            MessageId = id, To = phone!, Body = body, Type = type!, Sender = submission.Sender, TemplateId = templateId,
            TemplateVariables = submission.TemplateVariables, CampaignId = submission.CampaignId, DynamicFields = dynamicFields,
            Reference = submission.Reference,
        };
        try
        {
            // A message of a group may go through any of its providers: each must be able to send it.
            if (submission.AdHocSender is { } adHoc)
            {
                adHoc.Validate(outbound);
            }
            foreach (var candidate in group?.Providers ?? (provider is null ? [] : [provider]))
            {
                senders.SenderFor(candidate).Validate(outbound);
            }
        }
        catch (MessageRenderException ex)
        {
            return new IntakeResult(null, new Dictionary<string, string[]> { [ex.Field] = [ex.Message] });
        }

        var maxSegments = route.Count == 0 ? intake.Value.MaxSegments : route.Min(p => p.MaxSegments > 0 ? p.MaxSegments : intake.Value.MaxSegments);
        if (!SegmentLimit.Check(body, maxSegments, out var segments, out var lengthError))
        {
            return new IntakeResult(null, new Dictionary<string, string[]> { [submission.BodyField] = [lengthError!] });
        }
        var encoding = SegmentLimit.WireName(segments.Encoding);
        var settings = options.Value;
        var message = new MessageRecord
        {
            Id = id, ProviderId = provider?.Id, ProviderNickname = provider?.Nickname ?? submission.ProviderLabel, To = phone!.E164,
            Body = body, TemplateId = templateId, TemplateVariables = submission.TemplateVariables, CampaignId = submission.CampaignId,
            Sender = submission.Sender, Type = type!, Source = submission.Source,
            DynamicFields = dynamicFields.Count == 0 ? null : JsonSerializer.Serialize(dynamicFields, HeraldJson.Options),
            Status = DeliveryState.Queued, CreatedAt = now, UpdatedAt = now, ProviderGroupId = group?.Group.Id, Meta = submission.Meta, ApiKeyId = submission.ApiKeyId,
        };
        var validUntil = mode == IntakeMode.Direct ? (DateTimeOffset?)null
            : now + (validity ?? (type == MessageTypes.Otp ? settings.OtpValidity : settings.DefaultValidity));
        var dispatch = new DispatchInfo(Lanes.For(type!), mode == IntakeMode.Queue ? now : null, validUntil, encoding, segments.Segments)
        {
            Event = submission.FirstEvent,
            Note = submission.FirstNote ?? $"{segments.Segments} segment(s), {encoding}",
            Detail = submission.FirstDetail,
        };
        return new IntakeResult(new PreparedMessage(message, dispatch, outbound, provider)
        {
            PolicyOverrides = submission.Policy,
            PolicyChecked = !Covered(message, dispatch),
            Links = links,
        }, null);
    }

    /// <summary>The policy covers every queued message except a test SMS; direct sends (test SMS, the connector's relay) are not queued.</summary>
    private static bool Covered(MessageRecord message, DispatchInfo dispatch) =>
        dispatch.NextAttemptAt is not null && message.Type != MessageTypes.Test && message.Source != "test";

    public async Task<IReadOnlyList<PreparedMessage>> CheckPolicyAsync(IReadOnlyList<PreparedMessage> messages, CancellationToken cancellationToken)
    {
        var pending = Enumerable.Range(0, messages.Count).Where(i => !messages[i].PolicyChecked).ToList();
        if (pending.Count == 0)
        {
            return messages;
        }
        var decisions = await policy.CheckAsync(pending.Select(i => new PolicyCheck(messages[i].Message, messages[i].PolicyOverrides)).ToList(),
            PolicyStage.Intake, cancellationToken);
        var result = messages.ToArray();
        var now = time.GetUtcNow();
        for (var k = 0; k < pending.Count; k++)
        {
            result[pending[k]] = Apply(messages[pending[k]], decisions[k], now);
        }
        await SaveLinksAsync(result, cancellationToken);
        return result;
    }

    /// <summary>
    /// Stores the short links of the messages the policy lets go, before any path stores the messages themselves: a message is
    /// never sent with a link that leads nowhere (a message that is then not stored leaves an unused link behind, nothing more).
    /// </summary>
    private async Task SaveLinksAsync(PreparedMessage[] messages, CancellationToken cancellationToken)
    {
        var links = messages.Where(m => m.Links.Count > 0 && m.SkipReason is null).SelectMany(m => m.Links).ToList();
        if (links.Count == 0)
        {
            return;
        }
        foreach (var replaced in (await shortener.SaveAsync(links, cancellationToken)).GroupBy(r => r.MessageId))
        {
            var i = Array.FindIndex(messages, m => m.Message.Id == replaced.Key);
            string? Swap(string? text) => text is null ? null : replaced.Aggregate(text, (t, r) => t.Replace(r.Old, r.New, StringComparison.Ordinal));
            var prepared = messages[i];
            var fields = prepared.Outbound.DynamicFields.ToDictionary(f => f.Key, f => Swap(f.Value)!, StringComparer.OrdinalIgnoreCase);
            messages[i] = prepared with
            {
                Message = prepared.Message with { Body = Swap(prepared.Message.Body), DynamicFields = Swap(prepared.Message.DynamicFields) },
                Outbound = prepared.Outbound with { Body = Swap(prepared.Outbound.Body), DynamicFields = fields },
            };
        }
    }

    private static PreparedMessage Apply(PreparedMessage prepared, PolicyDecision decision, DateTimeOffset now)
    {
        var checkedMessage = prepared with { Decision = decision, PolicyChecked = true };
        switch (decision)
        {
            case PolicyDecision.Skip skip:
                return checkedMessage with
                {
                    Message = prepared.Message with { Status = DeliveryState.Rejected },
                    Dispatch = prepared.Dispatch with
                    {
                        NextAttemptAt = null, Source = "policy", Event = "skipped", Note = $"{skip.Reason}: {skip.Note}",
                        Detail = JsonSerializer.Serialize(new Dictionary<string, string> { ["reason"] = skip.Reason, ["note"] = skip.Note }, DispatchJson.Default.DictionaryStringString),
                    },
                };
            case PolicyDecision.Defer defer:
                // The validity is how long the message is worth sending once it may be sent: it counts from the deferred time.
                var validUntil = prepared.Dispatch.ValidUntil is { } until ? until + (defer.Until - now) : (DateTimeOffset?)null;
                return checkedMessage with
                {
                    Dispatch = prepared.Dispatch with
                    {
                        NextAttemptAt = defer.Until, ValidUntil = validUntil, Source = "policy", Event = "deferred",
                        Note = $"{defer.Reason}: {defer.Note}; it waits in the queue until {defer.Until:O}",
                    },
                };
            case PolicyDecision.Allow allow when allow.Fields is not null || allow.Sender is not null:
                var fields = new Dictionary<string, string>(prepared.Outbound.DynamicFields, StringComparer.OrdinalIgnoreCase);
                foreach (var (key, value) in allow.Fields ?? new Dictionary<string, string>())
                {
                    fields.TryAdd(key, value);
                }
                var sender = string.IsNullOrWhiteSpace(prepared.Message.Sender) ? allow.Sender : prepared.Message.Sender;
                return checkedMessage with
                {
                    Message = prepared.Message with
                    {
                        Sender = sender, DynamicFields = fields.Count == 0 ? null : JsonSerializer.Serialize(fields, HeraldJson.Options),
                    },
                    Outbound = prepared.Outbound with { Sender = sender, DynamicFields = fields },
                };
            default:
                return checkedMessage;
        }
    }

    public async Task SubmitAsync(IReadOnlyList<PreparedMessage> messages, IdempotencyRecord? idempotency, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }
        // Nothing reaches the queue around the policy: what the caller did not check is checked here.
        messages = await CheckPolicyAsync(messages, cancellationToken);
        await queue.EnqueueAsync(messages.Select(m => (m.Message, m.Dispatch)).ToList(), idempotency, cancellationToken);
        Stored(messages);
    }

    public void Stored(IReadOnlyList<PreparedMessage> messages)
    {
        var queued = false;
        foreach (var type in messages.Where(m => m.Dispatch.NextAttemptAt is not null && m.Message.Status == DeliveryState.Queued).GroupBy(m => m.Message.Type))
        {
            queued = true;
            metrics.Accepted(type.Key, type.Count());
        }
        if (queued)
        {
            signal.Notify();
        }
    }

    public Task<IdempotencyRecord?> FindIdempotencyAsync(string key, DateTimeOffset since, CancellationToken cancellationToken) =>
        queue.FindIdempotencyAsync(key, since, cancellationToken);

    /// <summary>The provider to start on and, for <c>providerGroup</c>, the group: its first provider that exists.</summary>
    private async Task<(ProviderRecord? Provider, (ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)? Group)> ResolveRouteAsync(
        MessageSubmission submission, IntakeLookups lookups, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(submission.ProviderGroup))
        {
            return (await ResolveProviderAsync(submission.Provider, lookups, errors, cancellationToken), null);
        }
        if (!string.IsNullOrWhiteSpace(submission.Provider))
        {
            errors["providerGroup"] = ["Give provider or providerGroup, not both: a message goes through one provider, or through a group that fails over between its providers."];
            return (null, null);
        }
        var key = submission.ProviderGroup.Trim();
        if (!lookups.Groups.TryGetValue(key, out var group))
        {
            lookups.Groups[key] = group = await LoadGroupAsync(key, cancellationToken);
        }
        if (group is null)
        {
            errors["providerGroup"] = [$"No provider group has the id or name '{key}'."];
            return (null, null);
        }
        if (group.Value.Providers.Count == 0)
        {
            errors["providerGroup"] = [$"The provider group {group.Value.Group.Name} has no provider left: add one with PUT /api/v1/provider-groups/{group.Value.Group.Id}."];
            return (null, null);
        }
        return (group.Value.Providers[0], group);
    }

    private async Task<(ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)?> LoadGroupAsync(string key, CancellationToken cancellationToken)
    {
        if (await groups.FindGroupAsync(key, cancellationToken) is not { } group)
        {
            return null;
        }
        var members = new List<ProviderRecord>(group.ProviderIds.Count);
        foreach (var id in group.ProviderIds)
        {
            if (await providers.FindAsync(id, cancellationToken) is { } provider)
            {
                members.Add(provider);
            }
        }
        return (group, members);
    }

    private async Task<ProviderRecord?> ResolveProviderAsync(string? key, IntakeLookups lookups, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            lookups.All ??= await providers.ListAsync(cancellationToken);
            if (lookups.All.Count == 1)
            {
                return lookups.All[0];
            }
            errors["provider"] = [lookups.All.Count == 0
                ? "No provider is configured: add one with POST /api/v1/providers first."
                : $"provider is required when several providers exist: give the id or nickname of one of {string.Join(", ", lookups.All.Select(p => p.Nickname))}."];
            return null;
        }
        if (!lookups.ByKey.TryGetValue(key, out var provider))
        {
            lookups.ByKey[key] = provider = await providers.FindAsync(key, cancellationToken);
        }
        if (provider is null)
        {
            errors["provider"] = [$"No provider has the id or nickname '{key}'."];
        }
        return provider;
    }

    private static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.StartsWith('P'))
        {
            try
            {
                return XmlConvert.ToTimeSpan(text);
            }
            catch (FormatException)
            {
                return null;
            }
            catch (OverflowException)
            {
                return null;
            }
        }
        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) ? span : null;
    }
}
