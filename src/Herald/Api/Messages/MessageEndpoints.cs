using System.Security.Claims;
using Herald.Security;
using System.Text;
using System.Text.Json;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Messages;

/// <summary>One message with its timeline.</summary>
public sealed record MessageView(
    string Id,
    string To,
    string? Body,
    ProviderRef? Provider,
    string Type,
    string Source,
    string Status,
    string? ProviderMessageId,
    string? TemplateId,
    string? CampaignId,
    string? Sender,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<TimelineEntry>? Timeline,
    string? ProviderGroupId = null);

/// <summary>The provider a message went through.</summary>
public sealed record ProviderRef(string? Id, string? Nickname);

/// <summary>One timeline event: its new state, or "ignored", with the raw detail.</summary>
public sealed record TimelineEntry(
    DateTimeOffset At,
    string Source,
    string Event,
    string? State,
    string Result,
    string? Note,
    JsonElement? Detail);

/// <summary>/api/v1/messages.</summary>
internal static class MessageEndpoints
{
    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder api)
    {
        api.MapGet("/messages/{id}", async Task<Results<Ok<MessageView>, NotFoundProblem>> (string id, ClaimsPrincipal user, IMessageStore messages, CancellationToken ct) =>
        {
            var message = await messages.GetAsync(id, ct);
            // A send-scoped key reads only what it submitted: another key's message is as unknown to it as a missing one.
            if (message is null || (ApiCaller.From(user)?.OwnMessagesOnly is { } own && message.ApiKeyId != own))
            {
                return Problems.NotFound($"No message has the id '{id}'.");
            }
            var events = await messages.GetEventsAsync(id, ct);
            return TypedResults.Ok(View(message, events));
        }).RequireScope(ApiAccess.OwnResults).WithTags("Messages").WithSummary("A message with its timeline");

        api.MapGet("/messages", async Task<Results<Ok<ItemPage<MessageView>>, ValidationProblem>> (string? status, string? provider, string? to, string? type, string? campaign, string? source, int? limit, string? cursor,
            ClaimsPrincipal user, IMessageStore messages, IProviderStore providers, CancellationToken ct) =>
        {
            DeliveryState? state = null;
            if (status is not null)
            {
                if (!DeliveryStates.TryParse(status, out var parsed))
                {
                    return Problems.BadRequest("status", $"'{status}' is not a state: use one of {string.Join(", ", DeliveryStates.All.Select(s => s.ToWire()))}.");
                }
                state = parsed;
            }
            string? providerId = null;
            if (provider is not null)
            {
                var record = await providers.FindAsync(provider, ct);
                providerId = record?.Id ?? provider; // a removed provider's id still filters its messages
            }
            string? toNumber = null;
            if (to is not null)
            {
                // A filter looks up stored numbers, which all have their country code: digits without + are read as international.
                if (!PhoneNumber.TryParseInternational(to, out var phone, out var error))
                {
                    return Problems.BadRequest("to", error!);
                }
                toNumber = phone!.E164;
            }
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            string? after = null;
            if (cursor is not null && !TryDecodeCursor(cursor, out after))
            {
                return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
            }
            var page = await messages.ListAsync(new MessageQuery
            {
                Status = state, ProviderId = providerId, To = toNumber, Type = type?.Trim().ToLowerInvariant(), CampaignId = campaign,
                Source = source?.Trim().ToLowerInvariant(), ApiKeyId = ApiCaller.From(user)?.OwnMessagesOnly,
                Limit = limit ?? 50, After = after,
            }, ct);
            return TypedResults.Ok(new ItemPage<MessageView>([.. page.Items.Select(m => View(m, null))], page.Next is null ? null : EncodeCursor(page.Next)));
        }).RequireScope(ApiAccess.OwnResults).WithTags("Messages").WithSummary("List messages, newest first, filtered and paged");
        return api;
    }

    internal static MessageView View(MessageRecord m, IReadOnlyList<MessageEventRecord>? events) => new(
        m.Id, m.To, m.Body, m.ProviderId is null && m.ProviderNickname is null ? null : new ProviderRef(m.ProviderId, m.ProviderNickname),
        m.Type, m.Source, m.Status.ToWire(), m.ProviderMessageId, m.TemplateId, m.CampaignId, m.Sender, m.Attempts, m.CreatedAt, m.UpdatedAt,
        events?.Select(e => new TimelineEntry(e.At, e.Source, e.Event, e.State?.ToWire(),
            e.State is null ? "recorded" : e.Applied ? e.State.Value.ToWire() : "ignored", e.Note, Detail(e.Detail))).ToList(), m.ProviderGroupId);

    private static JsonElement? Detail(string? detail)
    {
        if (string.IsNullOrEmpty(detail))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(detail);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(detail);
        }
    }

    internal static string EncodeCursor(string id) => PageCursor.Encode("m", id);

    internal static bool TryDecodeCursor(string cursor, out string? id) => PageCursor.TryDecode("m", cursor, out id);
}
