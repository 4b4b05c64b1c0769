using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;

namespace Herald.Storage.Contacts;

/// <summary>
/// Creates and updates contacts inside a caller's transaction: the one upsert behind the API, imports and identify events.
/// A chunk of changes is matched against the stored contacts with one query per key (all keys in one parameter), decided in memory
/// (in order, so a later change in the chunk sees an earlier one), then written set-based: one INSERT and one UPDATE for all the
/// chunk's contacts in their last state, one upsert for their consents.
/// </summary>
internal sealed class ContactWriter(SqlDatabase database, DbConnection connection, DbTransaction transaction, StatementBatch batch)
{
    private static readonly Statement Insert = new("""
        INSERT INTO contacts (id, phone, external_id, country, timezone, locale, attributes, created_at, updated_at)
        SELECT r.id, r.phone, r.external_id, r.country, r.timezone, r.locale, r.attributes, r.at, r.at FROM {rows}
        """, "id text", "phone text", "external_id text", "country text", "timezone text", "locale text", "attributes text", "at bigint");
    private static readonly Statement Update = new("""
        UPDATE contacts SET phone = r.phone, external_id = r.external_id, country = r.country, timezone = r.timezone, locale = r.locale,
            attributes = r.attributes, updated_at = r.at
        FROM {rows} WHERE contacts.id = r.id
        """, "id text", "phone text", "external_id text", "country text", "timezone text", "locale text", "attributes text", "at bigint");
    private static readonly Statement Consent = new("""
        INSERT INTO contact_consents (contact_id, category, granted, source, at)
        SELECT r.contact_id, r.category, r.granted, r.source, r.at FROM {rows} WHERE true
        ON CONFLICT (contact_id, category) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at
        """, "contact_id text", "category text", "granted bigint", "source text", "at bigint");

