using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>The Kaleyra form: the API key, SID and host, and the defaults of every message.</summary>
internal static class KaleyraForm
{
    public static ProviderFormDescriptor Descriptor { get; } = new(
        "Kaleyra's own SMS API: just the API key, SID and host.",
        [
            new FormGroup(FormGroupStyle.Grid,
            [
                new FormField("apiKey", "k-api-key", "API key", FormInput.Secret),
                new FormField("sid", "k-sid", "SID", FormInput.Secret),
                new FormField("host", "k-host", "API host")
                {
                    Default = "api.in.kaleyra.io",
                    Options = [.. KaleyraKind.KnownHosts.Select(h => new FormOption(h, h))],
                    Companion = new FormField("allowCustomHost", "k-allow-custom-host", "Allow a host outside Kaleyra's list (a simulator)", FormInput.Checkbox),
                },
                new FormField("endpoint", "k-endpoint", "API", FormInput.Select)
                {
                    Default = "sms", Options = [new("sms", "/v1/{sid}/sms"), new("messages", "/v1/{sid}/messages")],
                },
                new FormField("sender", "k-sender", "Default sender ID") { Optional = true },
                new FormField("type", "k-type", "Type", FormInput.Select)
                {
                    Default = "DEFAULT", Options = [.. new[] { "DEFAULT", "OTP", "TXN", "MKT" }.Select(t => new FormOption(t, t))],
                },
                new FormField("entityId", "k-entity", "DLT entity ID") { Optional = true },
                new FormField("unicode", "k-unicode", "Unicode", FormInput.Select)
                {
                    Default = "auto", Options = [.. new[] { "auto", "always", "never" }.Select(m => new FormOption(m, m))],
                },
                new FormField("timeoutSeconds", "k-timeout", "Timeout (seconds)", FormInput.Number) { Default = "30", InputMode = "numeric" },
            ]),
        ])
    {
        HostPath = "host",
    };
}
