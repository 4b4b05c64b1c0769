using System.Text.Json.Nodes;

namespace Herald.Storage.Records;

/// <summary>A contact as stored: keyed by E.164 phone and/or external id.</summary>
public sealed record ContactRecord
{
    /// <summary>Herald's id, <c>ct_</c> and a time-ordered hex id.</summary>
    public required string Id { get; init; }
    /// <summary>E.164 number; null once erased (or for a contact known only by external id).</summary>
    public string? Phone { get; init; }
    /// <summary>The id the business's own systems use (Segment's <c>userId</c>).</summary>
    public string? ExternalId { get; init; }
    /// <summary>ISO region of the number from libphonenumber, e.g. IN.</summary>
    public string? Country { get; init; }
    /// <summary>IANA time zone, e.g. Asia/Kolkata.</summary>
    public string? Timezone { get; init; }
    /// <summary>e.g. en-IN.</summary>
    public string? Locale { get; init; }
    /// <summary>A JSON object of strings, numbers, booleans and ISO dates.</summary>
    public required string Attributes { get; init; }
    /// <summary>Consent per category.</summary>
    public IReadOnlyList<ConsentRecord> Consents { get; init; } = [];
    /// <summary>When its personal data was erased; null for a live contact.</summary>
    public DateTimeOffset? ErasedAt { get; init; }
    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Consent for one category (promotional, transactional, service): granted or withdrawn, where and when that was said.</summary>
/// <param name="Category">promotional, transactional or service.</param>
/// <param name="Granted">Whether the contact agreed.</param>
/// <param name="Source">Where it was given or withdrawn, e.g. api, import, web-form.</param>
/// <param name="At">When.</param>
public sealed record ConsentRecord(string Category, bool Granted, string Source, DateTimeOffset At);

/// <summary>
/// A create-or-update of one contact, matched by external id first, then by phone. Fields left null are kept as they
/// are; <see cref="Attributes"/> is merged into the stored ones (a null value removes that attribute).
/// </summary>
public sealed record ContactChange
{
    /// <summary>E.164 number (already validated).</summary>
    public string? Phone { get; init; }
    /// <summary>External id.</summary>
    public string? ExternalId { get; init; }
    /// <summary>ISO region of <see cref="Phone"/>.</summary>
    public string? Country { get; init; }
    /// <summary>A time zone given explicitly: replaces the stored one.</summary>
    public string? Timezone { get; init; }
    /// <summary>The time zone the number suggests: used only when the contact has none.</summary>
    public string? DefaultTimezone { get; init; }
    /// <summary>Locale.</summary>
    public string? Locale { get; init; }
    /// <summary>Attributes to merge (null values remove).</summary>
    public JsonObject? Attributes { get; init; }
    /// <summary>Consent to record.</summary>
    public IReadOnlyList<ConsentRecord> Consents { get; init; } = [];
}

/// <summary>What became of one <see cref="ContactChange"/>: the contact it created or updated, or why it was refused.</summary>
/// <param name="ContactId">The contact, when it was written.</param>
/// <param name="Created">Whether it is new.</param>
/// <param name="Error">Why nothing was written (e.g. the phone and the external id belong to different contacts).</param>
public sealed record ContactUpsertResult(string? ContactId, bool Created, string? Error);

/// <summary>Filters for a page of contacts, newest first.</summary>
public sealed record ContactQuery
{
    /// <summary>Exact E.164 number.</summary>
    public string? Phone { get; init; }
    /// <summary>Exact external id.</summary>
    public string? ExternalId { get; init; }
    /// <summary>Text found (case-insensitively) in the phone, the external id or the attributes.</summary>
    public string? Text { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>The last id of the previous page.</summary>
    public string? After { get; init; }
}

/// <summary>A number on the suppression list: never sent the listed categories, contact or not.</summary>
public sealed record SuppressionRecord
{
    /// <summary>E.164 number.</summary>
    public required string Phone { get; init; }
    /// <summary>opt-out, complaint, invalid or manual.</summary>
    public required string Reason { get; init; }
    /// <summary>Comma-separated categories (promotional, transactional, service) or <c>*</c> for all.</summary>
    public required string Categories { get; init; }
    /// <summary>Where it came from, e.g. api, import, keyword.</summary>
    public string? Source { get; init; }
    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One stored event (Segment's identify, track, page, screen, group, alias).</summary>
public sealed record EventRecord
{
    /// <summary>Sequence id (0 before it is stored).</summary>
    public long Id { get; init; }
    /// <summary>The sender's id for it: a replay with the same id is stored once.</summary>
    public required string MessageId { get; init; }
    /// <summary>The contact it belongs to, when known.</summary>
    public string? ContactId { get; init; }
    /// <summary>Segment's userId (the contact's external id).</summary>
    public string? UserId { get; init; }
    /// <summary>Segment's anonymousId.</summary>
    public string? AnonymousId { get; init; }
    /// <summary>identify, track, page, screen, group or alias.</summary>
    public required string Type { get; init; }
    /// <summary>The event's name (track) or the page's or screen's name.</summary>
    public string? Name { get; init; }
    /// <summary>Properties (track, page, screen) or traits (identify, group) as a JSON object.</summary>
    public string? Properties { get; init; }
    /// <summary>When it happened (clock-skew corrected).</summary>
    public required DateTimeOffset At { get; init; }
    /// <summary>When Herald received it.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>An event to store with, optionally, the contact change it carries (an identify with a phone).</summary>
/// <param name="Event">The event; its <see cref="EventRecord.ContactId"/> is filled in from the contact change or the user id.</param>
/// <param name="Contact">A contact to create or update first.</param>
public sealed record EventWrite(EventRecord Event, ContactChange? Contact);

/// <summary>What an ingest did.</summary>
/// <param name="Stored">Events stored.</param>
/// <param name="Duplicates">Events already stored under the same message id (replays), left as they were.</param>
/// <param name="Errors">Per item index, why its contact change was refused (its event is then stored without a contact).</param>
public sealed record EventIngestResult(int Stored, int Duplicates, IReadOnlyDictionary<int, string> Errors);

/// <summary>Per contact and event name: how often and when first and last (kept as events arrive).</summary>
/// <param name="Name">Event name.</param>
/// <param name="Count">How many.</param>
/// <param name="FirstAt">The earliest.</param>
/// <param name="LastAt">The latest.</param>
public sealed record ContactEventStat(string Name, long Count, DateTimeOffset FirstAt, DateTimeOffset LastAt);

/// <summary>A contact import: its progress, counts and first errors.</summary>
public sealed record ImportRecord
{
    /// <summary>Id, <c>imp_...</c>.</summary>
    public required string Id { get; init; }
    /// <summary>running, completed or failed.</summary>
    public required string Status { get; init; }
    /// <summary>Data rows read so far.</summary>
    public long Rows { get; init; }
    /// <summary>Contacts created.</summary>
    public long Imported { get; init; }
    /// <summary>Contacts updated.</summary>
    public long Updated { get; init; }
    /// <summary>Rows refused.</summary>
    public long Failed { get; init; }
    /// <summary>The first errors as a JSON array of <c>{"row", "error"}</c>; for a failed import also the reason.</summary>
    public string? Errors { get; init; }
    /// <summary>When it started.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When its progress was last written.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}
