using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using Herald.Core.Encoding;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Api.Providers;
using Herald.Dispatch;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.Messages;

/// <summary>The body of POST /api/v1/messages.</summary>
public sealed record SendMessageRequest(
    string? To,
    string? Body,
    string? TemplateId,
    string? TemplateVariables,
    string? Type,
    string? Sender,
    string? Provider,
    Dictionary<string, string>? DynamicFields,
    string? Validity,
    string? CampaignId,
    string? ProviderGroup = null);

/// <summary>The answer to an accepted message.</summary>
public sealed record SendMessageResult(string Id, string Status, string Encoding, int Segments, DateTimeOffset? ValidUntil);

/// <summary>The body of POST /api/v1/messages/batch.</summary>
public sealed record SendBatchRequest(List<SendMessageRequest>? Messages);

/// <summary>POST /api/v1/messages and /api/v1/messages/batch: transactional sends, stored before they are acknowledged.</summary>
internal static class SendMessageEndpoints
{
    public const int MaxBatch = 10_000;

    private const string BatchPath = "/api/v1/messages/batch";

    public static RouteGroupBuilder MapSendMessages(this RouteGroupBuilder api)
    {
        api.MapPost("/messages", SendAsync);
        // A full batch (10,000 messages, ~1.5 MB) is larger than the server-wide body limit: this endpoint has its own.
        var limit = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<HeraldOptions>>().Value.MaxBatchBodyBytes;
        api.MapPost("/messages/batch", SendBatchAsync).WithMetadata(new BodySizeLimit(limit));
        return api;
    }

    private static async Task<IResult> SendAsync(SendMessageRequest request, HttpContext context, MessageIntake intake, IDispatchQueue queue,
        IMessageStore messages, IDispatchSignal signal, HeraldMetrics metrics, TimeProvider time, CancellationToken ct)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        string? hash = null;
        if (key.Length > 0)
        {
            if (key.Length > 255)
            {
                return Problems.BadRequest("Idempotency-Key", "Idempotency-Key is at most 255 characters.");
            }
            hash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, HeraldJson.Options)));
            if (await ReplayAsync(key, hash, queue, messages, time, ct) is { } replay)
            {
                return replay;
            }
        }
        var (accepted, errors) = await intake.PrepareAsync(request, new ProviderCache(), ct);
        if (errors is not null)
        {
            return Problems.Invalid(errors);
        }
        try
        {
            await queue.EnqueueAsync([accepted!.Value], hash is null ? null : new IdempotencyRecord(key, hash, accepted.Value.Message.Id, time.GetUtcNow()), ct);
        }
        catch (System.Data.Common.DbException) when (hash is not null)
        {
            // Another request with the same key won the race: answer as it did.
            if (await ReplayAsync(key, hash, queue, messages, time, ct) is { } replay)
            {
                return replay;
            }
            throw;
        }
        signal.Notify();
        metrics.Accepted(accepted.Value.Message.Type);
        return Results.Accepted($"/api/v1/messages/{accepted.Value.Message.Id}", Result(accepted.Value));
    }

    private static async Task<IResult?> ReplayAsync(string key, string hash, IDispatchQueue queue, IMessageStore messages, TimeProvider time, CancellationToken ct)
    {
        var existing = await queue.FindIdempotencyAsync(key, time.GetUtcNow() - TimeSpan.FromHours(24), ct);
        if (existing is null)
        {
            return null;
        }
        if (existing.RequestHash != hash)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused",
                detail: $"The Idempotency-Key '{key}' was used in the last 24 h for a different request ({(existing.Response is null ? $"message {existing.MessageId}" : "a batch")}). Use a new key for a new message.");
        }
        var message = await messages.GetAsync(existing.MessageId, ct);
        return Results.Accepted($"/api/v1/messages/{existing.MessageId}",
            new SendMessageResult(existing.MessageId, message?.Status.ToWire() ?? "queued", "", 0, null));
    }

    private static async Task<IResult> SendBatchAsync(SendBatchRequest request, HttpContext context, MessageIntake intake, IDispatchQueue queue,
        IDispatchSignal signal, HeraldMetrics metrics, TimeProvider time, CancellationToken ct)
    {
        var (idempotency, keyError) = BatchIdempotency.From(context.Request, request);
        if (keyError is not null)
        {
            return keyError;
        }
        if (idempotency is not null && await idempotency.ReplayAsync(queue, time, context.Response, ct) is { } replay)
        {
            return replay;
        }
        if (request.Messages is not { Count: > 0 } items)
        {
            return Problems.BadRequest("messages", "messages must be a non-empty array of messages like the body of POST /api/v1/messages.");
        }
        if (items.Count > MaxBatch)
        {
            return Problems.BadRequest("messages", $"A batch holds at most {MaxBatch} messages; this one has {items.Count}. Split it.");
        }
        var cache = new ProviderCache();
        var accepted = new List<(int Index, (MessageRecord Message, DispatchInfo Dispatch) Item)>();
        var rejected = new List<object>();
        for (var i = 0; i < items.Count; i++)
        {
            var (item, errors) = await intake.PrepareAsync(items[i], cache, ct);
            if (errors is not null)
            {
                rejected.Add(new { index = i, errors });
            }
            else
            {
                accepted.Add((i, item!.Value));
            }
        }
        var status = accepted.Count > 0 ? StatusCodes.Status202Accepted : StatusCodes.Status400BadRequest;
        var answer = JsonSerializer.Serialize(new
        {
            accepted = accepted.Select(a => new { index = a.Index, id = a.Item.Message.Id, status = "queued", segments = a.Item.Dispatch.Segments }),
            rejected,
        }, HeraldJson.Options);
        if (accepted.Count > 0)
        {
            var record = idempotency?.Record(answer, status, accepted[0].Item.Message.Id, time.GetUtcNow());
            try
            {
                await queue.EnqueueAsync(accepted.Select(a => a.Item).ToList(), record, ct);
            }
            catch (System.Data.Common.DbException) when (idempotency is not null)
            {
                // Another request with the same key won the race: answer as it did.
                if (await idempotency.ReplayAsync(queue, time, context.Response, ct) is { } raced)
                {
                    return raced;
                }
                throw;
            }
            signal.Notify();
            foreach (var type in accepted.GroupBy(a => a.Item.Message.Type))
            {
                metrics.Accepted(type.Key, type.Count());
            }
        }
        return Results.Content(answer, "application/json", Encoding.UTF8, status);
    }

    /// <summary>Whether a request is for the batch endpoint (it has its own body limit).</summary>
    public static bool IsBatch(HttpRequest request) => request.Path.Equals(BatchPath, StringComparison.OrdinalIgnoreCase);

    private static SendMessageResult Result((MessageRecord Message, DispatchInfo Dispatch) item) =>
        new(item.Message.Id, "queued", item.Dispatch.Encoding, item.Dispatch.Segments, item.Dispatch.ValidUntil);
}

