using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Contacts;

internal sealed partial class SqlContactStore : IEventStore
{
    private static readonly Statement InsertEvent = new("""
        INSERT INTO events (message_id, contact_id, user_id, anonymous_id, type, name, properties, at, received_at)
        SELECT r.message_id, r.contact_id, r.user_id, r.anonymous_id, r.type, r.name, r.properties, r.at, r.received_at FROM {rows}
        """, "message_id text", "contact_id text", "user_id text", "anonymous_id text", "type text", "name text", "properties text", "at bigint", "received_at bigint");
    // The aggregates move once per contact and event name per batch (count, first and last time of the batch's events).
    // CASE rather than MIN/MAX (SQLite) or LEAST/GREATEST (PostgreSQL): the same text on both.
    private static readonly Statement CountEvent = new("""
        INSERT INTO contact_event_stats (contact_id, name, count, first_at, last_at)
        SELECT r.contact_id, r.name, r.count, r.first_at, r.last_at FROM {rows} WHERE true
        ON CONFLICT (contact_id, name) DO UPDATE SET count = contact_event_stats.count + excluded.count,
            first_at = CASE WHEN excluded.first_at < contact_event_stats.first_at THEN excluded.first_at ELSE contact_event_stats.first_at END,
            last_at = CASE WHEN excluded.last_at > contact_event_stats.last_at THEN excluded.last_at ELSE contact_event_stats.last_at END
        """, "contact_id text", "name text", "count bigint", "first_at bigint", "last_at bigint");

    private static readonly Statement InsertJourneyInbox = new(Journeys.SqlJourneyStore.InboxInsert, Journeys.SqlJourneyStore.InboxColumns);

    private const string EventColumns = """
        id AS Id, message_id AS MessageId, contact_id AS ContactId, user_id AS UserId, anonymous_id AS AnonymousId, type AS Type, name AS Name,
        properties AS Properties, at AS At, received_at AS ReceivedAt
        """;

    public Task<EventIngestResult> IngestAsync(IReadOnlyList<EventWrite> items, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, batch, now) =>
        {
            // Replays: events already stored, and a message id repeated within the batch, are skipped with their contact changes.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            seen.UnionWith(await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT message_id FROM events WHERE {StatementBatch.KeyIn(database.Dialect, "message_id", "ids")}",
                new { ids = StatementBatch.Keys(database.Dialect, items.Select(i => i.Event.MessageId).Distinct(StringComparer.Ordinal)) }, transaction,
                cancellationToken: cancellationToken)));
            var writer = new ContactWriter(database, connection, transaction, batch);
            var fresh = items.Select((item, index) => (item, index)).Where(x => seen.Add(x.item.Event.MessageId)).ToList();
            await writer.LoadAsync(fresh.Select(x => x.item.Contact?.Phone).OfType<string>(),
                fresh.SelectMany(x => new[] { x.item.Contact?.ExternalId, x.item.Event.UserId }).OfType<string>(), cancellationToken);
            // The names journeys listen to (triggers, waits, goals): one small read per batch, and an inbox row only for those events,
            // in this transaction, so the journey runner never misses one and ingest pays nothing for the others.
            var listened = fresh.Any(x => x.item.Event is { Type: "track", Name: not null })
                ? new HashSet<string>(await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT name FROM journey_event_names", null, transaction,
                    cancellationToken: cancellationToken)), StringComparer.Ordinal)
                : [];
            var errors = new Dictionary<int, string>();
            var counts = new Dictionary<(string ContactId, string Name), (long Count, long First, long Last)>();
            foreach (var (item, index) in fresh)
            {
                var e = item.Event;
                var contactId = e.ContactId;
                if (item.Contact is { } change)
                {
                    var result = (await writer.UpsertAsync([change], now, cancellationToken))[0];
                    if (result.Error is not null)
                    {
                        errors[index] = result.Error;
                    }
                    contactId = result.ContactId;
                }
                else if (contactId is null && e.UserId is not null)
                {
                    contactId = await writer.ContactIdForExternalIdAsync(e.UserId, cancellationToken);
                }
                var at = e.At.ToUnixTimeMilliseconds();
                batch.Add(InsertEvent, e.MessageId, contactId, e.UserId, e.AnonymousId, e.Type, e.Name, e.Properties, at, e.ReceivedAt.ToUnixTimeMilliseconds());
                if (contactId is not null && e.Type == "track" && e.Name is not null)
                {
                    counts[(contactId, e.Name)] = counts.TryGetValue((contactId, e.Name), out var c)
                        ? (c.Count + 1, Math.Min(c.First, at), Math.Max(c.Last, at))
                        : (1, at, at);
                    if (listened.Contains(e.Name))
                    {
                        batch.Add(InsertJourneyInbox, e.MessageId, contactId, e.Name, e.Properties, at);
                    }
                }
            }
            writer.Stage();
            foreach (var ((contactId, name), (count, first, last)) in counts)
            {
                batch.Add(CountEvent, contactId, name, count, first, last);
            }
            return new EventIngestResult(fresh.Count, items.Count - fresh.Count, errors);
        }, cancellationToken);

    public async Task<IReadOnlySet<string>> KnownExternalIdsAsync(IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        known.UnionWith(await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT external_id FROM contacts WHERE {StatementBatch.KeyIn(database.Dialect, "external_id", "ids")}",
            new { ids = StatementBatch.Keys(database.Dialect, externalIds.Distinct(StringComparer.Ordinal)) }, cancellationToken: cancellationToken)));
        return known;
    }

    public async Task<IReadOnlyList<EventRecord>> ListForContactAsync(string contactId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            $"SELECT {EventColumns} FROM events WHERE contact_id = @contactId ORDER BY at DESC, id DESC LIMIT @limit",
            new { contactId, limit = Math.Clamp(limit, 1, 500) }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<ContactEventStat>> StatsForContactAsync(string contactId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, long Count, long FirstAt, long LastAt)>(new CommandDefinition(
            "SELECT name, count, first_at, last_at FROM contact_event_stats WHERE contact_id = @contactId ORDER BY name", new { contactId },
            cancellationToken: cancellationToken));
        return rows.Select(r => new ContactEventStat(r.Name, r.Count, Time(r.FirstAt), Time(r.LastAt))).ToList();
    }

    public async Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, """
            DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < @before ORDER BY id LIMIT @limit)
            """, new { before = before.ToUnixTimeMilliseconds(), limit }, cancellationToken);
    }

    private sealed class EventRow
    {
        public long Id { get; set; }
        public string MessageId { get; set; } = "";
        public string? ContactId { get; set; }
        public string? UserId { get; set; }
        public string? AnonymousId { get; set; }
        public string Type { get; set; } = "";
        public string? Name { get; set; }
        public string? Properties { get; set; }
        public long At { get; set; }
        public long ReceivedAt { get; set; }

        public EventRecord ToRecord() => new()
        {
            Id = Id, MessageId = MessageId, ContactId = ContactId, UserId = UserId, AnonymousId = AnonymousId, Type = Type, Name = Name,
            Properties = Properties, At = Time(At), ReceivedAt = Time(ReceivedAt),
        };
    }
}
