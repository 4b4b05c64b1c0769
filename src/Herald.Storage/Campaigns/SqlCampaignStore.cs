using System.Data.Common;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Messages.MessageSql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Campaigns;

/// <summary>Campaigns over the <c>campaigns</c> and <c>campaign_recipients</c> tables.</summary>
internal sealed partial class SqlCampaignStore(SqlDatabase database) : ICampaignStore
{
    private const string Columns = """
        id AS Id, name AS Name, status AS Status, definition AS Definition, audience_count AS AudienceCount, status_reason AS StatusReason,
        created_at AS CreatedAt, updated_at AS UpdatedAt, launched_at AS LaunchedAt, finished_at AS FinishedAt,
        test_ended_at AS TestEndedAt, winner_variant AS WinnerVariant, winner_reason AS WinnerReason, winner_at AS WinnerAt
        """;

    /// <summary>Messages a pause or cancel can take back: stored for the campaign and never tried.</summary>
    private const string Untried = "campaign_id = @id AND status = 'queued' AND attempts = 0";

    public async Task CreateAsync(CampaignRecord campaign, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, """
            INSERT INTO campaigns (id, name, status, definition, audience_count, status_reason, created_at, updated_at)
            VALUES (@Id, @Name, @Status, @Definition, 0, @StatusReason, @CreatedAt, @CreatedAt)
            """, new { campaign.Id, campaign.Name, campaign.Status, campaign.Definition, campaign.StatusReason, CreatedAt = campaign.CreatedAt.ToUnixTimeMilliseconds() },
            cancellationToken);
    }

    public async Task<CampaignRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM campaigns WHERE id = @id", new { id },
            cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<CampaignRecord>> ListAsync(IReadOnlyCollection<string>? statuses, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var where = statuses is { Count: > 0 } ? $"WHERE {database.Dialect.InList("status", "statuses")}" : "";
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM campaigns {where} ORDER BY created_at DESC, id DESC LIMIT @limit",
            new { statuses = statuses?.ToArray(), limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<bool> UpdateAsync(string id, string name, string definition, IReadOnlyCollection<string> editable, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, $"""
            UPDATE campaigns SET name = @name, definition = @definition, updated_at = @now WHERE id = @id AND {database.Dialect.InList("status", "editable")}
            """, new { id, name, definition, editable = editable.ToArray(), now = Now() }, cancellationToken) == 1;
    }

    public async Task<bool> TransitionAsync(string id, IReadOnlyCollection<string> from, string to, string? reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Transition(connection, null, id, from, to, reason, cancellationToken);
    }

    private async Task<bool> Transition(DbConnection connection, DbTransaction? transaction, string id, IReadOnlyCollection<string> from, string to, string? reason,
        CancellationToken cancellationToken)
    {
        var finished = to is "completed" or "cancelled";
        return await Exec(connection, transaction, $"""
            UPDATE campaigns SET status = @to, status_reason = @reason, updated_at = @now,
                finished_at = CASE WHEN @finished = 1 THEN @now ELSE finished_at END
            WHERE id = @id AND {database.Dialect.InList("status", "from")}
            """, new { id, to, reason, now = Now(), finished = finished ? 1 : 0, from = from.ToArray() }, cancellationToken) == 1;
    }

    public async Task<long?> LaunchAsync(string id, CampaignAudience audience, DateTimeOffset dueAt, Func<string?, DateTimeOffset>? dueInZone, string status,
        Func<string, RecipientAssignment>? assign, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await Transition(connection, transaction, id, ["draft"], status, null, cancellationToken))
        {
            return null;
        }
        const string Insert = """
            INSERT INTO campaign_recipients (campaign_id, contact_id, phone, timezone, variant, status, due_at, updated_at)
            SELECT @id, c.id, c.phone, c.timezone, 0, 'pending', @due, @now FROM contacts c
            WHERE c.erased_at IS NULL AND c.phone IS NOT NULL AND
            """;
        const string Tail = " ON CONFLICT (campaign_id, contact_id) DO NOTHING";
        var due = dueAt.ToUnixTimeMilliseconds();
        long added = 0;
        switch (audience)
        {
            case CampaignAudience.Everyone:
                added = await Exec(connection, transaction, Insert + " 1 = 1" + Tail, new { id, due, now }, cancellationToken);
                break;
            case CampaignAudience.Contacts contacts:
                foreach (var chunk in contacts.ContactIds.Distinct(StringComparer.Ordinal).Chunk(ListChunk))
                {
                    added += await Exec(connection, transaction, Insert + " " + database.Dialect.InList("c.id", "ids") + Tail,
                        new { id, due, now, ids = chunk }, cancellationToken);
                }
                break;
            case CampaignAudience.Segment segment:
                var parameters = new DynamicParameters(segment.Filter.Parameters);
                parameters.AddDynamicParams(new { id, due, now });
                added = await Exec(connection, transaction, Insert + " (" + segment.Filter.Where + ")" + Tail, parameters, cancellationToken);
                break;
        }
        if (dueInZone is not null)
        {
            // One update per time zone, not per recipient.
            var zones = await connection.QueryAsync<string?>(new CommandDefinition(
                "SELECT DISTINCT timezone FROM campaign_recipients WHERE campaign_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
            foreach (var zone in zones.ToList())
            {
                await Exec(connection, transaction, """
                    UPDATE campaign_recipients SET due_at = @due
                    WHERE campaign_id = @id AND (timezone = @zone OR (@zone IS NULL AND timezone IS NULL))
                    """, new { id, zone, due = dueInZone(zone).ToUnixTimeMilliseconds() }, cancellationToken);
            }
        }
        if (assign is not null)
        {
            await AssignAsync(connection, transaction, id, assign, cancellationToken);
        }
        await Exec(connection, transaction, "UPDATE campaigns SET audience_count = @added, launched_at = @now WHERE id = @id", new { id, added, now }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>Places every recipient (inserted as pending, variant 0, phase 0): one update per group and chunk, not per recipient.</summary>
    private async Task AssignAsync(DbConnection connection, DbTransaction transaction, string id, Func<string, RecipientAssignment> assign,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<(long Id, string ContactId)>(new CommandDefinition(
            "SELECT id, contact_id FROM campaign_recipients WHERE campaign_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        var groups = rows.Select(r => (r.Id, Place: assign(r.ContactId))).Where(r => r.Place != RecipientAssignment.Default).GroupBy(r => r.Place, r => r.Id);
        foreach (var group in groups)
        {
            foreach (var chunk in group.Chunk(ListChunk))
            {
                await Exec(connection, transaction, $"""
                    UPDATE campaign_recipients SET status = @Status, reason = @Reason, variant = @Variant, phase = @Phase WHERE {database.Dialect.InList("id", "ids")}
                    """, new { group.Key.Status, group.Key.Reason, group.Key.Variant, group.Key.Phase, ids = chunk }, cancellationToken);
            }
        }
    }

    private string ClaimSql => _claimSql ??= LeaseClaim.Sql(database.Dialect, "campaign_recipients",
        "lease_until = @until, lease_owner = @owner, updated_at = @now",
        "campaign_id = @id AND status = 'pending' AND due_at <= @now AND (lease_until IS NULL OR lease_until <= @now)", "due_at, id",
        "id AS Id, contact_id AS ContactId, phone AS Phone, timezone AS Timezone, variant AS Variant");

    private string? _claimSql;

    public async Task<IReadOnlyList<CampaignRecipient>> ClaimAsync(string id, int limit, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = database.Clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        List<ClaimRow> rows;
        using (await database.WriteTurnAsync(cancellationToken))
        {
            rows = [.. await connection.QueryAsync<ClaimRow>(new CommandDefinition(ClaimSql,
                new { id, owner, limit = Math.Max(1, limit), now = now.ToUnixTimeMilliseconds(), until = (now + lease).ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken))];
        }
        var contacts = new Dictionary<string, (string? Attributes, string? Locale)>(StringComparer.Ordinal);
        foreach (var chunk in rows.Select(r => r.ContactId).Chunk(ListChunk))
        {
            foreach (var c in await connection.QueryAsync<(string Id, string? Attributes, string? Locale)>(new CommandDefinition(
                $"SELECT id, attributes, locale FROM contacts WHERE {database.Dialect.InList("id", "ids")}", new { ids = chunk }, cancellationToken: cancellationToken)))
            {
                contacts[c.Id] = (c.Attributes, c.Locale);
            }
        }
        return [.. rows.OrderBy(r => r.Id).Select(r =>
        {
            var contact = contacts.GetValueOrDefault(r.ContactId);
            return new CampaignRecipient(r.Id, r.ContactId, r.Phone, r.Timezone, contact.Attributes, contact.Locale, (int)r.Variant);
        })];
    }

    public async Task<bool> CommitAsync(string id, IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return true;
        }
        var now = Now();
        var queued = outcomes.OfType<RecipientOutcome.Queued>().ToList();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A pause or cancel that came while the chunk was being written wins: the campaign row is locked (PostgreSQL) and
        // read in this transaction, so the chunk is either stored before the pause takes messages back, or not at all.
        var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"SELECT status FROM campaigns WHERE id = @id {database.Dialect.ForUpdate}", new { id }, transaction, cancellationToken: cancellationToken));
        if (status is not ("scheduled" or "running"))
        {
            foreach (var chunk in outcomes.Select(o => o.RecipientId).Chunk(ListChunk))
            {
                await Exec(connection, transaction, $"""
                    UPDATE campaign_recipients SET lease_until = NULL, lease_owner = NULL WHERE {database.Dialect.InList("id", "ids")}
                    """, new { ids = chunk }, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return false;
        }
        // The key campaign:{id}:{contact} is unique: should two workers ever hold one recipient (a lease that ran out), the
        // second commit fails whole and nothing is sent twice.
        await InsertIdempotencyKeys(connection, transaction, [.. queued.Select(q => q.Key)], cancellationToken);
        await InsertQueued(connection, transaction, [.. queued.Select(q => (q.Message, q.Dispatch))], cancellationToken);
        await Exec(connection, transaction, """
            UPDATE campaign_recipients SET status = @Status, reason = @Reason, message_id = @MessageId, due_at = COALESCE(@DueAt, due_at),
                lease_until = NULL, lease_owner = NULL, updated_at = @Now
            WHERE id = @Id AND campaign_id = @CampaignId
            """, outcomes.Select(o => o switch
        {
            RecipientOutcome.Queued q => new { Id = q.RecipientId, CampaignId = id, Status = "queued", Reason = (string?)null, MessageId = (string?)q.Message.Id, DueAt = (long?)null, Now = now },
            RecipientOutcome.Skipped s => new { Id = s.RecipientId, CampaignId = id, Status = "skipped", Reason = (string?)s.Reason, MessageId = (string?)null, DueAt = (long?)null, Now = now },
            RecipientOutcome.Deferred d => new { Id = d.RecipientId, CampaignId = id, Status = "pending", Reason = (string?)d.Reason, MessageId = (string?)null,
                DueAt = (long?)d.Until.ToUnixTimeMilliseconds(), Now = now },
            _ => throw new ArgumentOutOfRangeException(nameof(outcomes)),
        }).ToList(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<int> TakeBackAsync(string id, bool cancel, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked first (on PostgreSQL the dispatcher's claim skips locked rows), so no message is both taken back and sent.
        var ids = (await connection.QueryAsync<string>(new CommandDefinition($"SELECT id FROM messages WHERE {Untried} ORDER BY id {database.Dialect.ForUpdate}",
            new { id }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var chunk in ids.Chunk(ListChunk))
        {
            var list = database.Dialect.InList("message_id", "ids");
            await Exec(connection, transaction, $"""
                UPDATE campaign_recipients SET status = @to, reason = @reason, message_id = NULL, updated_at = @now WHERE campaign_id = @id AND {list}
                """, new { id, ids = chunk, to = cancel ? "cancelled" : "pending", reason = cancel ? "cancelled" : "paused", now }, cancellationToken);
            await Exec(connection, transaction, $"DELETE FROM message_events WHERE {list}", new { ids = chunk }, cancellationToken);
            await Exec(connection, transaction, $"DELETE FROM idempotency_keys WHERE {list}", new { ids = chunk }, cancellationToken);
            await Exec(connection, transaction, $"DELETE FROM messages WHERE {database.Dialect.InList("id", "ids")}", new { ids = chunk }, cancellationToken);
        }
        if (cancel)
        {
            await Exec(connection, transaction, """
                UPDATE campaign_recipients SET status = 'cancelled', reason = 'cancelled', lease_until = NULL, lease_owner = NULL, updated_at = @now
                WHERE campaign_id = @id AND status IN ('pending', 'held')
                """, new { id, now }, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return ids.Count;
    }

    public async Task<int> CancelPendingAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        return await Exec(connection, null, """
            UPDATE campaign_recipients SET status = 'cancelled', reason = @reason, lease_until = NULL, lease_owner = NULL, updated_at = @now
            WHERE campaign_id = @id AND status IN ('pending', 'held') AND (lease_until IS NULL OR lease_until <= @now)
            """, new { id, reason, now = Now() }, cancellationToken);
    }

    public async Task<long> OutstandingAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = @id AND status IN ('pending', 'held')", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<long> PendingAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = @id AND status = 'pending'", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<DateTimeOffset> EndTestPhaseAsync(string id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using (await database.WriteTurnAsync(cancellationToken))
        {
            await Exec(connection, null, "UPDATE campaigns SET test_ended_at = @at WHERE id = @id AND test_ended_at IS NULL",
                new { id, at = at.ToUnixTimeMilliseconds() }, cancellationToken);
        }
        return Time(await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT test_ended_at FROM campaigns WHERE id = @id", new { id },
            cancellationToken: cancellationToken)));
    }

    public async Task<bool> ChooseWinnerAsync(string id, int variant, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var now = at.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Once, cluster-wide: the node whose update finds no winner yet releases the held recipients.
        if (await Exec(connection, transaction, """
            UPDATE campaigns SET winner_variant = @variant, winner_reason = @reason, winner_at = @now, updated_at = @now WHERE id = @id AND winner_variant IS NULL
            """, new { id, variant, reason, now }, cancellationToken) != 1)
        {
            return false;
        }
        await Exec(connection, transaction, """
            UPDATE campaign_recipients SET status = 'pending', reason = NULL, variant = @variant, updated_at = @now,
                due_at = CASE WHEN due_at > @now THEN due_at ELSE @now END
            WHERE campaign_id = @id AND status = 'held'
            """, new { id, variant, now }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<CampaignResultRow>> ResultsAsync(string id, string? goal, TimeSpan window, CancellationToken cancellationToken)
    {
        var dialect = database.Dialect;
        // A click is a clicked event of the recipient's contact that names the recipient's message (ix_events_contact finds them).
        var clickOf = $"c.contact_id = r.contact_id AND c.name = 'clicked' AND {dialect.JsonText("c.properties", "messageId")} = r.message_id";
        var converted = goal is null ? "0 = 1" : $"""
            r.status = 'queued' AND EXISTS (SELECT 1 FROM events g WHERE g.contact_id = r.contact_id AND g.name = @goal AND (
                EXISTS (SELECT 1 FROM message_events d WHERE d.message_id = r.message_id AND d.state = 'delivered' AND d.applied = 1
                    AND g.at >= d.at AND g.at <= d.at + @window)
                OR EXISTS (SELECT 1 FROM messages dm WHERE dm.id = r.message_id AND dm.delivered_at IS NOT NULL
                    AND g.at >= dm.delivered_at AND g.at <= dm.delivered_at + @window)
                OR EXISTS (SELECT 1 FROM events c WHERE {clickOf} AND g.at >= c.at AND g.at <= c.at + @window)))
            OR r.status = 'control' AND EXISTS (SELECT 1 FROM events g WHERE g.contact_id = r.contact_id AND g.name = @goal
                AND g.at >= r.due_at AND g.at <= r.due_at + @window)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ResultRow>(new CommandDefinition($"""
            SELECT r.status AS Status, r.reason AS Reason, r.variant AS Variant, r.phase AS Phase, COUNT(*) AS Recipients,
                SUM(CASE WHEN m.status = 'delivered' THEN 1 ELSE 0 END) AS Delivered,
                SUM(CASE WHEN r.status = 'queued' AND EXISTS (SELECT 1 FROM events c WHERE {clickOf}) THEN 1 ELSE 0 END) AS Clicked,
                SUM(CASE WHEN {converted} THEN 1 ELSE 0 END) AS Converted
            FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
            WHERE r.campaign_id = @id AND r.status IN ('queued', 'control')
            GROUP BY r.status, r.reason, r.variant, r.phase
            """, new { id, goal, window = (long)window.TotalMilliseconds }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CampaignResultRow(r.Status, r.Reason, (int)r.Variant, (int)r.Phase, r.Recipients, r.Delivered ?? 0, r.Clicked ?? 0,
            r.Converted ?? 0))];
    }

    public async Task<CampaignCounts> CountsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        async Task<IReadOnlyDictionary<string, long>> Group(string sql) =>
            (await connection.QueryAsync<(string? Key, long Count)>(new CommandDefinition(sql, new { id }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Key ?? "unknown", r => r.Count, StringComparer.Ordinal);
        // A report's timeline note ends with the time it was reported: grouped without it.
        var failures = (await Group("""
                SELECT COALESCE(e.note, e.event), COUNT(*) FROM messages m
                JOIN message_events e ON e.message_id = m.id AND e.applied = 1 AND e.state = m.status
                WHERE m.campaign_id = @id AND m.status IN ('failed', 'undelivered', 'rejected', 'expired')
                GROUP BY COALESCE(e.note, e.event)
                """))
            .GroupBy(f => ReportedAt().Replace(Messages.StoredNote.Expand(f.Key)!, ""), StringComparer.Ordinal)
            .Select(g => (Reason: g.Key.Length == 0 ? "unknown" : g.Key, Count: g.Sum(f => f.Value)))
            .OrderByDescending(f => f.Count).Take(20)
            .ToDictionary(f => f.Reason, f => f.Count, StringComparer.Ordinal);
        // A deferral's timeline note starts with its reason code ("legal-window: India allows ..."): grouped by the code.
        var deferred = (await Group("""
                SELECT e.note, COUNT(DISTINCT m.id) FROM messages m
                JOIN message_events e ON e.message_id = m.id AND e.event = 'deferred'
                WHERE m.campaign_id = @id
                GROUP BY e.note
                """))
            .GroupBy(d => d.Key.Split(':', 2)[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(d => d.Value), StringComparer.Ordinal);
        return new CampaignCounts(
            await Group("SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = @id GROUP BY status"),
            await Group("SELECT reason, COUNT(*) FROM campaign_recipients WHERE campaign_id = @id AND status = 'skipped' GROUP BY reason"),
            // Live messages plus those past retention, counted into message_daily before they were removed.
            await Group("SELECT status, SUM(n) FROM (SELECT status, COUNT(*) AS n FROM messages WHERE campaign_id = @id GROUP BY status UNION ALL SELECT status, SUM(messages) AS n FROM message_daily WHERE campaign_id = @id GROUP BY status) x GROUP BY status"),
            failures,
            deferred);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*\(?reported at [^)]*\)?$")]
    private static partial System.Text.RegularExpressions.Regex ReportedAt();

    public async Task<IReadOnlyList<CampaignRecipientRow>> RecipientsAsync(string id, string? status, string? reason, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RecipientRow>(new CommandDefinition("""
            SELECT r.id AS Id, r.contact_id AS ContactId, r.phone AS Phone, r.status AS Status, r.reason AS Reason, r.message_id AS MessageId,
                m.status AS MessageStatus, r.due_at AS DueAt, r.updated_at AS UpdatedAt, r.variant AS Variant
            FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id
            WHERE r.campaign_id = @id AND r.id > @after AND (@status IS NULL OR r.status = @status) AND (@reason IS NULL OR r.reason = @reason)
            ORDER BY r.id LIMIT @limit
            """, new { id, status, reason, after, limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CampaignRecipientRow(r.Id, r.ContactId, r.Phone, r.Status, r.Reason, r.MessageId, r.MessageStatus,
            r.DueAt is { } due ? Time(due) : null, Time(r.UpdatedAt), (int)r.Variant))];
    }

    public async Task<IReadOnlyList<CampaignMinute>> MinutesAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // By the minute a message went (next_attempt_at: when it was last due), not when it was made: a message the policy held
        // until India's window opened counts at 10:00 IST, not at the 23:00 launch. Messages past retention survive as per-day
        // counts: each such day is one point at the day's first minute.
        var rows = await connection.QueryAsync<(long Minute, string Status, long Count)>(new CommandDefinition(
            """
            SELECT COALESCE(next_attempt_at, created_at) / 60000, status, COUNT(*) FROM messages WHERE campaign_id = @id
            GROUP BY COALESCE(next_attempt_at, created_at) / 60000, status
            UNION ALL
            SELECT day * 1440, status, SUM(messages) FROM message_daily WHERE campaign_id = @id GROUP BY day, status
            """,
            new { id }, cancellationToken: cancellationToken));
        return [.. rows.GroupBy(r => r.Minute).OrderBy(g => g.Key).Select(g => new CampaignMinute(Time(g.Key * 60000), g.Sum(r => r.Count),
            g.Where(r => r.Status == "delivered").Sum(r => r.Count),
            g.Where(r => r.Status is "failed" or "undelivered" or "rejected" or "expired").Sum(r => r.Count)))];
    }

    public async Task<(double? P50, double? P95)> DeliveryLatencyAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var latencies = (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT a.delivered_at - a.at FROM (
                SELECT m.id, COALESCE(m.accepted_at,
                    (SELECT MIN(e.at) FROM message_events e WHERE e.message_id = m.id AND e.state = 'accepted' AND e.applied = 1)) AS at,
                    COALESCE(m.delivered_at,
                        (SELECT MIN(d.at) FROM message_events d WHERE d.message_id = m.id AND d.state = 'delivered' AND d.applied = 1)) AS delivered_at
                FROM messages m WHERE m.campaign_id = @id AND m.status = 'delivered'
            ) a
            WHERE a.at IS NOT NULL AND a.delivered_at IS NOT NULL
            LIMIT 10000
            """, new { id }, cancellationToken: cancellationToken))).Order().ToList();
        return latencies.Count == 0 ? (null, null) : (Percentile(latencies, 0.50), Percentile(latencies, 0.95));
    }

    private static double Percentile(List<long> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

    private long Now() => database.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class ResultRow
    {
        public string Status { get; set; } = "";
        public string? Reason { get; set; }
        public long Variant { get; set; }
        public long Phase { get; set; }
        public long Recipients { get; set; }
        public long? Delivered { get; set; }
        public long? Clicked { get; set; }
        public long? Converted { get; set; }
    }

    private sealed class ClaimRow
    {
        public long Id { get; set; }
        public string ContactId { get; set; } = "";
        public string Phone { get; set; } = "";
        public string? Timezone { get; set; }
        public long Variant { get; set; }
    }

    private sealed class RecipientRow
    {
        public long Id { get; set; }
        public string ContactId { get; set; } = "";
        public string Phone { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Reason { get; set; }
        public string? MessageId { get; set; }
        public string? MessageStatus { get; set; }
        public long? DueAt { get; set; }
        public long UpdatedAt { get; set; }
        public long Variant { get; set; }
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Status { get; set; } = "";
        public string Definition { get; set; } = "";
        public long AudienceCount { get; set; }
        public string? StatusReason { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? LaunchedAt { get; set; }
        public long? FinishedAt { get; set; }
        public long? TestEndedAt { get; set; }
        public long? WinnerVariant { get; set; }
        public string? WinnerReason { get; set; }
        public long? WinnerAt { get; set; }

        public CampaignRecord ToRecord() => new()
        {
            Id = Id, Name = Name, Status = Status, Definition = Definition, AudienceCount = AudienceCount, StatusReason = StatusReason,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt), LaunchedAt = LaunchedAt is { } l ? Time(l) : null,
            FinishedAt = FinishedAt is { } f ? Time(f) : null, TestEndedAt = TestEndedAt is { } t ? Time(t) : null,
            WinnerVariant = WinnerVariant is { } w ? (int)w : null, WinnerReason = WinnerReason, WinnerAt = WinnerAt is { } a ? Time(a) : null,
        };
    }
}
