namespace Herald.Core.Placeholders;

/// <summary>The values one message gives to placeholders.</summary>
public sealed record PlaceholderValues
{
    /// <summary>The recipient, already in the provider's format.</summary>
    public required string To { get; init; }

    /// <summary>The message text.</summary>
    public string? Body { get; init; }

    /// <summary>The DLT template id.</summary>
    public string? TemplateId { get; init; }

    /// <summary>The template variables.</summary>
    public string? TemplateVariables { get; init; }

    /// <summary>The campaign id.</summary>
    public string? CampaignId { get; init; }

    /// <summary>Herald's message id.</summary>
    public required string MessageId { get; init; }

    /// <summary>The provider's delivery-report URL (<c>$$CallbackURL</c>).</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>Custom replacements (dynamic fields), by placeholder name or by the parameter key that holds it.</summary>
    public IReadOnlyDictionary<string, string> Custom { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The value of <paramref name="token"/>, or null when it has none. A custom placeholder is
    /// looked up by its name (<c>Sender</c>), then by the key of the parameter or header that
    /// holds it (<c>sender</c>), both case-insensitively.
    /// </summary>
    public string? Resolve(PlaceholderToken token, string? holderKey = null)
    {
        var value = token.System switch
        {
            SystemPlaceholder.To => To,
            SystemPlaceholder.Body => Body,
            SystemPlaceholder.TemplateId => TemplateId,
            SystemPlaceholder.TemplateVariables => TemplateVariables,
            SystemPlaceholder.CampaignId => CampaignId,
            SystemPlaceholder.MessageId => MessageId,
            SystemPlaceholder.CallbackUrl => CallbackUrl,
            _ => NullIfEmpty(LookupCustom(token.Name)) ?? (holderKey is null ? null : LookupCustom(holderKey)),
        };
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private string? LookupCustom(string key)
    {
        if (Custom.TryGetValue(key, out var exact))
        {
            return exact;
        }
        foreach (var (name, value) in Custom)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }
}
