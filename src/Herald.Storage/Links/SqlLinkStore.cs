using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Links;

/// <summary>Short links (<c>links</c>) and inbound messages (<c>inbound_messages</c>).</summary>
internal sealed class SqlLinkStore(SqlDatabase database) : ILinkStore, IInboundStore
{
    private const string LinkColumns = """
        code AS Code, url AS Url, message_id AS MessageId, phone AS Phone, campaign_id AS CampaignId, journey_id AS JourneyId,
        created_at AS CreatedAt, clicks AS Clicks, first_click_at AS FirstClickAt, last_click_at AS LastClickAt
        """;

    /// <summary>New short links, set-based: a chunk of a campaign's or a journey's messages is one statement.</summary>
    private static readonly Statement InsertLink = new("""
        INSERT INTO links (code, url, message_id, phone, campaign_id, journey_id, created_at, clicks)
        SELECT r.code, r.url, r.message_id, r.phone, r.campaign_id, r.journey_id, r.created_at, 0 FROM {rows}
        """, "code text", "url text", "message_id text", "phone text", "campaign_id text", "journey_id text", "created_at bigint");

    private static readonly Statement CountClick = new("""
        UPDATE links SET clicks = clicks + 1, first_click_at = COALESCE(first_click_at, @p1), last_click_at = @p1 WHERE code = @p0
        """);

    // Set-based on PostgreSQL (the table's sequence numbers the rows); on SQLite one row at a time, numbered within its message.
    private static readonly Statement TimelineClick = new("""
        INSERT INTO message_events (message_id, at, source, event, state, applied, note, detail)
        SELECT r.message_id, r.at, 'link', 'clicked', NULL, 0, r.note, r.detail FROM {rows}
        """, "message_id text", "at bigint", "note text", "detail text")
    {
        SqliteRow = $"""
            INSERT INTO message_events (message_id, id, at, source, event, state, applied, note, detail)
            VALUES (@p0, {MessageEventIds.Sqlite("@p0")}, @p1, 'link', 'clicked', NULL, 0, @p2, @p3)
            """,
    };

