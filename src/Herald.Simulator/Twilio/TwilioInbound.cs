namespace Herald.Simulator.Twilio;

/// <summary>
/// A person's SMS to a Twilio number, as Twilio forwards it to the number's "A message comes in" webhook: a form POST with
/// <c>MessageSid</c>, <c>SmsSid</c>, <c>SmsMessageSid</c>, <c>AccountSid</c>, <c>From</c>, <c>To</c>, <c>Body</c>, <c>NumMedia</c>,
/// <c>NumSegments</c>, <c>SmsStatus</c> <c>received</c> and <c>ApiVersion</c>, signed (<c>X-Twilio-Signature</c>) with the face's
/// auth token over the URL and the sorted fields, as Twilio signs it.
/// </summary>
internal static class TwilioInbound
{
    public static HttpRequestMessage Request(SimulatorOptions options, Uri url, string sid, string from, string? to, string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ToCountry"] = "US",
            ["SmsMessageSid"] = sid,
            ["NumMedia"] = "0",
            ["SmsSid"] = sid,
            ["SmsStatus"] = "received",
            ["Body"] = text,
            ["To"] = to ?? "",
            ["NumSegments"] = "1",
            ["MessageSid"] = sid,
            ["AccountSid"] = options.TwilioAccountSid,
            ["From"] = from,
            ["ApiVersion"] = "2010-04-01",
        };
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add(TwilioSigner.Header, TwilioSigner.Sign(options.TwilioAuthToken, url.AbsoluteUri, fields));
        return request;
    }
}
