using System.Data.Common;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Messages.MessageSql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Journeys;

/// <summary>
/// Journeys over <c>journeys</c>, <c>journey_versions</c>, <c>journey_instances</c>, <c>journey_inbox</c>, <c>journey_counts</c> and
/// <c>journey_segment_members</c>.
/// </summary>
internal sealed class SqlJourneyStore(SqlDatabase database) : IJourneyStore
{
    private const string Columns = "id AS Id, name AS Name, status AS Status, draft AS Draft, version AS Version, created_at AS CreatedAt, updated_at AS UpdatedAt";

    private const string InstanceColumns = """
        i.id AS Id, i.journey_id AS JourneyId, i.version AS Version, i.contact_id AS ContactId, i.node AS Node, i.waiting AS Waiting, i.status AS Status,
        i.wake_at AS WakeAt, i.lease_until AS LeaseUntil, i.trigger_message_id AS TriggerMessageId, i.trigger_name AS TriggerName,
        i.trigger_properties AS TriggerProperties, i.trigger_at AS TriggerAt, i.entered_at AS EnteredAt, i.exited_at AS ExitedAt,
        i.exit_reason AS ExitReason, i.converted_at AS ConvertedAt
        """;

    /// <summary>The event store's ingest writes a journey-inbox row for each event whose name a journey listens to, in its own transaction.</summary>
    internal const string InboxInsert = """
        INSERT INTO journey_inbox (message_id, contact_id, name, properties, at)
        SELECT r.message_id, r.contact_id, r.name, r.properties, r.at FROM {rows}
        """;

    internal static readonly string[] InboxColumns = ["message_id text", "contact_id text", "name text", "properties text", "at bigint"];

    /// <summary>
    /// A claimed instance's step, set-based: only where the claim found it (node, waiting), still held by the owner and still active;
    /// returns the instances that moved. The rows find their instances by id: <c>status || ''</c> keeps SQLite (which has no statistics
    /// to tell it better) from driving the update through the status index instead, a scan of every active instance for each row.
    /// </summary>
    private static readonly Statement MoveInstance = new("""
        UPDATE journey_instances AS i SET node = r.node, waiting = r.waiting, wake_at = r.wake_at, lease_until = NULL, lease_owner = NULL, updated_at = r.at_now,
            status = CASE WHEN r.exit_reason IS NULL THEN 'active' ELSE 'exited' END, exit_reason = r.exit_reason,
            exited_at = CASE WHEN r.exit_reason IS NULL THEN NULL ELSE r.at_now END,
            converted_at = CASE WHEN r.converted = 1 AND i.converted_at IS NULL THEN r.at_now ELSE i.converted_at END
        FROM {rows}
        WHERE i.id = r.instance_id AND i.lease_owner = r.claim_owner AND i.node = r.from_node AND i.waiting = r.from_waiting AND i.status || '' = 'active'
        RETURNING id
        """, "instance_id bigint", "node text", "waiting bigint", "wake_at bigint", "exit_reason text", "converted bigint", "from_node text",
        "from_waiting bigint", "claim_owner text", "at_now bigint");

    /// <summary>New instances, set-based; one that exists already (same trigger message or entry key) is skipped. Returns the new ids.</summary>
    private static readonly Statement InsertEntry = new("""
        INSERT INTO journey_instances (journey_id, version, contact_id, node, waiting, status, wake_at, entry_key, trigger_message_id, trigger_name,
            trigger_properties, trigger_at, entered_at, updated_at)
        SELECT r.journey_id, r.version, r.contact_id, r.node, 0, r.status, r.wake_at, r.entry_key, r.trigger_message_id, r.trigger_name,
            r.trigger_properties, r.trigger_at, r.at_now, r.at_now FROM {rows} WHERE true
        ON CONFLICT DO NOTHING
        RETURNING id
        """, "journey_id text", "version bigint", "contact_id text", "node text", "status text", "wake_at bigint", "entry_key text",
        "trigger_message_id text", "trigger_name text", "trigger_properties text", "trigger_at bigint", "at_now bigint");

    /// <summary>Adds to a journey's counters (journey, version, key, count), set-based; the rows' keys are distinct.</summary>
    private static readonly Statement AddCount = new("""
        INSERT INTO journey_counts (journey_id, version, key, count)
        SELECT r.journey_id, r.version, r.count_key, r.n FROM {rows} WHERE true
        ON CONFLICT (journey_id, version, key) DO UPDATE SET count = journey_counts.count + excluded.count
        """, "journey_id text", "version bigint", "count_key text", "n bigint");

