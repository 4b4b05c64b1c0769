using System.Text.Json;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;

namespace Herald.Providers.GenericHttp;

/// <summary>
/// CleverTap's generic SMS callback (protocols.md §2): a JSON array of
/// <c>{"event": "...", "data": [{"ts", "meta", "code", "description", ...}]}</c> groups,
/// where <c>meta</c> is the <c>$$MessageID</c> Herald sent. Read by <see cref="ReportPresets.CleverTap"/>.
/// </summary>
public static class CleverTapDlrFormat
{
    /// <summary>The preset's reader.</summary>
    internal static DeclaredReportFormat Format { get; } = new(ReportPresets.CleverTap);

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
    public static DlrParseResult Parse(JsonElement root) => Format.ParseJson(root);

    /// <summary>Maps a <c>failed</c> code to Herald's state (protocols.md §5), by the preset's status map.</summary>
    public static DeliveryState StateForFailureCode(string? code) => Format.Map("failed", code).State ?? DeliveryState.Failed;
}
