using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Engagement.Contacts;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Events;

/// <summary>What a Segment call did: the fields to fix (nothing was stored), or what was stored.</summary>
/// <param name="Errors">Path of the bad field (e.g. <c>batch[3].userId</c>) → what to fix.</param>
/// <param name="Result">What was stored.</param>
public sealed record EventBatchOutcome(IReadOnlyDictionary<string, string>? Errors, EventIngestResult? Result);

/// <summary>Segment-compatible event ingestion: identify, track, page, screen, group and alias calls.</summary>
public interface IEventIngest
{
    /// <summary>The most items one batch may carry.</summary>
    const int MaxBatch = 10_000;

    /// <summary>
    /// Checks every item first and stores all of them in one transaction, or none when one is bad. Each item is a Segment
    /// message with its <c>type</c>; <paramref name="sentAt"/> is the batch's own <c>sentAt</c>, if any. Errors are keyed by
    /// <paramref name="path"/> (e.g. <c>batch</c>) and the item's index, or by the field alone when <paramref name="path"/> is null.
    /// </summary>
    Task<EventBatchOutcome> IngestAsync(IReadOnlyList<JsonObject> items, JsonNode? sentAt, string? path, CancellationToken cancellationToken);
}

internal sealed class EventIngest(ContactRules rules, IEventStore events, TimeProvider time, IEnumerable<Journeys.IJourneySignal> journeys) : IEventIngest
{
    private static readonly string[] Types = ["identify", "track", "page", "screen", "group", "alias"];
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<EventBatchOutcome> IngestAsync(IReadOnlyList<JsonObject> items, JsonNode? sentAt, string? path, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>();
        if (items.Count > IEventIngest.MaxBatch)
        {
            errors[path ?? "batch"] = $"A batch carries at most {IEventIngest.MaxBatch:N0} items, not {items.Count:N0}: split it.";
            return new EventBatchOutcome(errors, null);
        }
        var receivedAt = time.GetUtcNow();
        var batchSentAt = Time(sentAt);
        var userIds = items.Select(i => Text(i["userId"])).OfType<string>().ToList();
        var known = new HashSet<string>(userIds.Count == 0 ? [] : await events.KnownExternalIdsAsync(userIds, cancellationToken), StringComparer.Ordinal);
        var writes = new List<EventWrite>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var at = path is null ? "" : $"{path}[{i}].";
            var type = Text(item["type"])?.ToLowerInvariant();
            if (type is null || !Types.Contains(type))
            {
                errors[at + "type"] = $"type is one of {string.Join(", ", Types)}{(type is null ? "" : $", not '{type}'")}.";
                continue;
            }
            var userId = Text(item["userId"]);
            var anonymousId = Text(item["anonymousId"]);
            if (userId is null && anonymousId is null)
            {
                errors[at + "userId"] = "Each call needs a userId or an anonymousId.";
                continue;
            }
            if (userId is { Length: > 255 })
            {
                errors[at + "userId"] = "userId is at most 255 characters.";
                continue;
            }
            ContactChange? contact = null;
            string? name = null;
            JsonObject? properties = item["properties"] as JsonObject;
            switch (type)
            {
                case "identify":
                    var traits = item["traits"] as JsonObject ?? [];
                    properties = traits;
                    var before = errors.Count;
                    contact = Identify(item, traits, userId, at, errors);
                    if (errors.Count > before)
                    {
                        continue;
                    }
                    if (contact is { Phone: not null } && userId is not null)
                    {
                        known.Add(userId);
                    }
                    break;
                case "track":
                    name = Text(item["event"]);
                    if (name is null or { Length: > 200 })
                    {
                        errors[at + "event"] = "A track call names its event (at most 200 characters), e.g. \"added_to_cart\".";
                        continue;
                    }
                    break;
                case "page" or "screen":
                    name = Text(item["name"]);
                    break;
                case "group":
                    name = Text(item["groupId"]);
                    properties = item["traits"] as JsonObject;
                    break;
                case "alias":
                    properties = new JsonObject { ["previousId"] = Text(item["previousId"]) };
                    break;
            }
            if (userId is not null && !known.Contains(userId) && type is "identify" or "track")
            {
                errors[at + "userId"] = $"userId '{userId}' is not a known contact: identify it once with traits.phone so Herald can create it (or send anonymousId alone).";
                continue;
            }
            writes.Add(new EventWrite(new EventRecord
            {
                MessageId = Text(item["messageId"]) is { Length: > 0 and <= 255 } id ? id : "herald-" + Guid.CreateVersion7(receivedAt).ToString("N"),
                UserId = userId,
                AnonymousId = anonymousId,
                Type = type,
                Name = name is { Length: > 200 } ? name[..200] : name,
                Properties = properties?.ToJsonString(Json),
                At = When(item, batchSentAt, receivedAt),
                ReceivedAt = receivedAt,
            }, contact));
        }
        if (errors.Count > 0)
        {
            return new EventBatchOutcome(errors, null);
        }
        var stored = await events.IngestAsync(writes, cancellationToken);
        if (stored.Stored > 0)
        {
            var tracked = writes.Any(w => w.Event.Type == "track");
            foreach (var journey in journeys)
            {
                // Traits and events are what segments read: a segment trigger looks again soon.
                journey.ContactsChanged();
                if (tracked)
                {
                    journey.Notify();
                }
            }
        }
        return new EventBatchOutcome(null, stored);
    }

    /// <summary>An identify's contact change: traits.phone creates or links the contact; the other scalar traits become attributes.</summary>
    private ContactChange? Identify(JsonObject item, JsonObject traits, string? userId, string at, Dictionary<string, string> errors)
    {
        var phone = Text(traits["phone"]);
        var attributes = new JsonObject();
        foreach (var (key, value) in traits)
        {
            if (key != "phone" && key.Length is > 0 and <= 100 && value is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                && (v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length <= 1000))
            {
                attributes[key] = v.DeepClone();
            }
        }
        if (phone is null && userId is null)
        {
            return null; // anonymous: the event is kept, no contact
        }
        var context = item["context"] as JsonObject;
        var zone = new[] { Text(traits["timezone"]), Text(context?["timezone"]) }.FirstOrDefault(z => z is not null && rules.IsTimeZone(z));
        var input = new ContactInput { Phone = phone, ExternalId = userId, Attributes = attributes, Timezone = zone, Locale = Text(context?["locale"]) };
        var problems = new Dictionary<string, string>();
        var change = rules.Check(input, "identify", problems);
        foreach (var (field, message) in problems)
        {
            errors[at + (field == "phone" ? "traits.phone" : field == "externalId" ? "userId" : field)] = message;
        }
        return change;
    }

    /// <summary>Segment's clock-skew correction: the device's timestamp moved by the gap between its clock (sentAt) and Herald's.</summary>
    private static DateTimeOffset When(JsonObject item, DateTimeOffset? batchSentAt, DateTimeOffset receivedAt)
    {
        var timestamp = Time(item["timestamp"]) ?? Time(item["originalTimestamp"]);
        if (timestamp is null)
        {
            return receivedAt;
        }
        var sentAt = Time(item["sentAt"]) ?? batchSentAt;
        return sentAt is null ? timestamp.Value : timestamp.Value + (receivedAt - sentAt.Value);
    }

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && DateTimeOffset.TryParse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;

    /// <summary>A string field, or a number given where Segment allows one (userId), as text; null when absent or empty.</summary>
    private static string? Text(JsonNode? node) => node is JsonValue v ? v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>().Trim() is { Length: > 0 } s ? s : null,
        JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    } : null;
}
