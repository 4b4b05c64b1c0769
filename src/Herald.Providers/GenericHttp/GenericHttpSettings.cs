using Herald.Providers.Abstractions;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Providers.GenericHttp;

/// <summary>The "Other (Generic)" provider form, field for field (seed, DESIGN.md).</summary>
public sealed class GenericHttpSettings : Abstractions.IProviderSettings
{
    /// <summary>GET or POST. Default POST.</summary>
    public string RequestType { get; set; } = "POST";

    /// <summary>The HTTP endpoint; https (plain http only to loopback when allowed). Placeholders allowed in path and query.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>None or Basic.</summary>
    public AuthenticationSettings Authentication { get; set; } = new();

    /// <summary>Headers sent with every request; values may hold placeholders.</summary>
    public List<KeyValueSetting> Headers { get; set; } = [];

    /// <summary><c>form</c> (x-www-form-urlencoded, default) or <c>json</c>.</summary>
    public string BodyType { get; set; } = "form";

    /// <summary>Form (or, for GET, query) parameters; values may hold placeholders.</summary>
    public List<KeyValueSetting> Parameters { get; set; } = [];

    /// <summary>The JSON body when <see cref="BodyType"/> is json; placeholders inside JSON strings.</summary>
    public string? JsonTemplate { get; set; }

    /// <summary>How <c>$$To</c> is written: <c>e164</c> (default, with +) or <c>digits</c>.</summary>
    public string ToFormat { get; set; } = "e164";

    /// <summary>How long to wait for an answer. Default 30 s.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Optional rules that read the answer's body (as Kannel's generic SMSC does).</summary>
    public ResponseRules? Response { get; set; }

    /// <summary>How this provider's delivery reports read (absent: CleverTap's format or Kaleyra's fields, as always).</summary>
    public ReportDeclaration? Reports { get; set; }

    /// <summary>The field names of the provider's inbound messages (absent: <c>from</c>, <c>to</c>, <c>text</c>, <c>id</c> and their usual alternatives).</summary>
    public InboundDeclaration? Inbound { get; set; }
}

/// <summary>
/// Where a generic provider's inbound messages carry the sender, the number written to, the text and its own id: a field of a form
/// or query string, or a JSON name or dotted path (<c>payload.text</c>). Each is optional; an absent one keeps the default names.
/// </summary>
public sealed class InboundDeclaration
{
    /// <summary>The sender's number (default <c>from</c>, <c>sender</c>, <c>mobile</c>, <c>msisdn</c>).</summary>
    public string? From { get; set; }

    /// <summary>The number written to (default <c>to</c>, <c>receiver</c>, <c>number</c>).</summary>
    public string? To { get; set; }

    /// <summary>The text (default <c>text</c>, <c>message</c>, <c>body</c>, <c>content</c>).</summary>
    public string? Text { get; set; }

    /// <summary>The provider's id for the message (default <c>id</c>, <c>messageId</c>, <c>message_id</c>).</summary>
    public string? Id { get; set; }

    /// <summary>The default names.</summary>
    internal static InboundFieldNames Defaults { get; } = new(["from", "sender", "mobile", "msisdn"], ["to", "receiver", "number"],
        ["text", "message", "body", "content"], ["id", "messageId", "message_id"]);

    /// <summary>The format these names make.</summary>
    internal static FieldInboundFormat FormatOf(InboundDeclaration? declaration) => declaration is null
        ? DefaultFormat
        : new FieldInboundFormat(Describe(declaration), new InboundFieldNames(
            Names(declaration.From, Defaults.From), Names(declaration.To, Defaults.To), Names(declaration.Text, Defaults.Text), Names(declaration.Id, Defaults.Id)));

    private static readonly FieldInboundFormat DefaultFormat = new("this provider's inbound messages carry from, to, text and id (settings.inbound names other fields)", Defaults);

    private static IReadOnlyList<string> Names(string? declared, IReadOnlyList<string> defaults) => string.IsNullOrWhiteSpace(declared) ? defaults : [declared.Trim()];

    private static string Describe(InboundDeclaration d) =>
        $"this provider's inbound messages carry {d.From ?? "from"}, {d.To ?? "to"}, {d.Text ?? "text"} and {d.Id ?? "id"} (settings.inbound)";
}

/// <summary>Authentication of a generic provider.</summary>
public sealed class AuthenticationSettings
{
    /// <summary><c>none</c> (default) or <c>basic</c>.</summary>
    public string Type { get; set; } = "none";

    /// <summary>Basic auth user name.</summary>
    public string? Username { get; set; }

    /// <summary>Basic auth password (a secret: masked in every answer).</summary>
    public string? Password { get; set; }
}

/// <summary>A key/value row of the form.</summary>
public sealed class KeyValueSetting
{
    /// <summary>The key.</summary>
    public string Key { get; set; } = "";

    /// <summary>The value, with placeholders.</summary>
    public string Value { get; set; } = "";

    /// <summary>
    /// Whether the value is a secret (encrypted at rest, shown as <c>****</c>, masked in timelines and exports).
    /// Null (the default, and every row stored before the flag existed) leaves it to the key's name (<see cref="Abstractions.Secrets.IsSecretKey"/>).
    /// </summary>
    public bool? Secret { get; set; }

    /// <summary>Whether the value is treated as a secret: the explicit flag, else the key's name.</summary>
    [JsonIgnore]
    public bool IsSecret => Secret ?? Abstractions.Secrets.IsSecretKey(Key);
}

/// <summary>
/// Matchers on the answer's body, checked in this order: permanent, transient, success. When a
/// success pattern is set, a 2xx answer that does not match it is a permanent failure.
/// </summary>
public sealed class ResponseRules
{
    /// <summary>Regex: a match means the provider took the message.</summary>
    public string? SuccessPattern { get; set; }

    /// <summary>Regex: a match means a failure that retrying will not fix.</summary>
    public string? PermanentFailurePattern { get; set; }

    /// <summary>Regex: a match means a failure worth retrying.</summary>
    public string? TransientFailurePattern { get; set; }

    /// <summary>Where the provider's message id is in a JSON answer, e.g. <c>data[0].message_id</c>.</summary>
    public string? MessageIdPath { get; set; }

    /// <summary>Regex whose first group is the provider's message id.</summary>
    public string? MessageIdPattern { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GenericHttpSettings))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(ReportDeclaration))]
[JsonSerializable(typeof(InboundDeclaration))]
internal sealed partial class GenericHttpJson : JsonSerializerContext;
