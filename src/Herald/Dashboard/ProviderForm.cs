using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Api.Providers;
using Herald.Providers.GenericHttp;
using Herald.Providers.Kaleyra;

namespace Herald.Dashboard;

/// <summary>One key/value row of the Headers or Parameters tab.</summary>
public sealed class KeyValueRow
{
    /// <summary>The key.</summary>
    public string? Key { get; set; }

    /// <summary>The value (placeholders allowed).</summary>
    public string? Value { get; set; }
}

/// <summary>
/// The provider form as posted: the seed's "Other (Generic)" fields in order, and the fields of a Kaleyra provider.
/// Only the fields of <see cref="Kind"/> are sent to the provider service.
/// </summary>
public sealed class ProviderFormModel
{
    /// <summary>generic or kaleyra.</summary>
    public string Kind { get; set; } = "generic";

    /// <summary>Nickname.</summary>
    public string? Nickname { get; set; }

    // ------------------------------------------------ generic

    /// <summary>POST or GET.</summary>
    public string RequestType { get; set; } = "POST";

    /// <summary>HTTP Endpoint.</summary>
    public string? Endpoint { get; set; }

    /// <summary>none or basic.</summary>
    public string AuthType { get; set; } = "none";

    /// <summary>Basic auth user name.</summary>
    public string? Username { get; set; }

    /// <summary>Basic auth password (<c>****</c> keeps the stored one).</summary>
    public string? Password { get; set; }

    /// <summary>Headers tab.</summary>
    public List<KeyValueRow> Headers { get; set; } = [];

    /// <summary>form (x-www-form-urlencoded) or json.</summary>
    public string BodyType { get; set; } = "form";

    /// <summary>Parameters tab, x-www-form-urlencoded.</summary>
    public List<KeyValueRow> Parameters { get; set; } = [];

    /// <summary>Parameters tab, JSON.</summary>
    public string? JsonTemplate { get; set; }

    /// <summary>e164 or digits.</summary>
    public string ToFormat { get; set; } = "e164";

    /// <summary>Answer timeout in seconds, as typed.</summary>
    public string? TimeoutSeconds { get; set; }

    /// <summary>Answer rules.</summary>
    public string? SuccessPattern { get; set; }

    /// <summary>Answer rules.</summary>
    public string? PermanentFailurePattern { get; set; }

    /// <summary>Answer rules.</summary>
    public string? TransientFailurePattern { get; set; }

    /// <summary>Answer rules.</summary>
    public string? MessageIdPath { get; set; }

    /// <summary>Answer rules.</summary>
    public string? MessageIdPattern { get; set; }

    // ------------------------------------------------ kaleyra

    /// <summary>Kaleyra API key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Kaleyra SID.</summary>
    public string? Sid { get; set; }

    /// <summary>Kaleyra API host.</summary>
    public string? Host { get; set; }

    /// <summary>Allow a host outside Kaleyra's list.</summary>
    public bool AllowCustomHost { get; set; }

    /// <summary>sms or messages.</summary>
    public string KaleyraEndpoint { get; set; } = "sms";

    /// <summary>Default sender id.</summary>
    public string? Sender { get; set; }

    /// <summary>Kaleyra type.</summary>
    public string KaleyraType { get; set; } = "DEFAULT";

    /// <summary>DLT entity id.</summary>
    public string? EntityId { get; set; }

    /// <summary>auto, always or never.</summary>
    public string Unicode { get; set; } = "auto";
}

