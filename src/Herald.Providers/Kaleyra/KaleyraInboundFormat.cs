using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// Kaleyra's incoming SMS (a long code's or keyword's forward URL). Its field names are not public: Herald reads <c>sender</c> (or
/// <c>from</c>, <c>mobile</c>, <c>msisdn</c>) for the person's number, <c>receiver</c> (or <c>to</c>, <c>number</c>, <c>vmn</c>) for the
/// number written to, <c>message</c> (or <c>body</c>, <c>text</c>, <c>content</c>) for the text and <c>id</c> (or <c>msgid</c>,
/// <c>message_id</c>) for Kaleyra's id, as a form, a query string or JSON, like its delivery callbacks. Numbers come without <c>+</c>.
/// Herald's simulator sends this shape (<c>POST /_sim/inbound</c>).
/// </summary>
internal static class KaleyraInboundFormat
{
    public static FieldInboundFormat Instance { get; } = new("Kaleyra forwards sender, receiver, message and id (form, query or JSON)",
        new InboundFieldNames(["sender", "from", "mobile", "msisdn"], ["receiver", "to", "number", "vmn"], ["message", "body", "text", "content"], ["id", "msgid", "message_id"]));
}
