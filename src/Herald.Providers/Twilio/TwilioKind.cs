using System.Text.Json;
using Herald.Core.Placeholders;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Providers.Twilio;

/// <summary>The native Twilio provider: Programmable Messaging from an Account SID, an Auth Token and a sender.</summary>
internal sealed class TwilioKind(IHttpClientFactory httpClientFactory, TimeProvider time) : IProviderKind
{
    public const string Name = "twilio";

    /// <summary>Twilio's API host.</summary>
    public const string DefaultHost = "api.twilio.com";

    /// <summary>Twilio's host, and a look-alike's when the settings allow one.</summary>
    internal static readonly ApiHosts Hosts = new("Twilio", [DefaultHost], DefaultHost, DefaultHost);

    public string Kind => Name;
    public string DisplayName => "Twilio";
    public IDeliveryReportFormat Reports { get; } = new TwilioReportFormat();
    public IInboundMessageFormat? Inbound { get; } = new TwilioInboundFormat();
    public ProviderFormDescriptor Form => TwilioForm.Descriptor;

    public ProviderValidation Validate(JsonElement settings, ProviderValidationContext context)
    {
        var validation = new SettingsValidation();
        var Error = validation.Error;
        var parsed = validation.Read(settings, TwilioJson.Default.TwilioSettings, "accountSid, authToken and from or messagingServiceSid (and optionally host)");
        if (parsed is null)
        {
            return validation.Result(null);
        }

        parsed.AccountSid = (parsed.AccountSid ?? "").Trim();
        if (parsed.AccountSid.Length == 0)
        {
            Error("settings.accountSid", "accountSid is required: the Account SID on the Twilio Console's dashboard, AC followed by 32 hex digits.");
        }
        else if (parsed.AccountSid != Secrets.Mask && !IsSid(parsed.AccountSid, "AC"))
        {
            Error("settings.accountSid", "accountSid is not a Twilio Account SID: AC followed by 32 hex digits, as the Twilio Console shows it.");
        }

        parsed.AuthToken = (parsed.AuthToken ?? "").Trim();
        if (parsed.AuthToken.Length == 0)
        {
            Error("settings.authToken", "authToken is required: the Auth Token next to the Account SID on the Twilio Console's dashboard.");
        }
        else if (parsed.AuthToken.Any(char.IsControl) || parsed.AuthToken.Contains(' ', StringComparison.Ordinal))
        {
            Error("settings.authToken", "authToken cannot contain spaces, line breaks or control characters: paste it exactly as the Twilio Console shows it.");
        }

        parsed.From = string.IsNullOrWhiteSpace(parsed.From) ? null : parsed.From.Trim();
        if (parsed.From is not null && FromProblem(parsed.From) is { } fromError)
        {
            Error("settings.from", fromError);
        }

        parsed.MessagingServiceSid = string.IsNullOrWhiteSpace(parsed.MessagingServiceSid) ? null : parsed.MessagingServiceSid.Trim();
        if (parsed.MessagingServiceSid is not null && !IsSid(parsed.MessagingServiceSid, "MG"))
        {
            Error("settings.messagingServiceSid", $"messagingServiceSid '{parsed.MessagingServiceSid}' is not a Messaging Service SID: MG followed by 32 hex digits.");
        }
        if (parsed.From is null && parsed.MessagingServiceSid is null)
        {
            Error("settings.from", "Set from (a Twilio number, short code or alphanumeric sender ID) or messagingServiceSid: Twilio needs one to send.");
        }

        var rawHost = string.IsNullOrWhiteSpace(parsed.Host) ? DefaultHost : parsed.Host;
        if (Hosts.Normalize(rawHost, parsed.AllowCustomHost, context, out var host) is { } hostError)
        {
            Error("settings.host", hostError);
        }
        parsed.Host = host ?? rawHost.Trim();

        if (parsed.TimeoutSeconds is < 1 or > 120)
        {
            Error("settings.timeoutSeconds", "timeoutSeconds must be between 1 and 120.");
        }
        return validation.Result(JsonSerializer.Serialize(parsed, TwilioJson.Default.TwilioSettings));
    }

    public string TransformSecrets(string settings, Func<string, string> transform) =>
        JsonSerializer.Serialize((TwilioSettings)Read(settings, transform), TwilioJson.Default.TwilioSettings);

    public IProviderSettings Read(string settings, Func<string, string> secrets)
    {
        var parsed = Parse(settings);
        if (!string.IsNullOrEmpty(parsed.AuthToken))
        {
            parsed.AuthToken = secrets(parsed.AuthToken);
        }
        if (!string.IsNullOrEmpty(parsed.AccountSid))
        {
            parsed.AccountSid = secrets(parsed.AccountSid); // the Basic auth user and the account's URLs: a secret like Kaleyra's SID
        }
        return parsed;
    }

    public string KeepMaskedSecrets(string incoming, string existing)
    {
        var next = Parse(incoming);
        var old = Parse(existing);
        if (next.AuthToken == Secrets.Mask)
        {
            next.AuthToken = old.AuthToken;
        }
        if (next.AccountSid == Secrets.Mask)
        {
            next.AccountSid = old.AccountSid;
        }
        return JsonSerializer.Serialize(next, TwilioJson.Default.TwilioSettings);
    }

    // Every Twilio field is a setting or comes from the message: the Test SMS form asks for nothing more.
    public IReadOnlyList<(PlaceholderToken Placeholder, string? HolderKey)> CustomPlaceholders(IProviderSettings settings) => [];

    public ISmsSender CreateSender(IProviderSettings settings, ProviderInstance instance) =>
        new TwilioSender(settings as TwilioSettings ?? throw new ArgumentException($"Expected Twilio settings, got {settings.GetType().Name}.", nameof(settings)),
            instance.CallbackUrl, httpClientFactory, time);

    internal static TwilioSettings Parse(string settings) =>
        JsonSerializer.Deserialize(settings, TwilioJson.Default.TwilioSettings)
        ?? throw new InvalidOperationException("Stored Twilio provider settings are empty.");

    /// <summary>Whether <paramref name="sid"/> is a Twilio SID of that prefix: two letters and 32 hex digits.</summary>
    internal static bool IsSid(string sid, string prefix) =>
        sid.Length == 34 && sid.StartsWith(prefix, StringComparison.Ordinal) && sid[2..].All(char.IsAsciiHexDigit);

    /// <summary>Null when <paramref name="from"/> can be a Twilio sender; otherwise what to fix.</summary>
    internal static string? FromProblem(string from)
    {
        if (from.StartsWith('+'))
        {
            return from.Length is >= 8 and <= 16 && from[1..].All(char.IsAsciiDigit)
                ? null
                : $"from '{from}' is not an E.164 number: + and 7 to 15 digits, e.g. +15005550006.";
        }
        if (from.All(char.IsAsciiDigit))
        {
            return from.Length is >= 3 and <= 15 ? null : $"from '{from}' is not a short code: 3 to 15 digits (a long number starts with +).";
        }
        return from.Length <= 11 && from.Any(char.IsAsciiLetter) && from.All(c => char.IsAsciiLetterOrDigit(c) || c == ' ')
            ? null
            : $"from '{from}' is not a sender: a Twilio number in E.164 (+15005550006), a short code, or an alphanumeric sender ID of at most 11 letters, digits and spaces with at least one letter.";
    }
}