/// <summary>Turns the form into the API's provider input and a stored provider back into the form.</summary>
internal static class ProviderForms
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The seed's four headers (step 4).</summary>
    public static IReadOnlyList<(string Key, string Value, string Hint)> KaleyraHeaders { get; } =
    [
        ("api-key", "", "API Key from Kaleyra"),
        ("sid", "", "SID from Kaleyra"),
        ("kaleyra-host", "api.in.kaleyra.io", "API domain from Kaleyra"),
        ("callback_url", "$$CallbackURL", "the Callback URL above"),
    ];

    /// <summary>The seed's eight parameters (step 6).</summary>
    public static IReadOnlyList<(string Key, string Value)> KaleyraParameters { get; } =
    [
        ("to", "$$To"), ("sender", "$$Sender"), ("body", "$$Body"), ("template_id", "$$TemplateID"),
        ("message_id", "$$MessageID"), ("campaign_id", "$$CampaignID"), ("type", "$$TYPE"), ("long_url", "$$LongURL"),
    ];

    /// <summary>The placeholders shown beside the form.</summary>
    public static IReadOnlyList<(string Placeholder, string Meaning)> Placeholders { get; } =
    [
        ("$$To", "the recipient (mandatory)"),
        ("$$Body", "the message text"),
        ("$$TemplateID", "the DLT template id (optional)"),
        ("$$MessageID", "Herald's message id, echoed in delivery reports"),
        ("$$CampaignID", "the campaign id (optional)"),
        ("$$TemplateVariables", "the template's variables (optional)"),
        ("$$CallbackURL", "this provider's Callback URL (a Herald extension)"),
        ("$$Anything", "a custom field, e.g. $$Sender, $$TYPE, $$LongURL: asked for when sending"),
    ];

    public static ProviderFormModel NewGeneric() => new()
    {
        Kind = "generic",
        Headers = [new KeyValueRow()],
        Parameters = [new KeyValueRow { Key = "to", Value = "$$To" }, new KeyValueRow { Key = "body", Value = "$$Body" }],
    };

    public static ProviderFormModel NewKaleyra() => new() { Kind = "kaleyra", Host = "api.in.kaleyra.io" };

    /// <summary>Drops rows with neither key nor value (an "Add" clicked once too often), so errors line up with what is shown.</summary>
    public static void Tidy(ProviderFormModel form)
    {
        form.Headers = (form.Headers ?? []).Where(r => !string.IsNullOrWhiteSpace(r.Key) || !string.IsNullOrEmpty(r.Value)).ToList();
        form.Parameters = (form.Parameters ?? []).Where(r => !string.IsNullOrWhiteSpace(r.Key) || !string.IsNullOrEmpty(r.Value)).ToList();
    }

    public static ProviderInput ToInput(ProviderFormModel form)
    {
        JsonObject settings;
        if (string.Equals(form.Kind, "kaleyra", StringComparison.OrdinalIgnoreCase))
        {
            settings = new JsonObject
            {
                ["apiKey"] = form.ApiKey ?? "",
                ["sid"] = form.Sid ?? "",
                ["host"] = form.Host ?? "",
                ["allowCustomHost"] = form.AllowCustomHost,
                ["endpoint"] = form.KaleyraEndpoint,
                ["sender"] = Blank(form.Sender),
                ["type"] = form.KaleyraType,
                ["entityId"] = Blank(form.EntityId),
                ["unicode"] = form.Unicode,
                ["timeoutSeconds"] = Timeout(form.TimeoutSeconds),
            };
        }
        else
        {
            var json = string.Equals(form.BodyType, "json", StringComparison.OrdinalIgnoreCase);
            settings = new JsonObject
            {
                ["requestType"] = form.RequestType,
                ["endpoint"] = form.Endpoint?.Trim() ?? "",
                ["authentication"] = string.Equals(form.AuthType, "basic", StringComparison.OrdinalIgnoreCase)
                    ? new JsonObject { ["type"] = "basic", ["username"] = form.Username ?? "", ["password"] = form.Password ?? "" }
                    : new JsonObject { ["type"] = "none" },
                ["headers"] = Rows(form.Headers),
                ["bodyType"] = json ? "json" : "form",
                ["parameters"] = json ? new JsonArray() : Rows(form.Parameters),
                ["jsonTemplate"] = json ? form.JsonTemplate ?? "" : null,
                ["toFormat"] = form.ToFormat,
                ["timeoutSeconds"] = Timeout(form.TimeoutSeconds),
            };
            var rules = new JsonObject
            {
                ["successPattern"] = Blank(form.SuccessPattern),
                ["permanentFailurePattern"] = Blank(form.PermanentFailurePattern),
                ["transientFailurePattern"] = Blank(form.TransientFailurePattern),
                ["messageIdPath"] = Blank(form.MessageIdPath),
                ["messageIdPattern"] = Blank(form.MessageIdPattern),
            };
            if (rules.Any(r => r.Value is not null))
            {
                settings["response"] = rules;
            }
        }
        return new ProviderInput(form.Nickname, form.Kind, JsonSerializer.SerializeToElement(settings));
    }

    /// <summary>The form for a stored provider; its settings arrive masked, so secrets read <c>****</c>.</summary>
    public static ProviderFormModel FromView(ProviderView view)
    {
        if (string.Equals(view.Kind, "kaleyra", StringComparison.OrdinalIgnoreCase))
        {
            var k = view.Settings.Deserialize<KaleyraSettings>(Web) ?? new KaleyraSettings();
            return new ProviderFormModel
            {
                Kind = "kaleyra", Nickname = view.Nickname, ApiKey = k.ApiKey, Sid = k.Sid, Host = k.Host, AllowCustomHost = k.AllowCustomHost,
                KaleyraEndpoint = k.Endpoint, Sender = k.Sender, KaleyraType = k.Type, EntityId = k.EntityId, Unicode = k.Unicode,
                TimeoutSeconds = k.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        var g = view.Settings.Deserialize<GenericHttpSettings>(Web) ?? new GenericHttpSettings();
        return new ProviderFormModel
        {
            Kind = view.Kind,
            Nickname = view.Nickname,
            RequestType = g.RequestType,
            Endpoint = g.Endpoint,
            AuthType = g.Authentication?.Type ?? "none",
            Username = g.Authentication?.Username,
            Password = g.Authentication?.Password,
            Headers = (g.Headers ?? []).Select(h => new KeyValueRow { Key = h.Key, Value = h.Value }).ToList(),
            BodyType = g.BodyType,
            Parameters = (g.Parameters ?? []).Select(p => new KeyValueRow { Key = p.Key, Value = p.Value }).ToList(),
            JsonTemplate = g.JsonTemplate,
            ToFormat = g.ToFormat,
            TimeoutSeconds = g.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            SuccessPattern = g.Response?.SuccessPattern,
            PermanentFailurePattern = g.Response?.PermanentFailurePattern,
            TransientFailurePattern = g.Response?.TransientFailurePattern,
            MessageIdPath = g.Response?.MessageIdPath,
            MessageIdPattern = g.Response?.MessageIdPattern,
        };
    }

    /// <summary>The host a provider sends to, for the list.</summary>
    public static string EndpointHost(ProviderView view)
    {
        var property = string.Equals(view.Kind, "kaleyra", StringComparison.OrdinalIgnoreCase) ? "host" : "endpoint";
        if (view.Settings.ValueKind != JsonValueKind.Object || !view.Settings.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return "";
        }
        var text = value.GetString() ?? "";
        return Uri.TryCreate(text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text, UriKind.Absolute, out var uri)
            ? uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}"
            : text;
    }

    private static JsonArray Rows(List<KeyValueRow>? rows) =>
        new((rows ?? []).Select(r => (JsonNode)new JsonObject { ["key"] = r.Key?.Trim() ?? "", ["value"] = r.Value ?? "" }).ToArray());

    // A number goes as a number; anything else as typed, so validation names the field.
    private static JsonValue Timeout(string? value) =>
        string.IsNullOrWhiteSpace(value) ? JsonValue.Create(30)
        : int.TryParse(value.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? JsonValue.Create(seconds)
        : JsonValue.Create(value.Trim());

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
