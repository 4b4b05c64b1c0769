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

    /// <summary>Whether a JSON body looks like this format: an array of groups or one group.</summary>
    public static bool Matches(JsonElement root) =>
        root.ValueKind == JsonValueKind.Array
        || (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("event", out _) && root.TryGetProperty("data", out _));

    /// <summary>Reads every record; records that cannot be used come back as unprocessed.</summary>
    public static DlrParseResult Parse(JsonElement root) => Format.ParseJson(root);

    /// <summary>Maps a <c>failed</c> code to Herald's state (protocols.md §5), by the preset's status map.</summary>
    public static DeliveryState StateForFailureCode(string? code) => Format.Map("failed", code).State ?? DeliveryState.Failed;
}
