using Herald.Core.DeliveryReports;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Twilio;

/// <summary>
/// Twilio's incoming-message webhook (the number's "A message comes in" URL): a signed form POST with <c>MessageSid</c>,
/// <c>From</c>, <c>To</c> and <c>Body</c> (plus AccountSid, NumMedia and the like, which Herald keeps in the raw record). The
/// signature is checked as for status callbacks; Herald answers an empty TwiML <c>&lt;Response/&gt;</c>, so Twilio sends nothing
/// itself (Herald's own confirmation goes out through the API, recorded like any message).
/// </summary>
internal sealed class TwilioInboundFormat : IInboundMessageFormat
{
    private static readonly FieldInboundFormat Fields = new("Twilio posts a form with From, To, Body and MessageSid",
        new InboundFieldNames(["From"], ["To"], ["Body"], ["MessageSid", "SmsSid", "SmsMessageSid"]));

    public CallbackReply? Reply { get; } = new(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml");

    public IReadOnlyList<InboundMessage> Parse(DlrRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!CallbackFields.IsForm(request.ContentType) || request.Body.AsSpan().Trim().Length == 0)
        {
            throw new DlrFormatException("The body is not a Twilio incoming message: Twilio posts a form with From, To, Body and MessageSid.");
        }
        return Fields.Parse(request);
    }

    public string? Verify(DlrCallback callback, Func<IProviderSettings> settings) => TwilioReportFormat.VerifySignature(callback, settings, "incoming messages");
}
