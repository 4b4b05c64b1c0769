using System.Text.Json;
using Herald.Core.Placeholders;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Kaleyra;

/// <summary>The native Kaleyra provider: Kaleyra's SMS API from a handful of settings, no generic form.</summary>
internal sealed class KaleyraKind(IHttpClientFactory httpClientFactory, TimeProvider time) : IProviderKind
{
    public const string Name = "kaleyra";

    /// <summary>Kaleyra's API hosts (protocols.md §3).</summary>
    public static readonly IReadOnlyList<string> KnownHosts = ["api.in.kaleyra.io", "api.kaleyra.io", "api.ap.kaleyra.io", "api.eu.kaleyra.io", "api.na.kaleyra.ai"];

    /// <summary>Kaleyra's message types.</summary>
    public static readonly IReadOnlyList<string> Types = ["OTP", "DEFAULT", "MKT", "TXN"];

    private const string HostList = "api.in.kaleyra.io (India), api.kaleyra.io or api.ap.kaleyra.io (Singapore), api.eu.kaleyra.io (EU), api.na.kaleyra.ai (North America)";

    public string Kind => Name;
    public string DisplayName => "Kaleyra";
    public IDeliveryReportFormat Reports { get; } = new KaleyraReportFormat();
    public IInboundMessageFormat? Inbound => KaleyraInboundFormat.Instance;
    public ProviderFormDescriptor Form => KaleyraForm.Descriptor;

