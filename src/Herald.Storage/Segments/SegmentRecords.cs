namespace Herald.Storage.Records;

/// <summary>A saved segment: a name and its rule (JSON, validated and compiled by the engagement engine).</summary>
public sealed record SegmentRecord
{
    /// <summary>The segment's id (<c>seg_…</c>).</summary>
    public required string Id { get; init; }
    /// <summary>Its name.</summary>
    public required string Name { get; init; }
    /// <summary>The rule tree as JSON text.</summary>
    public required string Rule { get; init; }
    /// <summary>When it was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// Which contacts: <paramref name="Where"/> is a condition over <c>contacts c</c> (a compiled segment, erased contacts
/// already left out) whose values are all in <paramref name="Parameters"/>, never concatenated into the text.
/// </summary>
/// <param name="Where">The SQL condition over <c>contacts c</c>.</param>
/// <param name="Parameters">Its parameters by name (without the <c>@</c>).</param>
public sealed record ContactFilter(string Where, IReadOnlyDictionary<string, object?> Parameters);

/// <summary>A contact as an audience preview shows it.</summary>
public sealed record AudienceContact
{
    /// <summary>The contact's id.</summary>
    public required string Id { get; init; }
    /// <summary>E.164 number, if any.</summary>
    public string? Phone { get; init; }
    /// <summary>The caller's own id for the contact, if any.</summary>
    public string? ExternalId { get; init; }
    /// <summary>ISO 3166 region code.</summary>
    public string? Country { get; init; }
    /// <summary>IANA timezone.</summary>
    public string? Timezone { get; init; }
    /// <summary>Locale.</summary>
    public string? Locale { get; init; }
    /// <summary>Attributes as JSON object text.</summary>
    public required string Attributes { get; init; }
    /// <summary>When the contact was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
