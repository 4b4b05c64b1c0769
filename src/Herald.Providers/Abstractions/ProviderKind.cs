using System.Text.Json;
using Herald.Core.Placeholders;
using Herald.Core.Providers;

namespace Herald.Providers.Abstractions;

/// <summary>A configured provider, settings in plain text (secrets unprotected), ready to build a sender.</summary>
/// <param name="Id">The provider's id.</param>
/// <param name="Nickname">Its nickname.</param>
/// <param name="Settings">Its settings as JSON.</param>
/// <param name="CallbackUrl">Where its delivery reports are received.</param>
public sealed record ProviderInstance(string Id, string Nickname, string Settings, Uri CallbackUrl);

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
/// One kind of provider (generic, kaleyra, ...): validates its settings, hides its secrets and
/// builds senders. A provider is one folder plus one registration line.
/// </summary>
public interface IProviderKind
{
    /// <summary>The kind's name in the API, e.g. <c>generic</c>.</summary>
    string Kind { get; }

    /// <summary>A name for people, e.g. "Other (Generic)".</summary>
    string DisplayName { get; }

    /// <summary>Validates and normalises settings. Field names in errors start with <c>settings.</c>.</summary>
    ProviderValidation Validate(JsonElement settings, ProviderValidationContext context);

    /// <summary>Applies <paramref name="transform"/> to every secret value (to mask, protect or unprotect them).</summary>
    string TransformSecrets(string settings, Func<string, string> transform);

    /// <summary>Where <paramref name="incoming"/> carries a masked secret (<c>****</c>), keeps the one in <paramref name="existing"/>.</summary>
    string KeepMaskedSecrets(string incoming, string existing);

    /// <summary>The custom placeholders the settings use (the Test SMS form's dynamic fields), with the key that holds each.</summary>
    IReadOnlyList<(PlaceholderToken Placeholder, string? HolderKey)> CustomPlaceholders(string settings);

    /// <summary>Builds a sender for a configured provider.</summary>
    ISmsSender CreateSender(ProviderInstance instance);
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
