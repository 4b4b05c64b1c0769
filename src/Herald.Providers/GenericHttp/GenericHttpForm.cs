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
                new FormGroup(FormGroupStyle.Tab, ReportElements) { Id = "reports", Title = "Delivery reports" },
            ]) { Title = "Request content and delivery reports" },
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

    // Properties rather than fields: Descriptor, declared above, is built from them first.
    private static FormCondition Custom => new("reports.preset", "custom");

    /// <summary>The Delivery reports tab: a preset or the declared fields, the answer, and the preview.</summary>
    private static IReadOnlyList<FormElement> ReportElements =>
    [
        new FormField("reports.preset", "reports-preset", "Report format", FormInput.Select)
        {
            Default = "auto",
            Options =
            [
                new("auto", "Automatic: CleverTap's format or Kaleyra's fields"),
                new("clevertap", "CleverTap (JSON events with meta)"),
                new("kaleyra", "Kaleyra (id, status, status_details, ref)"),
                new("kannel", "Kannel dlr-url (id, status=%d)"),
                new("custom", "Declare the fields"),
            ],
            Hint = "How this provider calls back with delivery reports. Kannel: put `$$CallbackURL?id=$$MessageID&status=%d&answer=%A&smsc-id=%F&at=%T` in the `dlr-url` parameter.",
        },
        new FormGroup(FormGroupStyle.Grid,
        [
            new FormField("reports.source", "reports-source", "Fields are in", FormInput.Select)
            {
                Default = "auto",
                Options = [new("auto", "Automatic (JSON, form or query)"), new("query", "The query string"), new("form", "A form body"), new("json", "A JSON body")],
            },
            Declared("reports.records", "reports-records", "Records path (JSON)", "results or [*].data; empty: the body"),
            Declared("reports.heraldId", "reports-herald-id", "Herald's message id field", "the field echoing $$MessageID, e.g. ref"),
            Declared("reports.providerId", "reports-provider-id", "Provider's message id field", "e.g. message_id"),
            Declared("reports.status", "reports-status", "Status field", "e.g. status"),
            Declared("reports.errorCode", "reports-error-code", "Error code field", "e.g. err"),
            Declared("reports.errorDescription", "reports-error-description", "Error description field", "e.g. description"),
            Declared("reports.time", "reports-time", "Time field", "Unix time or ISO 8601, e.g. done_at"),
        ]) { When = Custom },
        new FormRows("reports.statuses", "reports-statuses", "Status")
        {
            When = Custom, KeyName = "match", ValueName = "state", KeyLabel = "Provider's value (or /pattern/)", ValueLabel = "Herald's state", SecretFlags = false,
            Default = [new("DELIVRD", "delivered"), new("UNDELIV", "undelivered"), new("REJECTD", "rejected")],
            Hint = "States: `sent`, `delivered`, `undelivered`, `failed`, `rejected`, `expired`, or `event` (timeline only). Values are compared ignoring case; write `/^deliv/` for a regular expression.",
        },
        new FormField("reports.unknownStatus", "reports-unknown", "Any other status value", FormInput.Select)
        {
            When = Custom, Default = "unprocessed",
            Options =
            [
                new("unprocessed", "Keep it unprocessed (shown in Reports)"), new("event", "Put it on the timeline only"), new("sent", "sent"), new("delivered", "delivered"),
                new("undelivered", "undelivered"), new("failed", "failed"), new("rejected", "rejected"), new("expired", "expired"),
            ],
        },
        new FormGroup(FormGroupStyle.Grid,
        [
            new FormField("reports.answer.status", "reports-answer-status", "Answer status", FormInput.Number) { Optional = true, InputMode = "numeric", Placeholder = "200" },
            new FormField("reports.answer.body", "reports-answer-body", "Answer body") { Optional = true, Code = true, Placeholder = "Herald's JSON answer (Kannel: OK)" },
        ]),
        new FormNote("For providers that retry until they see a particular reply: the status and body Herald answers a report it has taken."),
        new FormReportPreview("reports"),
    ];

    private static FormField Declared(string path, string id, string label, string placeholder) =>
        new(path, id, label) { Optional = true, Code = true, Placeholder = placeholder };

    private static FormField Rule(string name, string id, string label) =>
        new("response." + name, id, label) { Optional = true, Code = true };
}
