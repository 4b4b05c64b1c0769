using System.Text.Json;
using Herald.Core.Placeholders;
using Herald.Core.Providers;

namespace Herald.Providers.Abstractions;

/// <summary>A configured provider: what a sender needs besides the settings.</summary>
/// <param name="Id">The provider's id.</param>
/// <param name="Nickname">Its nickname.</param>
/// <param name="CallbackUrl">Where its delivery reports are received.</param>
public sealed record ProviderInstance(string Id, string Nickname, Uri CallbackUrl);

/// <summary>
/// A kind's settings read into its own typed object (e.g. <c>GenericHttpSettings</c>), secrets in plain text. Read once per
/// version of a provider and kept: the hot path builds senders from it and never parses the stored JSON again.
/// </summary>
public interface IProviderSettings;

/// <summary>What validation may depend on.</summary>
/// <param name="AllowInsecureLoopback">Whether plain http to a loopback host is allowed (and loopback addresses at all).</param>
public sealed record ProviderValidationContext(bool AllowInsecureLoopback)
{
    /// <summary>Networks the operator allows outbound connections to although they are not public (<c>Herald:Outbound:AllowedHosts</c>).</summary>
    public IReadOnlyList<System.Net.IPNetwork> AllowedNetworks { get; init; } = [];
}

/// <summary>Settings after validation: normalised JSON, or the errors by field.</summary>
public sealed record ProviderValidation(string? Settings, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>Whether the settings can be saved.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>A valid result.</summary>
    public static ProviderValidation Valid(string settings) => new(settings, new Dictionary<string, string[]>());
}

/// <summary>
/// One kind of provider (generic, kaleyra, ...): validates its settings, hides its secrets, builds senders, reads its
/// delivery reports and describes its dashboard form. A kind is one folder in Herald.Providers plus one registration
/// line in <see cref="ProvidersServiceCollectionExtensions.AddHeraldProviders"/> (docs/providers.md).
/// </summary>
public interface IProviderKind
{
    /// <summary>The kind's name in the API, e.g. <c>generic</c>.</summary>
    string Kind { get; }

    /// <summary>A name for people, e.g. "Other (Generic)".</summary>
    string DisplayName { get; }

    /// <summary>How the delivery reports posted to this kind's callback URLs are read.</summary>
    IDeliveryReportFormat Reports { get; }

    /// <summary>How the delivery reports of a provider with these settings are read (a kind whose settings declare a format); default <see cref="Reports"/>.</summary>
    IDeliveryReportFormat ReportsFor(IProviderSettings settings) => Reports;

    /// <summary>
    /// The report format a declaration given on its own would make (a preview of settings not saved yet), or the errors by field
    /// (<c>settings.reports.*</c>); null when this kind's reports are not declared in its settings.
    /// </summary>
    (IDeliveryReportFormat? Format, IReadOnlyDictionary<string, string[]> Errors)? DeclaredReports(JsonElement reports) => null;

    /// <summary>How inbound messages (replies) from this kind are read; null when it has none.</summary>
    IInboundMessageFormat? Inbound => null;

    /// <summary>How inbound messages from a provider with these settings are read (a kind whose settings name the fields); default <see cref="Inbound"/>.</summary>
    IInboundMessageFormat? InboundFor(IProviderSettings settings) => Inbound;

    /// <summary>The dashboard's form for this kind's settings.</summary>
    ProviderFormDescriptor Form { get; }

    /// <summary>Validates and normalises settings. Field names in errors start with <c>settings.</c>.</summary>
    ProviderValidation Validate(JsonElement settings, ProviderValidationContext context);

    /// <summary>Applies <paramref name="transform"/> to every secret value (to mask, protect or unprotect them).</summary>
    string TransformSecrets(string settings, Func<string, string> transform);

    /// <summary>Where <paramref name="incoming"/> carries a masked secret (<c>****</c>), keeps the one in <paramref name="existing"/>.</summary>
    string KeepMaskedSecrets(string incoming, string existing);

    /// <summary>Reads stored settings into the kind's typed settings, passing every secret through <paramref name="secrets"/> (to unprotect them).</summary>
    IProviderSettings Read(string settings, Func<string, string> secrets);

    /// <summary>The custom placeholders the settings use (the Test SMS form's dynamic fields), with the key that holds each.</summary>
    IReadOnlyList<(PlaceholderToken Placeholder, string? HolderKey)> CustomPlaceholders(IProviderSettings settings);

    /// <summary>Builds a sender for a configured provider from its settings as <see cref="Read"/> gave them.</summary>
    ISmsSender CreateSender(IProviderSettings settings, ProviderInstance instance);
}

/// <summary>The value shown in place of a secret.</summary>
public static class Secrets
{
    /// <summary>The mask.</summary>
    public const string Mask = "****";

    /// <summary>Whether a header or parameter key names a secret (api-key, authorization, token, secret, sid, password).</summary>
    public static bool IsSecretKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return false;
        }
        var k = key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        return k.Contains("apikey", StringComparison.Ordinal) || k.Contains("authorization", StringComparison.Ordinal)
            || k.Contains("token", StringComparison.Ordinal) || k.Contains("secret", StringComparison.Ordinal)
            || k.Contains("password", StringComparison.Ordinal) || k.Contains("passwd", StringComparison.Ordinal)
            || k == "sid" || k.EndsWith("sid", StringComparison.Ordinal);
    }
}
