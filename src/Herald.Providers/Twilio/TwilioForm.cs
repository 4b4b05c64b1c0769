using Herald.Providers.Abstractions;

namespace Herald.Providers.Twilio;

/// <summary>The Twilio form: the Account SID and Auth Token, the sender or Messaging Service, and the host.</summary>
internal static class TwilioForm
{
    public static ProviderFormDescriptor Descriptor { get; } = new(
        "Twilio's Programmable Messaging API: the Account SID and Auth Token from the Twilio Console, and a sender.",
        [
            new FormGroup(FormGroupStyle.Grid,
            [
                new FormField("accountSid", "t-account-sid", "Account SID", FormInput.Secret)
                {
                    Hint = "From the Twilio Console's Account Info: `AC` and 32 hex digits.", Code = true,
                },
                new FormField("authToken", "t-auth-token", "Auth Token", FormInput.Secret)
                {
                    Hint = "Also the key Herald checks each status callback's `X-Twilio-Signature` with.",
                },
                new FormField("from", "t-from", "From (default sender)")
                {
                    Optional = true, Placeholder = "+15005550006",
                    Hint = "A Twilio number in E.164, a short code or an alphanumeric sender ID; a message's own sender wins.",
                },
                new FormField("messagingServiceSid", "t-messaging-service", "Messaging Service SID")
                {
                    Optional = true, Code = true, Placeholder = "MG…",
                    Hint = "Used when neither the message nor From names a sender: Twilio picks the number.",
                },
                new FormField("host", "t-host", "API host")
                {
                    Default = TwilioKind.DefaultHost,
                    Options = [new FormOption(TwilioKind.DefaultHost, TwilioKind.DefaultHost)],
                    Companion = new FormField("allowCustomHost", "t-allow-custom-host", "Allow a host other than Twilio's (a simulator)", FormInput.Checkbox),
                },
                new FormField("timeoutSeconds", "t-timeout", "Timeout (seconds)", FormInput.Number) { Default = "30", InputMode = "numeric" },
            ]),
        ])
    {
        HostPath = "host",
        CallbackHint = "Nothing to set at Twilio: Herald sends this URL as each message's `StatusCallback`, and takes only callbacks signed with the Auth Token.",
        NewCallbackHint = "Herald makes this provider's status-callback URL when you save and sends it with every message as `StatusCallback`.",
    };
}
