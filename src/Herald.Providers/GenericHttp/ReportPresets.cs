namespace Herald.Providers.GenericHttp;

/// <summary>
/// The built-in report formats, each a <see cref="ReportDeclaration"/> read by <see cref="DeclaredReportFormat"/> like any declared one
/// (docs/generic-provider.md lists them).
/// </summary>
public static class ReportPresets
{
    /// <summary>
    /// CleverTap's generic SMS callback (protocols.md §2): a JSON array of <c>{"event", "data": [{"ts", "meta", "code", "description"}]}</c>
    /// groups, <c>meta</c> being the <c>$$MessageID</c>; a <c>failed</c> event's code picks the state.
    /// </summary>
    public static ReportDeclaration CleverTap { get; } = new()
    {
        Preset = "clevertap",
        Source = "json",
        Records = "[*].data",
        HeraldId = "meta",
        Status = "^event",
        ErrorCode = "code",
        ErrorDescription = "description",
        Time = "ts",
        Statuses =
        [
            new() { Match = "delivered", State = "delivered" },
            new() { Match = "failed", Detail = "^(901|906|907|908|913|920)$", State = "rejected" },
            new() { Match = "failed", Detail = "^(916|917)$", State = "expired" },
            new() { Match = "failed", Detail = "^914$", State = "undelivered" },
            new() { Match = "failed", State = "failed", RequireErrorCode = true },
            new() { Match = "clicked", State = "event" },
            new() { Match = "replied", State = "event" },
        ],
        UnknownStatus = "unprocessed",
        Answer = new() { UnusableStatus = 200 },
    };

    private const string AnyStatus = "/.*/";
    private const string FailureStatus = "/^(failed|not[-_ ]?sent|rejected)$/";
    private const string UndeliveredStatus = "/^undeliv(ered)?$/";

    /// <summary>
    /// Kaleyra's SMS callback (protocols.md §3): <c>id</c>, <c>status</c>, <c>status_details</c> (the trace code), <c>ref</c> (Herald's
    /// message id), <c>delivered_at</c>, as a query string, a form or JSON (one object or an array). The trace code decides before the
    /// status (CON-DND is a rejection whatever the status says), and failures carry CleverTap's code for it (for the connector's relay).
    /// </summary>
    public static ReportDeclaration Kaleyra { get; } = new()
    {
        Preset = "kaleyra",
        Source = "auto",
        HeraldId = "ref",
        ProviderId = "id|message_id|sid",
        Status = "status",
        ErrorDescription = "status_details|statusDetails|error_code",
        Time = "delivered_at|datetime|updated_at",
        Statuses =
        [
            new() { Match = AnyStatus, Detail = "^(con[-_ ]dnd|dnd)$", State = "rejected", Code = "901" },
            new() { Match = AnyStatus, Detail = "^template[-_ ]not[-_ ]found$", State = "rejected", Code = "908" },
            new() { Match = AnyStatus, Detail = "^(blacklist(ed)?|blocked[-_ ]country)$", State = "rejected", Code = "903" },
            new() { Match = AnyStatus, Detail = "^opt[-_ ]out$", State = "rejected", Code = "909" },
            new() { Match = AnyStatus, Detail = "^expired$", State = "expired", Code = "916" },
            new() { Match = "/^(sent|submitted|enroute)$/", State = "sent" },
            new() { Match = "/^(delivered|delivrd)$/", State = "delivered" },
            new() { Match = FailureStatus, Detail = "^invalid[-_ ]sub$", State = "failed", Code = "910" },
            new() { Match = FailureStatus, Detail = "^no[-_ ]credits$", State = "failed", Code = "904" },
            new() { Match = FailureStatus, State = "failed", Code = "900" },
            new() { Match = UndeliveredStatus, Detail = "^invalid[-_ ]sub$", State = "undelivered", Code = "910" },
            new() { Match = UndeliveredStatus, Detail = "^no[-_ ]credits$", State = "undelivered", Code = "904" },
            new() { Match = UndeliveredStatus, State = "undelivered", Code = "914" },
            new() { Match = "expired", State = "expired", Code = "916" },
        ],
        UnknownStatus = "unprocessed",
        Answer = new() { UnusableStatus = 200 },
    };

    /// <summary>
    /// Kannel's <c>dlr-url</c> with its escape codes, as the recipe in docs/generic-provider.md writes it:
    /// <c>$$CallbackURL?id=$$MessageID&amp;status=%d&amp;answer=%A&amp;smsc-id=%F&amp;at=%T</c>. <c>%d</c> is the DLR type: 1 delivered,
    /// 2 undelivered, 4 buffered (timeline only), 8 accepted by the SMSC (sent), 16 rejected by the SMSC.
    /// </summary>
    public static ReportDeclaration Kannel { get; } = new()
    {
        Preset = "kannel",
        Source = "query",
        HeraldId = "id",
        ProviderId = "smsc-id",
        Status = "status",
        ErrorDescription = "answer",
        Time = "at",
        Statuses =
        [
            new() { Match = "1", State = "delivered" },
            new() { Match = "2", State = "undelivered" },
            new() { Match = "4", State = "event" },
            new() { Match = "8", State = "sent" },
            new() { Match = "16", State = "rejected" },
        ],
        UnknownStatus = "unprocessed",
        Answer = new() { Status = 200, Body = "OK", ContentType = "text/plain" },
    };

    /// <summary>The preset with this name; null for <c>auto</c>, <c>custom</c> and unknown names.</summary>
    public static ReportDeclaration? Named(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "clevertap" => CleverTap,
        "kaleyra" => Kaleyra,
        "kannel" => Kannel,
        _ => null,
    };
}
