using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Providers.Twilio;

/// <summary>
/// The settings of a <c>twilio</c> provider: Twilio's Programmable Messaging API. Sends
/// <c>POST https://{host}/2010-04-01/Accounts/{accountSid}/Messages.json</c> with Basic auth <c>accountSid:authToken</c>.
/// </summary>
public sealed class TwilioSettings : Abstractions.IProviderSettings
{
    /// <summary>The Account SID (<c>AC</c> and 32 hex digits), the Basic auth user and the path segment after <c>/Accounts/</c>
    /// (a secret like Kaleyra's SID: masked and encrypted at rest). Required.</summary>
    public string AccountSid { get; set; } = "";

    /// <summary>The account's Auth Token: the Basic auth password and the key of every status callback's
    /// <c>X-Twilio-Signature</c> (a secret: masked as <c>****</c> in every answer, encrypted at rest). Required.</summary>
    public string AuthToken { get; set; } = "";

    /// <summary>The sender (<c>From</c>) when a message names none: a Twilio number in E.164, a short code, or an
    /// alphanumeric sender id. This or <see cref="MessagingServiceSid"/> is required.</summary>
    public string? From { get; set; }

    /// <summary>A Messaging Service (<c>MG</c> and 32 hex digits) that picks the sender, sent as <c>MessagingServiceSid</c>
    /// when a message has no sender and <see cref="From"/> is empty.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>The API host: <c>api.twilio.com</c> (the default). Any other host only with <see cref="AllowCustomHost"/>.</summary>
    public string Host { get; set; } = TwilioKind.DefaultHost;

    /// <summary>Allows a host other than Twilio's (the simulator): <c>host[:port]</c> over https, or
    /// <c>http://127.0.0.1:port</c> when plain http to loopback is allowed. Default false.</summary>
    public bool AllowCustomHost { get; set; }

    /// <summary>How long to wait for Twilio's answer, 1 to 120 seconds. Default 30.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TwilioSettings))]
internal sealed partial class TwilioJson : JsonSerializerContext;