    private string? _claimEventsSql;
    private string? _claimDueSql;
    private string? _claimSegmentsSql;

    public async Task CreateAsync(JourneyRecord journey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO journeys (id, name, status, draft, version, created_at, updated_at) VALUES (@Id, @Name, @Status, @Draft, 0, @At, @At)
            """, new { journey.Id, journey.Name, journey.Status, journey.Draft, At = journey.CreatedAt.ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task<JourneyRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM journeys WHERE id = @id", new { id },
            cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<JourneyRecord>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM journeys ORDER BY created_at DESC, id DESC LIMIT @limit",
            new { limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<bool> UpdateDraftAsync(string id, string name, string draft, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, "UPDATE journeys SET name = @name, draft = @draft, updated_at = @now WHERE id = @id",
            new { id, name, draft, now = Now() }, cancellationToken) == 1;
    }

    public async Task<int?> PublishAsync(string id, string name, string definition, IReadOnlyCollection<string> eventNames, JourneySegmentTrigger? segmentTrigger,
        CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await connection.QueryFirstOrDefaultAsync<SegmentRow>(new CommandDefinition(
            $"SELECT status AS Status, version AS Version, segment_id AS SegmentId FROM journeys WHERE id = @id {database.Dialect.ForUpdate}", new { id }, transaction,
            cancellationToken: cancellationToken));
        if (current is null)
        {
            return null;
        }
        var version = (int)current.Version + 1;
        await Exec(connection, transaction, "INSERT INTO journey_versions (journey_id, version, definition, published_at) VALUES (@id, @version, @definition, @now)",
            new { id, version, definition, now }, cancellationToken);
        await Exec(connection, transaction, """
            UPDATE journeys SET name = @name, draft = @definition, version = @version, status = 'active', updated_at = @now WHERE id = @id
            """, new { id, name, definition, version, now }, cancellationToken);
        // Older versions' names stay: their instances still wait for their events and goals.
        await Exec(connection, transaction, "INSERT INTO journey_event_names (name, journey_id) VALUES (@name, @id) ON CONFLICT DO NOTHING",
            eventNames.Distinct(StringComparer.Ordinal).Select(n => new { name = n, id }).ToList(), cancellationToken);
        if (segmentTrigger?.SegmentId != current.SegmentId)
        {
            // A new segment (or none): the membership seen so far belongs to the old one.
            await Exec(connection, transaction, "DELETE FROM journey_segment_members WHERE journey_id = @id", new { id }, cancellationToken);
            if (segmentTrigger is { IncludeExisting: false })
            {
                var parameters = new DynamicParameters(segmentTrigger.Filter.Parameters);
                parameters.AddDynamicParams(new { jst_journey = id, jst_now = now });
                await Exec(connection, transaction, $"""
                    INSERT INTO journey_segment_members (journey_id, contact_id, since, evaluation)
                    SELECT @jst_journey, c.id, @jst_now, 'baseline' FROM contacts c WHERE ({segmentTrigger.Filter.Where})
                    """, parameters, cancellationToken);
            }
            await Exec(connection, transaction, """
                UPDATE journeys SET segment_id = @segment, segment_due_at = @due, segment_evaluated_at = @due, segment_lease_until = NULL, segment_lease_owner = NULL
                WHERE id = @id
                """, new { id, segment = segmentTrigger?.SegmentId, due = segmentTrigger is null ? (long?)null : now }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    public async Task<bool> TransitionAsync(string id, IReadOnlyCollection<string> from, string to, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, $"UPDATE journeys SET status = @to, updated_at = @now WHERE id = @id AND {database.Dialect.InList("status", "from")}",
            new { id, to, from = from.ToArray(), now = Now() }, cancellationToken) == 1;
    }

    public async Task<string?> VersionAsync(string id, int version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT definition FROM journey_versions WHERE journey_id = @id AND version = @version", new { id, version }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<JourneyEvent>> ClaimEventsAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        _claimEventsSql ??= LeaseClaim.Sql(database.Dialect, "journey_inbox", "lease_until = @until, lease_owner = @owner",
            "lease_until IS NULL OR lease_until <= @now", "id",
            "id AS Id, message_id AS MessageId, contact_id AS ContactId, name AS Name, properties AS Properties, at AS At");
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(_claimEventsSql,
            new { owner, limit = Math.Max(1, limit), now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        return [.. rows.OrderBy(r => r.Id).Select(r => new JourneyEvent(r.Id, r.MessageId, r.ContactId, r.Name, r.Properties, Time(r.At)))];
    }

    public async Task<IReadOnlyList<JourneyInstance>> InstancesOfAsync(IReadOnlyCollection<string> contactIds, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var result = new List<JourneyInstance>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in contactIds.Distinct(StringComparer.Ordinal).Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<InstanceRow>(new CommandDefinition($"""
                SELECT {InstanceColumns} FROM journey_instances i
                WHERE {database.Dialect.InList("i.contact_id", "ids")} AND (i.status = 'active' OR i.entered_at >= @since)
                ORDER BY i.id
                """, new { ids = chunk, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
            result.AddRange(rows.Select(r => r.ToRecord()));
        }
        return result;
    }

    public async Task<IReadOnlyList<(string JourneyId, string ContactId, long Count, DateTimeOffset LastEntered)>> EntriesOfAsync(IReadOnlyCollection<string> contactIds,
        CancellationToken cancellationToken)
    {
        var result = new List<(string, string, long, DateTimeOffset)>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in contactIds.Distinct(StringComparer.Ordinal).Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<(string JourneyId, string ContactId, long Count, long Last)>(new CommandDefinition($"""
                SELECT journey_id, contact_id, COUNT(*), MAX(entered_at) FROM journey_instances
                WHERE {database.Dialect.InList("contact_id", "ids")} GROUP BY journey_id, contact_id
                """, new { ids = chunk }, cancellationToken: cancellationToken));
            result.AddRange(rows.Select(r => (r.JourneyId, r.ContactId, r.Count, Time(r.Last))));
        }
        return result;
    }

    public async Task<int> ApplyEventsAsync(JourneyEventOutcome outcome, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var counts = new Dictionary<(string, int, string), long>();
        // Deduplicated on the trigger's messageId and on the entry key (the re-entry rule): a second node or a replay adds nothing.
        // One statement for the whole pass's entries.
        int entered;
        await using (var batch = new StatementBatch(connection, transaction))
        {
            entered = (await batch.ReturningAsync<long>(InsertEntry, [.. outcome.Entries.Select(entry => new object?[]
            {
                entry.JourneyId, (long)entry.Version, entry.ContactId, entry.Node, entry.Goal ? "exited" : "active",
                entry.Goal ? null : entry.TriggerAt.ToUnixTimeMilliseconds(), entry.EntryKey, entry.TriggerMessageId, entry.TriggerName,
                entry.TriggerProperties, entry.TriggerAt.ToUnixTimeMilliseconds(), now,
            })], cancellationToken)).Count;
        }
        foreach (var entry in outcome.Entries.Where(e => e.Goal))
        {
            await Exec(connection, transaction, """
                UPDATE journey_instances SET exit_reason = 'goal', exited_at = @now, converted_at = @now
                WHERE journey_id = @JourneyId AND trigger_message_id = @TriggerMessageId AND status = 'exited' AND exit_reason IS NULL
                """, new { entry.JourneyId, entry.TriggerMessageId, now }, cancellationToken);
        }
        foreach (var signal in outcome.Signals)
        {
            // Only if it still waits there and no runner holds it (a runner that took it at its timeout wins).
            var moved = await Exec(connection, transaction, """
                UPDATE journey_instances SET node = @ToNode, waiting = 0, wake_at = @now, updated_at = @now
                WHERE id = @InstanceId AND node = @FromNode AND waiting = 1 AND status = 'active' AND (lease_until IS NULL OR lease_until <= @now)
                """, new { signal.InstanceId, signal.FromNode, signal.ToNode, now }, cancellationToken);
            if (moved == 1)
            {
                Add(counts, (signal.JourneyId, signal.Version, $"edge:{signal.FromNode}>{signal.ToNode}"), 1);
            }
        }
        foreach (var goal in outcome.Goals)
        {
            if (goal.Exit)
            {
                await Exec(connection, transaction, """
                    UPDATE journey_instances SET status = 'exited', exit_reason = 'goal', exited_at = @now, wake_at = NULL, updated_at = @now,
                        converted_at = CASE WHEN @converted = 1 THEN @now ELSE converted_at END
                    WHERE id = @InstanceId AND status = 'active' AND (lease_until IS NULL OR lease_until <= @now)
                    """, new { goal.InstanceId, now, converted = goal.Converted ? 1 : 0 }, cancellationToken);
            }
            else if (goal.Converted)
            {
                await Exec(connection, transaction, "UPDATE journey_instances SET converted_at = @now, updated_at = @now WHERE id = @InstanceId AND converted_at IS NULL",
                    new { goal.InstanceId, now }, cancellationToken);
            }
        }
        await using (var batch = new StatementBatch(connection, transaction))
        {
            AddCounts(batch, counts);
            await batch.FlushAsync(cancellationToken);
        }
        foreach (var chunk in outcome.Done.Chunk(ListChunk))
        {
            await Exec(connection, transaction, $"DELETE FROM journey_inbox WHERE {database.Dialect.InList("id", "ids")}", new { ids = chunk }, cancellationToken);
        }
        foreach (var chunk in outcome.Deferred.Chunk(ListChunk))
        {
            await Exec(connection, transaction, $"UPDATE journey_inbox SET lease_until = @retry, lease_owner = NULL WHERE {database.Dialect.InList("id", "ids")}",
                new { ids = chunk, retry = outcome.RetryAt.ToUnixTimeMilliseconds() }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return entered;
    }

    public async Task<IReadOnlyList<ClaimedInstance>> ClaimDueAsync(string owner, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        _claimDueSql ??= LeaseClaim.Sql(database.Dialect, "journey_instances", "lease_until = @until, lease_owner = @owner",
            "status = 'active' AND wake_at <= @now AND (lease_until IS NULL OR lease_until <= @now) AND journey_id IN (SELECT id FROM journeys WHERE status = 'active')",
            "wake_at, id", "id");
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        List<long> ids;
        using (await database.WriteTurnAsync(cancellationToken))
        {
            ids = [.. await connection.QueryAsync<long>(new CommandDefinition(_claimDueSql,
                new { owner, limit = Math.Max(1, limit), now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken))];
        }
        var result = new List<ClaimedInstance>(ids.Count);
        foreach (var chunk in ids.Chunk(ListChunk))
        {
            var rows = await connection.QueryAsync<ClaimRow>(new CommandDefinition($"""
                SELECT {InstanceColumns}, c.phone AS Phone, c.attributes AS Attributes, c.timezone AS Timezone, c.locale AS Locale, c.external_id AS ExternalId,
                    CASE WHEN c.id IS NULL OR c.erased_at IS NOT NULL THEN 1 ELSE 0 END AS Erased
                FROM journey_instances i LEFT JOIN contacts c ON c.id = i.contact_id
                WHERE {database.Dialect.InList("i.id", "ids")}
                """, new { ids = chunk }, cancellationToken: cancellationToken));
            result.AddRange(rows.Select(r => new ClaimedInstance(r.ToRecord(), r.Phone, r.Attributes, r.Timezone, r.Locale, r.ExternalId, r.Erased == 1)));
        }
        return [.. result.OrderBy(r => r.Instance.WakeAt).ThenBy(r => r.Instance.Id)];
    }

    public async Task<int> CommitStepsAsync(string owner, IReadOnlyList<JourneyStep> steps, CancellationToken cancellationToken)
    {
        if (steps.Count == 0)
        {
            return 0;
        }
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new StatementBatch(connection, transaction);
        // Each step only where the claim found its instance, still held by this runner and still active: an event that moved it
        // meanwhile, a goal exit, or another runner after an expired lease wins, and that step (with its messages) is dropped.
        // One statement for the whole chunk; it returns the instances that moved.
        var moved = (await batch.ReturningAsync<long>(MoveInstance, [.. steps.Select(step => new object?[]
        {
            step.From.Instance.Id, step.Node, step.Waiting ? 1L : 0L, step.ExitReason is null ? step.WakeAt?.ToUnixTimeMilliseconds() : null, step.ExitReason,
            step.Converted ? 1L : 0L, step.From.Instance.Node, step.From.Instance.Waiting ? 1L : 0L, owner, now,
        })], cancellationToken)).ToHashSet();
        var counts = new Dictionary<(string, int, string), long>();
        var keys = new List<IdempotencyRecord>();
        var messages = new List<(MessageRecord, DispatchInfo)>();
        var webhooks = new List<OutboxItem>();
        var stored = 0;
        foreach (var step in steps)
        {
            var from = step.From.Instance;
            if (!moved.Contains(from.Id))
            {
                continue;
            }
            stored++;
            foreach (var (message, dispatch, key) in step.Messages)
            {
                keys.Add(key);
                messages.Add((message, dispatch));
            }
            webhooks.AddRange(step.Webhooks);
            foreach (var (key, count) in step.Counts)
            {
                Add(counts, (from.JourneyId, from.Version, key), count);
            }
        }
        // The key journey:{instance}:{node} is unique: should a step ever run twice, the second commit fails whole and nothing is sent twice.
        AddIdempotencyKeys(batch, keys);
        AddQueued(batch, messages);
        AddCounts(batch, counts);
        await batch.FlushAsync(cancellationToken);
        if (webhooks.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(SqlOutboxStore.InsertSql, SqlOutboxStore.InsertRows(webhooks, database.Clock.GetUtcNow()), transaction,
                cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task ReleaseAsync(string owner, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        foreach (var chunk in ids.Chunk(ListChunk))
        {
            await Exec(connection, null, $"UPDATE journey_instances SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = @owner AND {database.Dialect.InList("id", "ids")}",
                new { owner, ids = chunk }, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<string?>> EventsSinceAsync(string contactId, string name, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string?>(new CommandDefinition(
            "SELECT properties FROM events WHERE contact_id = @contactId AND name = @name AND at >= @since ORDER BY at LIMIT 100",
            new { contactId, name, since = since.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken))];
    }

    public async Task<bool> InSegmentAsync(string contactId, ContactFilter filter, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(filter.Parameters);
        parameters.Add("journeyContactId", contactId);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT 1 FROM contacts c WHERE c.id = @journeyContactId AND c.erased_at IS NULL AND ({filter.Where})", parameters, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<ClaimedSegmentTrigger>> ClaimSegmentTriggersAsync(string owner, TimeSpan lease, DateTimeOffset? changedAt, TimeSpan changeDelay,
        int limit, CancellationToken cancellationToken)
    {
        _claimSegmentsSql ??= LeaseClaim.Sql(database.Dialect, "journeys", "segment_lease_until = @until, segment_lease_owner = @owner",
            """
            segment_id IS NOT NULL AND (segment_lease_until IS NULL OR segment_lease_until <= @now)
                AND (segment_due_at <= @now OR (segment_evaluated_at <= @changedAt AND segment_evaluated_at <= @settled))
            """, "segment_due_at, id", "id AS JourneyId, segment_id AS SegmentId, version AS Version");
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string JourneyId, string SegmentId, long Version)>(new CommandDefinition(_claimSegmentsSql, new
        {
            owner, limit = Math.Max(1, limit), now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds(),
            changedAt = changedAt?.ToUnixTimeMilliseconds() ?? long.MinValue, settled = (now - changeDelay).ToUnixTimeMilliseconds(),
        }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ClaimedSegmentTrigger(r.JourneyId, r.SegmentId, (int)r.Version))];
    }

    public async Task<SegmentTriggerOutcome> EvaluateSegmentTriggerAsync(string owner, SegmentTriggerEvaluation evaluation, CancellationToken cancellationToken)
    {
        var now = Now();
        var claimed = evaluation.Trigger;
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked for the transaction on PostgreSQL: a publish, a pause or a second evaluation waits for this one.
        var journey = await connection.QueryFirstOrDefaultAsync<SegmentRow>(new CommandDefinition(
            $"SELECT status AS Status, version AS Version, segment_id AS SegmentId FROM journeys WHERE id = @id AND segment_lease_owner = @owner {database.Dialect.ForUpdate}",
            new { id = claimed.JourneyId, owner }, transaction, cancellationToken: cancellationToken));
        if (journey is null)
        {
            // Another node took it after this one's lease ran out: that one evaluates.
            return new SegmentTriggerOutcome(false, 0, 0, 0);
        }
        if (journey.Version != claimed.Version || journey.SegmentId != claimed.SegmentId)
        {
            // Published again meanwhile: evaluate again at once with the new version.
            await Exec(connection, transaction, """
                UPDATE journeys SET segment_lease_until = NULL, segment_lease_owner = NULL, segment_due_at = @now WHERE id = @id AND segment_lease_owner = @owner
                """, new { id = claimed.JourneyId, owner, now }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new SegmentTriggerOutcome(false, 0, 0, 0);
        }
        var evaluationId = Guid.NewGuid().ToString("N");
        var parameters = new DynamicParameters(evaluation.Filter.Parameters);
        parameters.AddDynamicParams(new
        {
            jst_journey = claimed.JourneyId, jst_version = claimed.Version, jst_now = now, jst_evaluation = evaluationId, jst_node = evaluation.Node,
            jst_properties = $$"""{"segment_id":{{System.Text.Json.JsonSerializer.Serialize(claimed.SegmentId)}}}""",
            jst_after = now - (long)TimeSpan.FromHours(evaluation.ReEntryHours ?? 0).TotalMilliseconds,
        });
        var joined = await Exec(connection, transaction, $"""
            INSERT INTO journey_segment_members (journey_id, contact_id, since, evaluation)
            SELECT @jst_journey, c.id, @jst_now, @jst_evaluation FROM contacts c WHERE ({evaluation.Filter.Where})
            ON CONFLICT (journey_id, contact_id) DO NOTHING
            """, parameters, cancellationToken);
        var left = await Exec(connection, transaction, $"""
            DELETE FROM journey_segment_members WHERE journey_id = @jst_journey
                AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = journey_segment_members.contact_id AND ({evaluation.Filter.Where}))
            """, parameters, cancellationToken);
        var entered = 0;
        if (joined > 0 && journey.Status == "active")
        {
            // The trigger's id is the membership (journey, contact, since): unique, so a second evaluation or a replay adds nothing;
            // the entry key is the event path's, so the re-entry rule holds across both.
            const string Trigger = "'segment:' || m.contact_id || ':' || CAST(m.since AS TEXT)";
            const string Earlier = "SELECT 1 FROM journey_instances p WHERE p.journey_id = @jst_journey AND p.contact_id = m.contact_id";
            var (key, rule) = evaluation.ReEntryMode switch
            {
                "once" => ("m.contact_id || ':1'", $"AND NOT EXISTS ({Earlier})"),
                "afterHours" => (
                    "m.contact_id || ':' || CAST((SELECT COUNT(*) FROM journey_instances p WHERE p.journey_id = @jst_journey AND p.contact_id = m.contact_id) + 1 AS TEXT)",
                    $"AND NOT EXISTS ({Earlier} AND (p.status = 'active' OR p.entered_at > @jst_after))"),
                _ => ($"'m:' || {Trigger}", ""),
            };
            entered = await Exec(connection, transaction, $"""
                INSERT INTO journey_instances (journey_id, version, contact_id, node, waiting, status, wake_at, entry_key, trigger_message_id, trigger_name,
                    trigger_properties, trigger_at, entered_at, updated_at)
                SELECT @jst_journey, @jst_version, m.contact_id, @jst_node, 0, 'active', @jst_now, {key}, {Trigger}, 'segment_entered',
                    @jst_properties, m.since, @jst_now, @jst_now
                FROM journey_segment_members m WHERE m.journey_id = @jst_journey AND m.evaluation = @jst_evaluation {rule}
                ON CONFLICT DO NOTHING
                """, parameters, cancellationToken);
        }
        await Exec(connection, transaction, """
            UPDATE journeys SET segment_due_at = @next, segment_evaluated_at = @now, segment_lease_until = NULL, segment_lease_owner = NULL
            WHERE id = @id AND segment_lease_owner = @owner
            """, new { id = claimed.JourneyId, owner, now, next = evaluation.NextDueAt.ToUnixTimeMilliseconds() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SegmentTriggerOutcome(true, joined, left, entered);
    }

    public async Task ReleaseSegmentTriggerAsync(string owner, string journeyId, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            UPDATE journeys SET segment_lease_until = NULL, segment_lease_owner = NULL, segment_due_at = @due WHERE id = @id AND segment_lease_owner = @owner
            """, new { id = journeyId, owner, due = dueAt.ToUnixTimeMilliseconds() }, cancellationToken);
    }

    public async Task<JourneyCounts> CountsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        async Task<Dictionary<string, long>> Group(string sql) =>
            (await connection.QueryAsync<(string? Key, long Count)>(new CommandDefinition(sql, new { id }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Key ?? "unknown", r => r.Count, StringComparer.Ordinal);
        var entered = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM journey_instances WHERE journey_id = @id", new { id },
            cancellationToken: cancellationToken));
        var converted = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM journey_instances WHERE journey_id = @id AND converted_at IS NOT NULL", new { id }, cancellationToken: cancellationToken));
        return new JourneyCounts(entered,
            await Group("SELECT node, COUNT(*) FROM journey_instances WHERE journey_id = @id AND status = 'active' GROUP BY node"),
            await Group("SELECT exit_reason, COUNT(*) FROM journey_instances WHERE journey_id = @id AND status = 'exited' GROUP BY exit_reason"),
            converted,
            await Group("SELECT key, SUM(count) FROM journey_counts WHERE journey_id = @id GROUP BY key"));
    }

    public async Task<IReadOnlyList<JourneyInstance>> InstancesAsync(string id, string? contactId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InstanceRow>(new CommandDefinition($"""
            SELECT {InstanceColumns} FROM journey_instances i WHERE i.journey_id = @id AND (@contactId IS NULL OR i.contact_id = @contactId)
            ORDER BY i.id DESC LIMIT @limit
            """, new { id, contactId, limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    private static void Add(Dictionary<(string, int, string), long> counts, (string, int, string) key, long n) => counts[key] = counts.GetValueOrDefault(key) + n;

    private static void AddCounts(StatementBatch batch, Dictionary<(string, int, string), long> counts)
    {
        foreach (var ((journeyId, version, key), count) in counts.OrderBy(c => c.Key))
        {
            batch.Add(AddCount, journeyId, (long)version, key, count);
        }
    }

    private long Now() => database.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Status { get; set; } = "";
        public string Draft { get; set; } = "";
        public long Version { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public JourneyRecord ToRecord() => new()
        {
            Id = Id, Name = Name, Status = Status, Draft = Draft, Version = (int)Version, CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt),
        };
    }

    private sealed class SegmentRow
    {
        public string Status { get; set; } = "";
        public long Version { get; set; }
        public string? SegmentId { get; set; }
    }

    private sealed class EventRow
    {
        public long Id { get; set; }
        public string MessageId { get; set; } = "";
        public string ContactId { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Properties { get; set; }
        public long At { get; set; }
    }

    private class InstanceRow
    {
        public long Id { get; set; }
        public string JourneyId { get; set; } = "";
        public long Version { get; set; }
        public string ContactId { get; set; } = "";
        public string Node { get; set; } = "";
        public long Waiting { get; set; }
        public string Status { get; set; } = "";
        public long? WakeAt { get; set; }
        public long? LeaseUntil { get; set; }
        public string TriggerMessageId { get; set; } = "";
        public string TriggerName { get; set; } = "";
        public string? TriggerProperties { get; set; }
        public long TriggerAt { get; set; }
        public long EnteredAt { get; set; }
        public long? ExitedAt { get; set; }
        public string? ExitReason { get; set; }
        public long? ConvertedAt { get; set; }

        public JourneyInstance ToRecord() => new()
        {
            Id = Id, JourneyId = JourneyId, Version = (int)Version, ContactId = ContactId, Node = Node, Waiting = Waiting == 1, Status = Status,
            WakeAt = WakeAt is { } w ? Time(w) : null, LeaseUntil = LeaseUntil is { } l ? Time(l) : null, TriggerMessageId = TriggerMessageId,
            TriggerName = TriggerName, TriggerProperties = TriggerProperties, TriggerAt = Time(TriggerAt), EnteredAt = Time(EnteredAt),
            ExitedAt = ExitedAt is { } e ? Time(e) : null, ExitReason = ExitReason, ConvertedAt = ConvertedAt is { } c ? Time(c) : null,
        };
    }

    private sealed class ClaimRow : InstanceRow
    {
        public string? Phone { get; set; }
        public string? Attributes { get; set; }
        public string? Timezone { get; set; }
        public string? Locale { get; set; }
        public string? ExternalId { get; set; }
        public long Erased { get; set; }
    }
}