/// <summary>An endpoint's own request body limit (honoured by routing before the body is read).</summary>
internal sealed record BodySizeLimit(long? MaxRequestBodySize) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata;

/// <summary>Providers looked up once per request.</summary>
internal sealed class ProviderCache
{
    public Dictionary<string, ProviderRecord?> ByKey { get; } = new(StringComparer.OrdinalIgnoreCase);
    public IReadOnlyList<ProviderRecord>? All { get; set; }
    public Dictionary<string, (ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)?> Groups { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Checks one message and turns it into a queue entry, or into errors by field.</summary>
internal sealed class MessageIntake(IProviderStore providers, IProviderGroupStore groups, ProviderService providerService, IOptions<DispatchOptions> options,
    TimeProvider time)
{
    public async Task<((MessageRecord Message, DispatchInfo Dispatch)? Item, Dictionary<string, string[]>? Errors)> PrepareAsync(
        SendMessageRequest? request, ProviderCache cache, CancellationToken ct)
    {
        if (request is null) // a null in the batch's array
        {
            return (null, new() { ["message"] = ["The message is null: give an object like the body of POST /api/v1/messages."] });
        }
        var errors = new Dictionary<string, string[]>();
        if (!PhoneNumber.TryParse(request.To, null, out var phone, out var phoneError))
        {
            errors["to"] = [phoneError + " Write it in E.164 with the country code, e.g. +919812345678."];
        }
        var type = MessageTypes.Normalize(request.Type);
        if (type is null or MessageTypes.Test)
        {
            errors["type"] = [$"type '{request.Type}' is not supported: use otp, txn, default or mkt."];
        }
        if (string.IsNullOrWhiteSpace(request.Body) && string.IsNullOrWhiteSpace(request.TemplateId))
        {
            errors["body"] = ["Give the message text in body, or a templateId."];
        }
        TimeSpan? validity = null;
        if (!string.IsNullOrWhiteSpace(request.Validity))
        {
            validity = ParseDuration(request.Validity);
            if (validity is null || validity <= TimeSpan.Zero || validity > TimeSpan.FromDays(7))
            {
                errors["validity"] = ["validity must be a duration between 1 second and 7 days, in ISO-8601 (PT10M) or as hh:mm:ss."];
            }
        }
        var (provider, group) = await ResolveRouteAsync(request, cache, errors, ct);
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var now = time.GetUtcNow();
        var id = Ids.NewMessageId(time);
        var dynamicFields = request.DynamicFields ?? [];
        var outbound = new OutboundMessage
        {
            MessageId = id, To = phone!, Body = request.Body, Type = type!, Sender = request.Sender, TemplateId = request.TemplateId,
            TemplateVariables = request.TemplateVariables, CampaignId = request.CampaignId, DynamicFields = dynamicFields,
        };
        try
        {
            // A message of a group may go through any of its providers: each must be able to send it.
            foreach (var candidate in group?.Providers ?? [provider!])
            {
                providerService.SenderFor(candidate).Validate(outbound);
            }
        }
        catch (MessageRenderException ex)
        {
            return (null, new Dictionary<string, string[]> { [ex.Field] = [ex.Message] });
        }
        var segments = SmsSegmenter.Analyze(request.Body ?? "");
        var settings = options.Value;
        var message = new MessageRecord
        {
            Id = id, ProviderId = provider!.Id, ProviderNickname = provider.Nickname, To = phone!.E164, Body = request.Body,
            TemplateId = request.TemplateId, TemplateVariables = request.TemplateVariables, CampaignId = request.CampaignId,
            Sender = request.Sender, Type = type!, Source = "api",
            DynamicFields = dynamicFields.Count == 0 ? null : JsonSerializer.Serialize(dynamicFields, HeraldJson.Options),
            Status = DeliveryState.Queued, CreatedAt = now, UpdatedAt = now, ProviderGroupId = group?.Group.Id,
        };
        var validUntil = now + (validity ?? (type == MessageTypes.Otp ? settings.OtpValidity : settings.DefaultValidity));
        var dispatch = new DispatchInfo(Lanes.For(type!), now, validUntil,
            segments.Encoding == SmsEncoding.Gsm7 ? "gsm7" : "ucs2", segments.Segments);
        return ((message, dispatch), null);
    }

    /// <summary>The provider to start on and, for <c>providerGroup</c>, the group: its first provider that exists.</summary>
    private async Task<(ProviderRecord? Provider, (ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)? Group)> ResolveRouteAsync(
        SendMessageRequest request, ProviderCache cache, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.ProviderGroup))
        {
            return (await ResolveProviderAsync(request.Provider, cache, errors, ct), null);
        }
        if (!string.IsNullOrWhiteSpace(request.Provider))
        {
            errors["providerGroup"] = ["Give provider or providerGroup, not both: a message goes through one provider, or through a group that fails over between its providers."];
            return (null, null);
        }
        var key = request.ProviderGroup.Trim();
        if (!cache.Groups.TryGetValue(key, out var group))
        {
            cache.Groups[key] = group = await LoadGroupAsync(key, ct);
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

    private async Task<(ProviderGroupRecord Group, IReadOnlyList<ProviderRecord> Providers)?> LoadGroupAsync(string key, CancellationToken ct)
    {
        if (await groups.FindGroupAsync(key, ct) is not { } group)
        {
            return null;
        }
        var members = new List<ProviderRecord>(group.ProviderIds.Count);
        foreach (var id in group.ProviderIds)
        {
            if (await providers.FindAsync(id, ct) is { } provider)
            {
                members.Add(provider);
            }
        }
        return (group, members);
    }

    private async Task<ProviderRecord?> ResolveProviderAsync(string? key, ProviderCache cache, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            cache.All ??= await providers.ListAsync(ct);
            if (cache.All.Count == 1)
            {
                return cache.All[0];
            }
            errors["provider"] = [cache.All.Count == 0
                ? "No provider is configured: add one with POST /api/v1/providers first."
                : $"provider is required when several providers exist: give the id or nickname of one of {string.Join(", ", cache.All.Select(p => p.Nickname))}."];
            return null;
        }
        if (!cache.ByKey.TryGetValue(key, out var provider))
        {
            cache.ByKey[key] = provider = await providers.FindAsync(key, ct);
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
        }
        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) ? span : null;
    }
}
