using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// CleverTap's generic SMS callback (protocols.md §2): a JSON array of
/// <c>{"event": "...", "data": [{"ts", "meta", "code", "description", ...}]}</c> groups,
/// where <c>meta</c> is the <c>$$MessageID</c> Herald sent.
/// </summary>
public static class CleverTapDlrFormat
{
    /// <summary>
    /// Whether a JSON body looks like this format: an array of groups or one group. An array of records that all have a
    /// <c>status</c> and none an <c>event</c> is Kaleyra's callback batch, not this format.
    /// </summary>
    public static bool Matches(JsonElement root) =>
        (root.ValueKind == JsonValueKind.Array && !IsStatusRecords(root))
        || (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("event", out _) && root.TryGetProperty("data", out _));

    private static bool IsStatusRecords(JsonElement array) =>
        array.GetArrayLength() > 0
        && array.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("status", out _) && !e.TryGetProperty("event", out _));

    /// <summary>Reads every record; records that cannot be used come back as unprocessed.</summary>
    public static DlrParseResult Parse(JsonElement root)
    {
        var reports = new List<DeliveryReport>();
        var unprocessed = new List<UnprocessedRecord>();
        IEnumerable<JsonElement> groups = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray() : [root];
        foreach (var group in groups)
        {
            if (group.ValueKind != JsonValueKind.Object
                || !group.TryGetProperty("event", out var eventElement) || eventElement.ValueKind != JsonValueKind.String
                || !group.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                unprocessed.Add(new("invalid_group", "Each element must be {\"event\": \"delivered|failed|clicked|replied\", \"data\": [...]}.", group.GetRawText()));
                continue;
            }
            var eventName = eventElement.GetString()!.Trim().ToLowerInvariant();
            foreach (var record in data.EnumerateArray())
            {
                var (report, problem) = ParseRecord(eventName, record);
                if (report is not null)
                {
                    reports.Add(report);
                }
                else
                {
                    unprocessed.Add(problem!);
                }
            }
        }
        return new DlrParseResult(reports, unprocessed);
    }

    /// <summary>Maps a <c>failed</c> code to Herald's state (protocols.md §5).</summary>
    public static DeliveryState StateForFailureCode(string? code) => code?.Trim() switch
    {
        "901" or "906" or "907" or "908" or "913" or "920" => DeliveryState.Rejected,
        "916" or "917" => DeliveryState.Expired,
        "914" => DeliveryState.Undelivered,
        _ => DeliveryState.Failed,
    };

    private static (DeliveryReport?, UnprocessedRecord?) ParseRecord(string eventName, JsonElement record)
    {
        var raw = record.GetRawText();
        if (record.ValueKind != JsonValueKind.Object)
        {
            return (null, new("invalid_record", "Each data record must be a JSON object.", raw));
        }
        var meta = ReadString(record, "meta");
        if (string.IsNullOrWhiteSpace(meta))
        {
            return (null, new("missing_meta", "meta is mandatory: it must carry the $$MessageID sent with the message.", raw));
        }
        var code = ReadString(record, "code");
        var description = ReadString(record, "description");
        DeliveryState? state;
        switch (eventName)
        {
            case "delivered":
                state = DeliveryState.Delivered;
                break;
            case "failed":
                if (string.IsNullOrWhiteSpace(code))
                {
                    return (null, new("missing_code", "code is mandatory for a failed event (900-920).", raw));
                }
                state = StateForFailureCode(code);
                break;
            case "clicked" or "replied":
                state = null;
                break;
            default:
                return (null, new("unknown_event", $"Unknown event '{eventName}': use delivered, failed, clicked or replied.", raw));
        }
        var at = ReadEpoch(record, "ts");
        return (new DeliveryReport(meta.Trim(), DlrCorrelation.HeraldMessageId, eventName, state, at, code, description, raw), null);
    }

    private static string? ReadString(JsonElement record, string name)
    {
        if (!record.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    /// <summary>9999-12-31T23:59:59.999Z, the last instant <see cref="DateTimeOffset"/> holds.</summary>
    private const long MaxUnixMilliseconds = 253_402_300_799_999;

    private static DateTimeOffset? ReadEpoch(JsonElement record, string name)
    {
        var text = ReadString(record, name);
        if (!long.TryParse(text, out var epoch) || epoch < 0)
        {
            return null;
        }
        // 13 digits means milliseconds; the spec says seconds, senders differ.
        // Out of DateTimeOffset's range is a bad ts, not a reason to fail the whole body.
        if (epoch <= 99_999_999_999)
        {
            return DateTimeOffset.FromUnixTimeSeconds(epoch);
        }
        return epoch <= MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : null;
    }
}