    public ProviderValidation Validate(JsonElement settings, ProviderValidationContext context)
    {
        var validation = new SettingsValidation();
        var Error = validation.Error;
        var parsed = validation.Read(settings, KaleyraJson.Default.KaleyraSettings, "apiKey, sid and host (and optionally endpoint, sender, type, entityId, unicode)");
        if (parsed is null)
        {
            return validation.Result(null);
        }

        // JSON null deserialises to null even where the type says otherwise: default what may be absent.
        parsed.ApiKey = (parsed.ApiKey ?? "").Trim();
        if (parsed.ApiKey.Length == 0)
        {
            Error("settings.apiKey", "apiKey is required: the API key from Kaleyra's console (Developers > API Keys).");
        }
        else if (parsed.ApiKey.Any(char.IsControl))
        {
            Error("settings.apiKey", "apiKey cannot contain line breaks or control characters: paste the key exactly as Kaleyra shows it.");
        }

        parsed.Sid = (parsed.Sid ?? "").Trim();
        if (parsed.Sid.Length == 0)
        {
            Error("settings.sid", "sid is required: the SID shown next to the API key in Kaleyra's console, e.g. HXIN1234567890AB.");
        }
        else if (parsed.Sid != Secrets.Mask && (parsed.Sid.Length > 64 || !parsed.Sid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            Error("settings.sid", $"sid '{parsed.Sid}' is not a Kaleyra SID: it has letters and digits only (e.g. HXIN1234567890AB), at most 64.");
        }

        if (NormalizeHost(parsed.Host ?? "", parsed.AllowCustomHost, context, out var host) is { } hostError)
        {
            Error("settings.host", hostError);
        }
        parsed.Host = host ?? (parsed.Host ?? "").Trim();

        parsed.Endpoint = string.IsNullOrWhiteSpace(parsed.Endpoint) ? "sms" : parsed.Endpoint.Trim().Trim('/').ToLowerInvariant();
        if (parsed.Endpoint is not ("sms" or "messages"))
        {
            Error("settings.endpoint", $"endpoint '{parsed.Endpoint}' is not supported: use sms (POST /v1/{{sid}}/sms, recommended) or messages (POST /v1/{{sid}}/messages).");
        }

        parsed.Sender = string.IsNullOrWhiteSpace(parsed.Sender) ? null : parsed.Sender.Trim();
        if (parsed.Sender is not null && SenderProblem(parsed.Sender) is { } senderError)
        {
            Error("settings.sender", senderError);
        }

        parsed.Type = string.IsNullOrWhiteSpace(parsed.Type) ? "DEFAULT" : parsed.Type.Trim().ToUpperInvariant();
        if (!Types.Contains(parsed.Type))
        {
            Error("settings.type", $"type '{parsed.Type}' is not a Kaleyra type: use OTP, DEFAULT, MKT or TXN (MKT and TXN must be enabled on the Kaleyra account).");
        }

        parsed.EntityId = string.IsNullOrWhiteSpace(parsed.EntityId) ? null : parsed.EntityId.Trim();
        if (parsed.EntityId is not null && (parsed.EntityId.Length is < 12 or > 19 || !parsed.EntityId.All(char.IsAsciiLetterOrDigit)))
        {
            Error("settings.entityId", $"entityId '{parsed.EntityId}' is not a DLT principal entity id: 12 to 19 letters or digits, as registered on the DLT portal. Leave it empty outside India.");
        }

        parsed.Unicode = string.IsNullOrWhiteSpace(parsed.Unicode) ? "auto" : parsed.Unicode.Trim().ToLowerInvariant();
        if (parsed.Unicode is not ("auto" or "always" or "never"))
        {
            Error("settings.unicode", $"unicode '{parsed.Unicode}' is not supported: use auto (unicode=1 when the text is not GSM-7), always or never.");
        }

        if (parsed.TimeoutSeconds is < 1 or > 120)
        {
            Error("settings.timeoutSeconds", "timeoutSeconds must be between 1 and 120.");
        }
        return validation.Result(JsonSerializer.Serialize(parsed, KaleyraJson.Default.KaleyraSettings));
    }

    public string TransformSecrets(string settings, Func<string, string> transform) =>
        JsonSerializer.Serialize((KaleyraSettings)Read(settings, transform), KaleyraJson.Default.KaleyraSettings);

    public IProviderSettings Read(string settings, Func<string, string> secrets)
    {
        var parsed = Parse(settings);
        if (!string.IsNullOrEmpty(parsed.ApiKey))
        {
            parsed.ApiKey = secrets(parsed.ApiKey);
        }
        if (!string.IsNullOrEmpty(parsed.Sid))
        {
            parsed.Sid = secrets(parsed.Sid); // the account SID names the account in Kaleyra's URLs: a secret like the key
        }
        return parsed;
    }

    public string KeepMaskedSecrets(string incoming, string existing)
    {
        var next = Parse(incoming);
        var old = Parse(existing);
        if (next.ApiKey == Secrets.Mask)
        {
            next.ApiKey = old.ApiKey;
        }
        if (next.Sid == Secrets.Mask)
        {
            next.Sid = old.Sid;
        }
        return JsonSerializer.Serialize(next, KaleyraJson.Default.KaleyraSettings);
    }

    // Every Kaleyra field is a setting or comes from the message: the Test SMS form asks for nothing more.
    public IReadOnlyList<(PlaceholderToken Placeholder, string? HolderKey)> CustomPlaceholders(IProviderSettings settings) => [];

    public ISmsSender CreateSender(IProviderSettings settings, ProviderInstance instance) =>
        new KaleyraSender(settings as KaleyraSettings ?? throw new ArgumentException($"Expected Kaleyra settings, got {settings.GetType().Name}.", nameof(settings)),
            instance.CallbackUrl, httpClientFactory, time);

    internal static KaleyraSettings Parse(string settings) =>
        JsonSerializer.Deserialize(settings, KaleyraJson.Default.KaleyraSettings)
        ?? throw new InvalidOperationException("Stored Kaleyra provider settings are empty.");

    /// <summary>Null when <paramref name="sender"/> can be a Kaleyra sender id; otherwise what to fix.</summary>
    internal static string? SenderProblem(string sender)
    {
        var text = sender.StartsWith('+') ? sender[1..] : sender;
        return sender.Length > 15 || text.Trim().Length == 0 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c == ' ')
            ? $"sender '{sender}' is not a sender id: up to 15 letters or digits (a number may start with +), e.g. KLRHXA (India: the 6-character DLT header)."
            : null;
    }

    /// <summary>Kaleyra's hosts, and a look-alike's when the settings allow one (<see cref="ApiHosts"/>).</summary>
    internal static readonly ApiHosts Hosts = new("Kaleyra", KnownHosts, HostList, "api.in.kaleyra.io");

    /// <summary>Reads a host setting into its stored form (<see cref="ApiHosts.Normalize"/>).</summary>
    internal static string? NormalizeHost(string raw, bool allowCustomHost, ProviderValidationContext context, out string? host) =>
        Hosts.Normalize(raw, allowCustomHost, context, out host);

    /// <summary>The base URL (scheme and authority, no trailing slash) of a normalised host setting.</summary>
    internal static string BaseUrl(string host) => ApiHosts.BaseUrl(host);

}