    // What this write changes, merged per contact (its last state) and per consent, queued on the batch by Stage: a set-based
    // statement must not touch one key twice.
    private readonly Dictionary<string, (Row Row, bool Created)> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ContactId, string Category), object?[]> _consents = [];
    private long _now;

    private readonly Dictionary<string, Row> _byPhone = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Row> _byExternalId = new(StringComparer.Ordinal);
    // Keys looked up and not stored: a batch of identify calls for new contacts asks once, not once per call.
    private readonly HashSet<(string Column, string Key)> _absent = [];

    /// <summary>Contacts looked up or written so far, by external id (for events that name a user id).</summary>
    public async Task<string?> ContactIdForExternalIdAsync(string externalId, CancellationToken cancellationToken)
    {
        if (!_byExternalId.ContainsKey(externalId))
        {
            await LoadAsync([], [externalId], cancellationToken);
        }
        return _byExternalId.TryGetValue(externalId, out var row) ? row.Id : null;
    }

    /// <summary>Loads the stored contacts of these keys so that later lookups and upserts are decided in memory.</summary>
    public async Task LoadAsync(IEnumerable<string> phones, IEnumerable<string> externalIds, CancellationToken cancellationToken)
    {
        foreach (var (column, keys, index) in new[] { ("phone", phones, _byPhone), ("external_id", externalIds, _byExternalId) })
        {
            var missing = keys.Where(k => !index.ContainsKey(k) && !_absent.Contains((column, k))).Distinct(StringComparer.Ordinal).ToList();
            if (missing.Count == 0)
            {
                continue;
            }
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT id AS Id, phone AS Phone, external_id AS ExternalId, country AS Country, timezone AS Timezone, locale AS Locale, attributes AS Attributes " +
                $"FROM contacts WHERE {StatementBatch.KeyIn(database.Dialect, column, "keys")}",
                new { keys = StatementBatch.Keys(database.Dialect, missing) }, transaction, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                Index(row);
            }
            foreach (var key in missing.Where(k => !index.ContainsKey(k)))
            {
                _absent.Add((column, key));
            }
        }
    }

    /// <summary>Decides each change (written by <see cref="Stage"/>); one result per change.</summary>
    public async Task<List<ContactUpsertResult>> UpsertAsync(IReadOnlyList<ContactChange> changes, long now, CancellationToken cancellationToken)
    {
        await LoadAsync(changes.Select(c => c.Phone).OfType<string>(), changes.Select(c => c.ExternalId).OfType<string>(), cancellationToken);
        var results = new List<ContactUpsertResult>(changes.Count);
        foreach (var change in changes)
        {
            results.Add(Upsert(change, now));
        }
        return results;
    }

    private ContactUpsertResult Upsert(ContactChange change, long now)
    {
        if (change.Phone is null && change.ExternalId is null)
        {
            return new ContactUpsertResult(null, false, "A contact needs a phone or an externalId.");
        }
        var byExternalId = change.ExternalId is null ? null : _byExternalId.GetValueOrDefault(change.ExternalId);
        var byPhone = change.Phone is null ? null : _byPhone.GetValueOrDefault(change.Phone);
        if (byExternalId is not null && byPhone is not null && byExternalId != byPhone)
        {
            return new ContactUpsertResult(null, false,
                $"Phone {change.Phone} belongs to contact {byPhone.Id} and externalId '{change.ExternalId}' to contact {byExternalId.Id}: change one of them, or delete one contact first.");
        }
        if (byExternalId is null && byPhone is { ExternalId: { } other } && change.ExternalId is not null && other != change.ExternalId)
        {
            return new ContactUpsertResult(null, false,
                $"Phone {change.Phone} belongs to contact {byPhone.Id}, whose externalId is '{other}', not '{change.ExternalId}': use that externalId, or change the contact's externalId first.");
        }
        var row = byExternalId ?? byPhone;
        if (row is null)
        {
            row = new Row
            {
                Id = "ct_" + Guid.CreateVersion7(database.Clock.GetUtcNow()).ToString("N"),
                Phone = change.Phone,
                ExternalId = change.ExternalId,
                Country = change.Country,
                Timezone = change.Timezone ?? change.DefaultTimezone,
                Locale = change.Locale,
                Attributes = Merge(null, change.Attributes),
            };
            _changed[row.Id] = (row, true);
            _now = now;
            Index(row);
            AddConsents(row.Id, change);
            return new ContactUpsertResult(row.Id, true, null);
        }
        if (change.Phone is not null && change.Phone != row.Phone)
        {
            if (row.Phone is not null)
            {
                _byPhone.Remove(row.Phone);
            }
            row.Phone = change.Phone;
            row.Country = change.Country;
        }
        row.ExternalId = change.ExternalId ?? row.ExternalId;
        row.Country = change.Country ?? row.Country;
        row.Timezone = change.Timezone ?? row.Timezone ?? change.DefaultTimezone;
        row.Locale = change.Locale ?? row.Locale;
        row.Attributes = Merge(row.Attributes, change.Attributes);
        Index(row);
        _changed.TryAdd(row.Id, (row, false));
        _now = now;
        AddConsents(row.Id, change);
        return new ContactUpsertResult(row.Id, false, null);
    }

    private void AddConsents(string contactId, ContactChange change)
    {
        foreach (var consent in change.Consents)
        {
            _consents[(contactId, consent.Category)] = [contactId, consent.Category, consent.Granted ? 1L : 0L, consent.Source, consent.At.ToUnixTimeMilliseconds()];
        }
    }

    /// <summary>
    /// Queues the decided changes on the batch, each contact once in its last state (the caller flushes): updates first, so a phone
    /// or external id that a stored contact gives up is free before a new contact takes it.
    /// </summary>
    public void Stage()
    {
        foreach (var created in new[] { false, true })
        {
            foreach (var (row, _) in _changed.Values.Where(c => c.Created == created))
            {
                batch.Add(created ? Insert : Update, row.Id, row.Phone, row.ExternalId, row.Country, row.Timezone, row.Locale, row.Attributes, _now);
            }
        }
        foreach (var values in _consents.Values)
        {
            batch.Add(Consent, values);
        }
        _changed.Clear();
        _consents.Clear();
    }

    private void Index(Row row)
    {
        if (row.Phone is not null)
        {
            _byPhone[row.Phone] = row;
        }
        if (row.ExternalId is not null)
        {
            _byExternalId[row.ExternalId] = row;
        }
    }

    /// <summary>Top-level merge: the change's keys replace the stored ones, a null removes one.</summary>
    internal static string Merge(string? stored, JsonObject? change)
    {
        if (change is null || change.Count == 0)
        {
            return stored ?? "{}";
        }
        if (stored is null or "{}" && change.All(p => p.Value is not null))
        {
            return change.ToJsonString(Options);
        }
        var merged = stored is null ? [] : JsonNode.Parse(stored) as JsonObject ?? [];
        foreach (var (key, value) in change)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value.DeepClone();
            }
        }
        return merged.ToJsonString(Options);
    }

    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string? Phone { get; set; }
        public string? ExternalId { get; set; }
        public string? Country { get; set; }
        public string? Timezone { get; set; }
        public string? Locale { get; set; }
        public string Attributes { get; set; } = "{}";
    }
}
