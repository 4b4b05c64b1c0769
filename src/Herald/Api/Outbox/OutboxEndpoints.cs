using Herald.Security;
using System.Globalization;
using System.Text.Json;
using Herald.Core;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Outbox;

/// <summary>One outbox entry in the API.</summary>
public sealed record OutboxEntryView(long Id, string Topic, string Url, string? MessageId, string Status, int Attempts, DateTimeOffset NextAttemptAt,
    DateTimeOffset? ValidUntil, string? LastError, JsonElement Payload, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A page of outbox entries.</summary>
public sealed record OutboxPage(IReadOnlyList<OutboxEntryView> Items, string? Next);

/// <summary>GET /api/v1/outbox and POST /api/v1/outbox/{id}/retry: the webhooks Herald delivers (the connector's relays to CleverTap, …).</summary>
internal static class OutboxEndpoints
{
    /// <summary>How long a retried dead entry is worth sending.</summary>
    public static readonly TimeSpan RetryValidity = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapOutbox(this RouteGroupBuilder api)
    {
        api.MapGet("/outbox", ListAsync).RequireScope(ApiAccess.Read);
        api.MapPost("/outbox/{id}/retry", RetryAsync).RequireScope(ApiAccess.Admin, "outbox.retry");
        return api;
    }

    private static async Task<Results<Ok<OutboxPage>, ValidationProblem>> ListAsync(string? status, string? topic, string? messageId, int? limit, string? cursor,
        IOutboxStore outbox, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        OutboxStatus? parsed = status switch
        {
            null or "" => null,
            "pending" => OutboxStatus.Pending,
            "sent" => OutboxStatus.Sent,
            "dead" => OutboxStatus.Dead,
            _ => Invalid(errors, "status", $"status '{status}' is not one of pending, sent, dead."),
        };
        if (limit is < 1 or > 500)
        {
            errors["limit"] = ["limit must be between 1 and 500."];
        }
        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                before = id;
            }
            else
            {
                errors["cursor"] = ["cursor is not one this API gave out: pass the 'next' value of the previous page."];
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var page = await outbox.ListAsync(new OutboxQuery
        {
            Status = parsed, Topic = string.IsNullOrWhiteSpace(topic) ? null : topic, MessageId = string.IsNullOrWhiteSpace(messageId) ? null : messageId,
            Limit = limit ?? 50, Before = before,
        }, ct);
        return TypedResults.Ok(new OutboxPage([.. page.Items.Select(View)], page.Next));
    }

    private static async Task<Results<Accepted<OutboxEntryView>, NotFoundProblem, ConflictProblem>> RetryAsync(
        long id, IOutboxStore outbox, Herald.Dispatch.Outbox.IOutboxSignal signal, TimeProvider time, CancellationToken ct)
    {
        var retried = await outbox.RetryAsync(id, time.GetUtcNow() + RetryValidity, ct);
        var entry = (await outbox.ListAsync(new OutboxQuery { Before = id + 1, Limit = 1 }, ct)).Items.FirstOrDefault(e => e.Id == id);
        if (entry is null)
        {
            return Problems.NotFound($"No outbox entry has the id {id}.");
        }
        if (!retried)
        {
            return Problems.Conflict("Not dead",
                $"Outbox entry {id} is {entry.Status.ToString().ToLowerInvariant()}: only dead entries are retried (a sent one is never sent again).");
        }
        signal.Notify();
        return TypedResults.Accepted($"/api/v1/outbox?messageId={entry.MessageId}", View(entry));
    }

    internal static OutboxEntryView View(OutboxRecord r) => new(r.Id, r.Topic, r.Url, r.MessageId, r.Status.ToString().ToLowerInvariant(), r.Attempts,
        r.NextAttemptAt, r.ValidUntil, r.LastError, JsonSerializer.Deserialize<JsonElement>(r.Payload, HeraldJson.Options), r.CreatedAt, r.UpdatedAt);

    private static OutboxStatus? Invalid(Dictionary<string, string[]> errors, string field, string message)
    {
        errors[field] = [message];
        return null;
    }
}
