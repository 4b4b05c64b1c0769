using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Providers.Kaleyra;

/// <summary>
/// The settings of a <c>kaleyra</c> provider: Kaleyra's SMS API (protocols.md §3) without a
/// generic form. Sends <c>POST {host}/v1/{sid}/{endpoint}</c> with the <c>api-key</c> header.
/// </summary>
public sealed class KaleyraSettings : Abstractions.IProviderSettings
{
    /// <summary>Kaleyra's API key (a secret: masked as <c>****</c> in every answer, encrypted at rest). Required.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The account SID, the path segment after <c>/v1/</c> (a secret like the key: masked and encrypted at rest). Required.</summary>
    public string Sid { get; set; } = "";

    /// <summary>
    /// The API host: <c>api.in.kaleyra.io</c> (India), <c>api.kaleyra.io</c> or <c>api.ap.kaleyra.io</c>
    /// (Singapore), <c>api.eu.kaleyra.io</c> (EU), <c>api.na.kaleyra.ai</c> (North America): the one
    /// the account lives on. Required. Any other host only with <see cref="AllowCustomHost"/>.
    /// </summary>
    public string Host { get; set; } = "";

    /// <summary>
    /// Allows a host outside Kaleyra's list (the simulator): <c>host[:port]</c> over https, or
    /// <c>http://127.0.0.1:port</c> when plain http to loopback is allowed. Default false.
    /// </summary>
    public bool AllowCustomHost { get; set; }

    /// <summary><c>sms</c> (default, Kaleyra's recommended <c>/v1/{sid}/sms</c>) or <c>messages</c> (the older <c>/v1/{sid}/messages</c>).</summary>
    public string Endpoint { get; set; } = "sms";

    /// <summary>The sender id used when a message names none.</summary>
    public string? Sender { get; set; }

    /// <summary>The Kaleyra type for messages of Herald type default or test: OTP, DEFAULT (default), MKT or TXN.</summary>
    public string Type { get; set; } = "DEFAULT";

    /// <summary>The India DLT principal entity id (12 to 19 characters), sent as <c>entity_id</c> when set.</summary>
    public string? EntityId { get; set; }

    /// <summary><c>auto</c> (default: <c>unicode=1</c> when the text is not GSM-7), <c>always</c> or <c>never</c>.</summary>
    public string Unicode { get; set; } = "auto";

    /// <summary>How long to wait for Kaleyra's answer, 1 to 120 seconds. Default 30.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Whether a message must have a sender id (the connector forwards CleverTap's request as is and lets Kaleyra judge). Not stored.</summary>
    [JsonIgnore]
    public bool RequireSender { get; set; } = true;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KaleyraSettings))]
internal sealed partial class KaleyraJson : JsonSerializerContext;
