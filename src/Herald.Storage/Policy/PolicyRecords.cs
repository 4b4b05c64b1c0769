namespace Herald.Storage.Records;

/// <summary>A number on the suppression list, as the send-path policy reads it.</summary>
/// <param name="Phone">E.164.</param>
/// <param name="Reason">opt-out, complaint, invalid, manual.</param>
/// <param name="Categories">The consent categories it covers (promotional, transactional, service), or <c>*</c> for all.</param>
/// <param name="Since">When it was suppressed.</param>
public sealed record SuppressionEntry(string Phone, string Reason, IReadOnlyList<string> Categories, DateTimeOffset Since)
{
    /// <summary>Whether it covers <paramref name="category"/>.</summary>
    public bool Covers(string category) => Categories.Any(c => c == "*" || string.Equals(c, category, StringComparison.OrdinalIgnoreCase));
}

/// <summary>What the send-path policy knows of a contact: where it is and what it agreed to.</summary>
/// <param name="Id">The contact's id.</param>
/// <param name="Phone">E.164.</param>
/// <param name="Country">ISO region, when known.</param>
/// <param name="TimeZone">IANA time zone, when known.</param>
/// <param name="Consents">Consent per category (promotional, transactional, service): granted or refused, when recorded.</param>
public sealed record PolicyContact(string Id, string Phone, string? Country, string? TimeZone, IReadOnlyDictionary<string, bool> Consents);

/// <summary>A message that counts against a number's frequency caps.</summary>
/// <param name="Id">The message.</param>
/// <param name="To">E.164.</param>
/// <param name="At">When it went, or when it is due to go.</param>
public sealed record CountedMessage(string Id, string To, DateTimeOffset At);

/// <summary>A registered DLT content template (India).</summary>
public sealed record DltTemplateRecord
{
    /// <summary>The template id the operator's DLT platform gave it (12 to 30 digits).</summary>
    public required string TemplateId { get; init; }
    /// <summary>The principal entity id (PE id) it is registered under.</summary>
    public required string EntityId { get; init; }
    /// <summary>The header (sender id) it is mapped to.</summary>
    public required string Header { get; init; }
    /// <summary>promotional, transactional, service-implicit or service-explicit.</summary>
    public required string Category { get; init; }
    /// <summary>The registered text with <c>{#var#}</c> slots.</summary>
    public required string Text { get; init; }
    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
