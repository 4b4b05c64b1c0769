using Herald.Providers.Abstractions;

namespace Herald.Providers.GenericHttp;

/// <summary>The "Other (Generic)" form: CleverTap's form field for field (seed), with the Kaleyra preset of the seed.</summary>
internal static class GenericHttpForm
{
    /// <summary>The seed's four headers (step 4), for the preset.</summary>
    public static IReadOnlyList<FormPresetRow> KaleyraHeaders { get; } =
    [
        new("api-key", "", "API Key from Kaleyra"),
        new("sid", "", "SID from Kaleyra"),
        new("kaleyra-host", "api.in.kaleyra.io", "API domain from Kaleyra"),
        new("callback_url", "$$CallbackURL", "the Callback URL above"),
    ];

    /// <summary>The seed's eight parameters (step 6), for the preset.</summary>
    public static IReadOnlyList<FormPresetRow> KaleyraParameters { get; } =
    [
        new("to", "$$To"), new("sender", "$$Sender"), new("body", "$$Body"), new("template_id", "$$TemplateID"),
        new("message_id", "$$MessageID"), new("campaign_id", "$$CampaignID"), new("type", "$$TYPE"), new("long_url", "$$LongURL"),
    ];

    private static readonly FormCondition Basic = new("authentication.type", "basic");

    public static ProviderFormDescriptor Descriptor { get; } = new(
        "Any HTTP SMS API, configured from this form, field for field as CleverTap's \"Other (Generic)\" provider.",
        [
            new FormField("requestType", "request-type", "Request Type", FormInput.Select)
            {
                Default = "POST", Options = [new("POST", "POST"), new("GET", "GET")],
            },
            new FormField("endpoint", "endpoint", "HTTP Endpoint")
            {
                Hint = "The URL your provider gave you. It must begin with `https://`.", Placeholder = "https://api.example.com/v1/sms", InputMode = "url", Code = false,
            },
            new FormGroup(FormGroupStyle.Fieldset,
            [
                new FormField("authentication.type", "auth-type", "Authentication type", FormInput.Select)
                {
                    HideLabel = true, Default = "none", Options = [new("none", "No Authentication"), new("basic", "Basic Authentication")],
                    MoreErrors = ["settings.authentication"],
                },
                new FormGroup(FormGroupStyle.Grid,
                [
                    new FormField("authentication.username", "auth-username", "Username"),
                    new FormField("authentication.password", "auth-password", "Password", FormInput.Secret) { SavedHint = "Stored encrypted; leave `****` to keep it." },
                ]) { When = Basic },
            ]) { Title = "Authentication" },
            new FormGroup(FormGroupStyle.Tabs,
            [
                new FormGroup(FormGroupStyle.Tab,
                [
                    new FormRows("headers", "headers", "Header")
                    {
                        Default = [new("", "")],
                        Hint = "Secret-looking values (api-key, sid, token, password, authorization) are stored encrypted and shown as `****`.",
                    },
                ]) { Id = "headers", Title = "Headers" },
                new FormGroup(FormGroupStyle.Tab,
                [
                    new FormField("bodyType", "body-type", "Type", FormInput.Radio)
                    {
                        Default = "form", Options = [new("form", "x-www-form-urlencoded"), new("json", "JSON")],
                    },
                    new FormRows("parameters", "parameters", "Parameter")
                    {
                        Default = [new("to", "$$To"), new("body", "$$Body")], When = new("bodyType", "form"),
                    },
                    new FormField("jsonTemplate", "json-template", "JSON body template", FormInput.Multiline)
                    {
                        Code = true, Placeholder = """{"to": "$$To", "text": "$$Body", "ref": "$$MessageID"}""",
                        Hint = "Placeholders go inside JSON strings; the body must be valid JSON once they are filled in.", When = new("bodyType", "json"),
                    },
                ]) { Id = "parameters", Title = "Parameters" },
            ]) { Title = "Request content" },
            new FormGroup(FormGroupStyle.Details,
            [
                new FormGroup(FormGroupStyle.Grid,
                [
                    new FormField("toFormat", "to-format", "$$To format", FormInput.Select)
                    {
                        Default = "e164", Options = [new("e164", "E.164 (+919812345678)"), new("digits", "Digits (919812345678)")],
                    },
                    new FormField("timeoutSeconds", "timeout", "Timeout (seconds)", FormInput.Number) { Default = "30", InputMode = "numeric" },
                ]),
                new FormNote("Optional rules on the answer's body (regular expressions); without them 2xx is accepted, 408/429/5xx are retried and other 4xx fail."),
                new FormGroup(FormGroupStyle.Grid,
                [
                    Rule("successPattern", "rule-SuccessPattern", "Success pattern"),
                    Rule("permanentFailurePattern", "rule-PermanentFailurePattern", "Permanent failure pattern"),
                    Rule("transientFailurePattern", "rule-TransientFailurePattern", "Transient failure pattern"),
                    Rule("messageIdPath", "rule-MessageIdPath", "Message id path (JSON), e.g. data[0].message_id"),
                    Rule("messageIdPattern", "rule-MessageIdPattern", "Message id pattern (first group)"),
                ]),
            ]) { Title = "Advanced: number format, timeout, answer rules" },
        ])
    {
        HostPath = "endpoint",
        Presets =
        [
            new FormPreset("kaleyra", "Fill with Kaleyra preset")
            {
                Nickname = "Kaleyra_SMS",
                Values = new Dictionary<string, string> { ["requestType"] = "POST", ["bodyType"] = "form" },
                Rows = new Dictionary<string, IReadOnlyList<FormPresetRow>> { ["headers"] = KaleyraHeaders, ["parameters"] = KaleyraParameters },
                KeepTyped = ["headers"],
                Focus = "endpoint",
            },
        ],
        Placeholders =
        [
            new("$$To", "the recipient (mandatory)"),
            new("$$Body", "the message text"),
            new("$$TemplateID", "the DLT template id (optional)"),
            new("$$MessageID", "Herald's message id, echoed in delivery reports"),
            new("$$CampaignID", "the campaign id (optional)"),
            new("$$TemplateVariables", "the template's variables (optional)"),
            new("$$CallbackURL", "this provider's Callback URL (a Herald extension)"),
            new("$$Anything", "a custom field, e.g. $$Sender, $$TYPE, $$LongURL: asked for when sending"),
        ],
    };

    private static FormField Rule(string name, string id, string label) =>
        new("response." + name, id, label) { Optional = true, Code = true };
}
