using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Api.DeliveryReports;
using Herald.Core;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Dispatch.Outbox;
using Herald.Storage;

namespace Herald.Api.Connect;

/// <summary>What the connector keeps on a message it forwarded (the message's <c>meta</c>): CleverTap's id and callback, Kaleyra's host.</summary>
internal sealed record ConnectorMeta(string Connector, string ExternalId, string CallbackUrl, string CallbackToken, string Host, string Sid)
{
    public string ToJson() => JsonSerializer.Serialize(this, HeraldJson.Options);

    public static ConnectorMeta? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<ConnectorMeta>(json, HeraldJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Relays Kaleyra's reports on connector messages to CleverTap. Kaleyra's callbacks go through the one report pipeline
/// (stored, applied in a group commit, recovered after a crash); when a report moves a connector message to a final state,
/// this hook queues CleverTap's event (<c>delivered</c>, or <c>failed</c> with the code of protocols.md §2) in the outbox in
/// the same transaction. <c>Sent</c> has no CleverTap event; a duplicate or late report does not move the message and is not
/// relayed, so CleverTap gets one event per message (the outbox key says so too).
/// </summary>
internal sealed class ConnectorReportHook(IMessageStore messages) : IReportHook
{
    public const string ProviderId = "connector:kaleyra";

    /// <summary>How long a relay is worth retrying: CleverTap keeps a campaign's delivery stats open for about a day.</summary>
    public static readonly TimeSpan RelayValidity = TimeSpan.FromHours(24);

    public bool Handles(string providerId) => providerId == ProviderId;

    public async Task<IReadOnlyList<OutboxItem>> AppliedAsync(IReadOnlyList<AppliedReport> applied, CancellationToken cancellationToken)
    {
        var items = new List<OutboxItem>();
        foreach (var report in applied)
        {
            if (CleverTapEvent(report.Report.State) is not { } cleverTap
                || ConnectorMeta.Parse((await messages.GetAsync(report.MessageId, cancellationToken))?.Meta) is not { } meta)
            {
                continue;
            }
            items.Add(new OutboxItem
            {
                Key = $"clevertap:{report.MessageId}",
                Topic = CleverTapTopic.Name,
                Url = meta.CallbackUrl,
                Payload = new JsonObject
                {
                    ["event"] = cleverTap,
                    ["data"] = Record(cleverTap, report.Report, meta.ExternalId, report.Report.OccurredAt ?? report.ReceivedAt),
                }.ToJsonString(HeraldJson.Options),
                MessageId = report.MessageId,
                NextAttemptAt = report.ReceivedAt,
                ValidUntil = report.ReceivedAt + RelayValidity,
            });
        }
        return items;
    }

    /// <summary>CleverTap's event for a state (protocols.md §2, §5): no event for sent or earlier.</summary>
    public static string? CleverTapEvent(DeliveryState? state) => state switch
    {
        DeliveryState.Delivered => "delivered",
        DeliveryState.Failed or DeliveryState.Undelivered or DeliveryState.Rejected or DeliveryState.Expired => "failed",
        _ => null,
    };

    /// <summary>One record of a CleverTap event's <c>data</c>: ts (epoch seconds), meta, and code + description for failed.</summary>
    public static JsonObject Record(string cleverTapEvent, DeliveryReport report, string meta, DateTimeOffset at)
    {
        var record = new JsonObject
        {
            ["ts"] = at.ToUnixTimeSeconds(),
            ["meta"] = meta,
        };
        if (cleverTapEvent == "failed")
        {
            record["code"] = report.Code ?? "900";
            record["description"] = report.Description ?? report.Event;
        }
        else if (report.Description is { } description)
        {
            record["description"] = description;
        }
        return record;
    }
}

/// <summary>The connector's relays in the outbox: CleverTap's callback body, one group per event, retried as the connector's options say.</summary>
internal sealed class CleverTapTopic(ConnectorSettings settings) : IOutboxTopic
{
    public const string Name = "clevertap";

    string IOutboxTopic.Name => Name;

    public string EventPrefix => "relay";

    public OutboxPolicy Policy
    {
        get
        {
            var o = settings.Options;
            return new OutboxPolicy(o.RelayTimeout, o.RelayMaxAttempts, o.RelayRetryBaseDelay, o.RelayRetryMaxDelay, o.RelayBatchSize, o.RelayPollInterval);
        }
    }

    public string? Refusal(string url) => settings.CheckCallbackUrl(url, out var refusal) is null ? refusal!.Message : null;

    /// <summary>CleverTap's callback body: one group per event, in the order the events first appear.</summary>
    public string Body(IReadOnlyList<OutboxRecord> entries)
    {
        var groups = new JsonArray();
        foreach (var group in entries.Select(e => JsonNode.Parse(e.Payload)!).GroupBy(p => p["event"]!.GetValue<string>(), StringComparer.Ordinal))
        {
            var data = new JsonArray();
            foreach (var payload in group)
            {
                data.Add(payload["data"]!.DeepClone());
            }
            groups.Add(new JsonObject { ["event"] = group.Key, ["data"] = data });
        }
        return groups.ToJsonString(HeraldJson.Options);
    }

    public IReadOnlyList<string> Delivered(IReadOnlyList<OutboxRecord> entries, string host, string answer, string responseBody)
    {
        var unprocessed = Unprocessed(responseBody);
        return [.. entries.Select(entry =>
        {
            var payload = JsonNode.Parse(entry.Payload)!;
            var problem = unprocessed.GetValueOrDefault(payload["data"]?["meta"]?.ToString() ?? "");
            return $"CleverTap {payload["event"]} event relayed to {host} ({answer}, attempt {entry.Attempts + 1}, {entries.Count} event(s) in the POST)"
                + (problem is null ? "" : $"; the callback URL listed it unprocessed: {problem}");
        })];
    }

    /// <summary>The records a 2xx answer still lists as unprocessed (CleverTap's <c>partial</c>), by meta.</summary>
    private static Dictionary<string, string> Unprocessed(string body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(body)?["unprocessed"] is JsonArray items)
            {
                foreach (var item in items)
                {
                    if (item?["record"]?["meta"]?.ToString() is { } meta)
                    {
                        result[meta] = item["error"]?.ToString() ?? item["code"]?.ToString() ?? "unprocessed";
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // not CleverTap's answer shape: nothing more to learn
        }
        return result;
    }
}