    public async Task<bool> InsertAsync(IReadOnlyList<LinkRecord> links, CancellationToken cancellationToken)
    {
        if (links.Count == 0)
        {
            return true;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new StatementBatch(connection, transaction);
        foreach (var link in links)
        {
            batch.Add(InsertLink, link.Code, link.Url, link.MessageId, link.Phone, link.CampaignId, link.JourneyId, link.CreatedAt.ToUnixTimeMilliseconds());
        }
        try
        {
            await batch.FlushAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
    }

    public async Task<LinkRecord?> FindAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<LinkRow>(new CommandDefinition(
            $"SELECT {LinkColumns} FROM links WHERE code = @code", new { code }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<LinkRecord>> ForMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<LinkRow>(new CommandDefinition(
            $"SELECT {LinkColumns} FROM links WHERE message_id = @messageId ORDER BY created_at, code", new { messageId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task RecordClicksAsync(IReadOnlyList<LinkClick> clicks, CancellationToken cancellationToken)
    {
        if (clicks.Count == 0)
        {
            return;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new StatementBatch(connection, transaction);
        foreach (var click in clicks)
        {
            var at = click.At.ToUnixTimeMilliseconds();
            batch.Add(CountClick, click.Link.Code, at);
            batch.Add(TimelineClick, click.Link.MessageId, at, click.Link.Url,
                JsonSerializer.Serialize(new Dictionary<string, string?> { ["code"] = click.Link.Code, ["url"] = click.Link.Url, ["userAgent"] = click.UserAgent }));
        }
        await batch.FlushAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<LinkClickCounts> CampaignClicksAsync(string campaignId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var (clicks, messages) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT), COUNT(DISTINCT message_id) FROM links WHERE campaign_id = @campaignId AND clicks > 0",
            new { campaignId }, cancellationToken: cancellationToken));
        return new LinkClickCounts(clicks, messages);
    }

    public async Task<Page<LinkRecord>> ForCampaignAsync(string campaignId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 500);
        await using var connection = await database.OpenAsync(cancellationToken);
        // ix_links_campaign_code: the campaign's links in code order, a page at a time.
        var rows = (await connection.QueryAsync<LinkRow>(new CommandDefinition(
            $"SELECT {LinkColumns} FROM links WHERE campaign_id = @campaignId AND (@cursor IS NULL OR code > @cursor) ORDER BY code LIMIT @limit",
            new { campaignId, cursor, limit = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        return new Page<LinkRecord>([.. rows.Take(limit).Select(r => r.ToRecord())], rows.Count > limit ? rows[limit - 1].Code : null);
    }

    private const string InboundColumns = """
        id AS Id, provider_id AS ProviderId, dedupe_key AS DedupeKey, from_number AS FromNumber, to_number AS ToNumber, text AS Text,
        keyword AS Keyword, message_id AS MessageId, contact_id AS ContactId, reply_message_id AS ReplyMessageId, note AS Note,
        received_at AS ReceivedAt, raw AS Raw
        """;

    public async Task<bool> InsertAsync(InboundRecord inbound, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        try
        {
            await Exec(connection, null, """
                INSERT INTO inbound_messages (id, provider_id, dedupe_key, from_number, to_number, text, keyword, message_id, contact_id, reply_message_id, note, received_at, raw)
                VALUES (@Id, @ProviderId, @DedupeKey, @From, @To, @Text, @Keyword, @MessageId, @ContactId, @ReplyMessageId, @Note, @ReceivedAt, @Raw)
                """, new
            {
                inbound.Id, inbound.ProviderId, inbound.DedupeKey, inbound.From, inbound.To, inbound.Text, inbound.Keyword, inbound.MessageId,
                inbound.ContactId, inbound.ReplyMessageId, inbound.Note, ReceivedAt = inbound.ReceivedAt.ToUnixTimeMilliseconds(), inbound.Raw,
            }, cancellationToken);
            return true;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public async Task UpdateOutcomeAsync(string id, string? replyMessageId, string? note, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await Exec(connection, null, "UPDATE inbound_messages SET reply_message_id = COALESCE(@replyMessageId, reply_message_id), note = @note WHERE id = @id",
            new { id, replyMessageId, note }, cancellationToken);
    }

    public async Task<InboundRecord?> FindByDedupeKeyAsync(string dedupeKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<InboundRow>(new CommandDefinition(
            $"SELECT {InboundColumns} FROM inbound_messages WHERE dedupe_key = @dedupeKey", new { dedupeKey }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<Page<InboundRecord>> ListAsync(string? from, string? keyword, int limit, string? cursor, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 500);
        long? afterAt = null;
        string? afterId = null;
        if (cursor is not null && cursor.Split(' ', 2) is [var at, var id] && long.TryParse(at, CultureInfo.InvariantCulture, out var ms))
        {
            (afterAt, afterId) = (ms, id);
        }
        var sql = new StringBuilder($"SELECT {InboundColumns} FROM inbound_messages WHERE (@from IS NULL OR from_number = @from)");
        sql.Append(keyword == InboundRecord.PlainReply ? " AND keyword IS NULL" : " AND (@keyword IS NULL OR keyword = @keyword)");
        sql.Append(" AND (@afterAt IS NULL OR received_at < @afterAt OR (received_at = @afterAt AND id < @afterId)) ORDER BY received_at DESC, id DESC LIMIT @limit");
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<InboundRow>(new CommandDefinition(sql.ToString(),
            new { from, keyword, afterAt, afterId, limit = limit + 1 }, cancellationToken: cancellationToken))).ToList();
        var next = rows.Count > limit ? $"{rows[limit - 1].ReceivedAt.ToString(CultureInfo.InvariantCulture)} {rows[limit - 1].Id}" : null;
        return new Page<InboundRecord>([.. rows.Take(limit).Select(r => r.ToRecord())], next);
    }

    public async Task<string?> LastMessageToAsync(string phone, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Message ids are time-ordered (UUIDv7), so the highest id is the latest message (ix_messages_to).
        return await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT id FROM messages WHERE to_number = @phone ORDER BY id DESC LIMIT 1", new { phone }, cancellationToken: cancellationToken));
    }

    private sealed class LinkRow
    {
        public string Code { get; set; } = "";
        public string Url { get; set; } = "";
        public string MessageId { get; set; } = "";
        public string Phone { get; set; } = "";
        public string? CampaignId { get; set; }
        public string? JourneyId { get; set; }
        public long CreatedAt { get; set; }
        public long Clicks { get; set; }
        public long? FirstClickAt { get; set; }
        public long? LastClickAt { get; set; }

        public LinkRecord ToRecord() => new()
        {
            Code = Code, Url = Url, MessageId = MessageId, Phone = Phone, CampaignId = CampaignId, JourneyId = JourneyId, CreatedAt = Time(CreatedAt),
            Clicks = Clicks, FirstClickAt = FirstClickAt is { } first ? Time(first) : null, LastClickAt = LastClickAt is { } last ? Time(last) : null,
        };
    }

    private sealed class InboundRow
    {
        public string Id { get; set; } = "";
        public string ProviderId { get; set; } = "";
        public string DedupeKey { get; set; } = "";
        public string FromNumber { get; set; } = "";
        public string? ToNumber { get; set; }
        public string Text { get; set; } = "";
        public string? Keyword { get; set; }
        public string? MessageId { get; set; }
        public string? ContactId { get; set; }
        public string? ReplyMessageId { get; set; }
        public string? Note { get; set; }
        public long ReceivedAt { get; set; }
        public string Raw { get; set; } = "";

        public InboundRecord ToRecord() => new()
        {
            Id = Id, ProviderId = ProviderId, DedupeKey = DedupeKey, From = FromNumber, To = ToNumber, Text = Text, Keyword = Keyword,
            MessageId = MessageId, ContactId = ContactId, ReplyMessageId = ReplyMessageId, Note = Note, ReceivedAt = Time(ReceivedAt), Raw = Raw,
        };
    }
}
