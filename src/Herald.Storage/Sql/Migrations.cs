namespace Herald.Storage.Sql;

/// <summary>The schema, one step per version. Steps are append-only: never edit a released one.</summary>
internal static class Migrations
{
    private const string Open = "{";
    private const string Close = "}";

    public static IReadOnlyList<(int Version, string Name, Func<ISqlDialect, string> Sql)> All { get; } =
    [
        (1, "core tables", d => $"""
            CREATE TABLE providers (
                id TEXT PRIMARY KEY,
                nickname TEXT NOT NULL,
                nickname_key TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                settings TEXT NOT NULL,
                callback_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                provider_id TEXT NULL,
                provider_nickname TEXT NULL,
                to_number TEXT NOT NULL,
                body TEXT NULL,
                template_id TEXT NULL,
                template_variables TEXT NULL,
                campaign_id TEXT NULL,
                sender TEXT NULL,
                type TEXT NOT NULL,
                source TEXT NOT NULL,
                dynamic_fields TEXT NULL,
                status TEXT NOT NULL,
                provider_message_id TEXT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX ix_messages_provider_pmid ON messages (provider_id, provider_message_id);
            CREATE INDEX ix_messages_status ON messages (status, id);
            CREATE INDEX ix_messages_to ON messages (to_number, id);
            CREATE TABLE message_events (
                id {d.AutoId},
                message_id TEXT NOT NULL,
                at BIGINT NOT NULL,
                source TEXT NOT NULL,
                event TEXT NOT NULL,
                state TEXT NULL,
                applied INTEGER NOT NULL,
                note TEXT NULL,
                detail TEXT NULL
            );
            CREATE INDEX ix_message_events_message ON message_events (message_id, id);
            CREATE TABLE dlr_inbox (
                id {d.AutoId},
                provider_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                method TEXT NOT NULL,
                content_type TEXT NULL,
                body TEXT NOT NULL,
                query TEXT NOT NULL,
                processed_at BIGINT NULL,
                result TEXT NULL
            );
            CREATE INDEX ix_dlr_inbox_pending ON dlr_inbox (processed_at, id);
            CREATE INDEX ix_dlr_inbox_provider ON dlr_inbox (provider_id, id);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                prefix TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT NULL
            );
            """),
        (2, "kaleyra connector", d => $"""
            CREATE TABLE connector_messages (
                message_id TEXT PRIMARY KEY,
                connector TEXT NOT NULL,
                external_id TEXT NOT NULL,
                callback_url TEXT NOT NULL,
                callback_token TEXT NOT NULL,
                host TEXT NOT NULL,
                sid TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE INDEX ix_connector_messages_external ON connector_messages (connector, external_id);
            CREATE TABLE connector_callbacks (
                id {d.AutoId},
                message_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                method TEXT NOT NULL,
                content_type TEXT NULL,
                body TEXT NOT NULL,
                query TEXT NOT NULL,
                processed_at BIGINT NULL,
                result TEXT NULL
            );
            CREATE INDEX ix_connector_callbacks_pending ON connector_callbacks (processed_at, id);
            CREATE INDEX ix_connector_callbacks_message ON connector_callbacks (message_id, id);
            CREATE TABLE connector_relays (
                id {d.AutoId},
                message_id TEXT NOT NULL,
                callback_url TEXT NOT NULL,
                event TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                claimed_until BIGINT NULL,
                last_error TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX ix_connector_relays_due ON connector_relays (status, next_attempt_at, id);
            CREATE INDEX ix_connector_relays_message ON connector_relays (message_id, id);
            CREATE INDEX ix_messages_source ON messages (source, id);
            """),
        (3, "dashboard users", d => """
            CREATE TABLE dashboard_users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_sign_in_at BIGINT NULL
            );
            CREATE INDEX ix_messages_provider_created ON messages (provider_id, created_at);
            """),
        (10, "dispatch queue", d => $"""
            ALTER TABLE messages ADD COLUMN lane INTEGER NOT NULL DEFAULT 2;
            ALTER TABLE messages ADD COLUMN next_attempt_at BIGINT NULL;
            ALTER TABLE messages ADD COLUMN valid_until BIGINT NULL;
            ALTER TABLE messages ADD COLUMN lease_until BIGINT NULL;
            ALTER TABLE messages ADD COLUMN lease_owner TEXT NULL;
            ALTER TABLE messages ADD COLUMN resend INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE messages ADD COLUMN encoding TEXT NULL;
            ALTER TABLE messages ADD COLUMN segments INTEGER NULL;
            ALTER TABLE providers ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE providers ADD COLUMN credentials_failed_at BIGINT NULL;
            ALTER TABLE providers ADD COLUMN credentials_error TEXT NULL;
            ALTER TABLE providers ADD COLUMN max_in_flight INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX ix_messages_queue ON messages (status, lane, next_attempt_at);
            CREATE INDEX ix_messages_lease ON messages (status, lease_until);
            CREATE TABLE idempotency_keys (
                key TEXT PRIMARY KEY,
                request_hash TEXT NOT NULL,
                message_id TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE TABLE pending_reports (
                id {d.AutoId},
                provider_id TEXT NOT NULL,
                provider_message_id TEXT NOT NULL,
                report TEXT NOT NULL,
                received_at BIGINT NOT NULL
            );
            CREATE INDEX ix_pending_reports_pmid ON pending_reports (provider_id, provider_message_id);
            """),
        (11, "provider groups", d => """
            CREATE TABLE provider_groups (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                name_key TEXT NOT NULL UNIQUE,
                provider_ids TEXT NOT NULL,
                failover_after INTEGER NOT NULL DEFAULT 2,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            ALTER TABLE messages ADD COLUMN provider_group_id TEXT NULL;
            ALTER TABLE messages ADD COLUMN provider_attempts INTEGER NOT NULL DEFAULT 0;
            """),
        (13, "batch idempotency answers", d => """
            ALTER TABLE idempotency_keys ADD COLUMN response TEXT NULL;
            ALTER TABLE idempotency_keys ADD COLUMN response_status INTEGER NULL;
            """),
        (20, "one report pipeline and a webhook outbox", d => $"""
            ALTER TABLE messages ADD COLUMN meta TEXT NULL;
            ALTER TABLE dlr_inbox ADD COLUMN message_id TEXT NULL;
            CREATE TABLE outbox (
                id {d.AutoId},
                key TEXT NOT NULL UNIQUE,
                topic TEXT NOT NULL,
                url TEXT NOT NULL,
                payload TEXT NOT NULL,
                message_id TEXT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                valid_until BIGINT NULL,
                lease_until BIGINT NULL,
                lease_owner TEXT NULL,
                last_error TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX ix_outbox_due ON outbox (status, next_attempt_at, id);
            CREATE INDEX ix_outbox_message ON outbox (message_id, id);
            UPDATE messages SET meta = (
                SELECT {(d.Name == "sqlite" ? "json_object" : "json_build_object")}('connector', c.connector, 'externalId', c.external_id,
                    'callbackUrl', c.callback_url, 'callbackToken', c.callback_token, 'host', c.host, 'sid', c.sid){(d.Name == "sqlite" ? "" : "::text")}
                FROM connector_messages c WHERE c.message_id = messages.id)
            WHERE id IN (SELECT message_id FROM connector_messages);
            -- CleverTap's retry after a failed attempt made another connector message for the same message_id: chain the keys as
            -- the connector does (the key of a message after a failed one ends with the failed message's id).
            INSERT INTO idempotency_keys (key, request_hash, message_id, created_at)
                SELECT 'connector:' || connector || ':' || external_id || ' ' || callback_url
                    || COALESCE(' ' || LAG(message_id) OVER (PARTITION BY connector, external_id, callback_url ORDER BY message_id), ''),
                    '', message_id, created_at
                FROM connector_messages;
            INSERT INTO dlr_inbox (provider_id, message_id, received_at, method, content_type, body, query, processed_at, result)
                SELECT 'connector:kaleyra', message_id, received_at, method, content_type, body, query, processed_at, result
                FROM connector_callbacks ORDER BY id;
            INSERT INTO outbox (key, topic, url, payload, message_id, status, attempts, next_attempt_at, lease_until, last_error, created_at, updated_at)
                SELECT 'clevertap:' || message_id, 'clevertap', callback_url, '{Open}"event":"' || event || '","data":' || payload || '{Close}', message_id, status, attempts,
                    next_attempt_at, claimed_until, last_error, created_at, updated_at
                FROM connector_relays ORDER BY id;
            DROP TABLE connector_callbacks;
            DROP TABLE connector_relays;
            DROP TABLE connector_messages;
            CREATE INDEX ix_dlr_inbox_message ON dlr_inbox (message_id, id);
            """),
        (50, "per-provider segment cap", d => """
            ALTER TABLE providers ADD COLUMN max_segments INTEGER NOT NULL DEFAULT 0;
            """),
        (60, "dashboard session stamps", d => """
            ALTER TABLE dashboard_users ADD COLUMN security_stamp TEXT NULL;
            """),
        // Engagement (issue 12): contacts, their consent, the suppression list, events with per-contact aggregates, imports.
        (80, "contacts and events", d => $"""
            CREATE TABLE contacts (
                id TEXT PRIMARY KEY,
                phone TEXT NULL UNIQUE,
                external_id TEXT NULL UNIQUE,
                country TEXT NULL,
                timezone TEXT NULL,
                locale TEXT NULL,
                attributes TEXT NOT NULL,
                erased_at BIGINT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX ix_contacts_country ON contacts (country, id);
            CREATE TABLE contact_consents (
                contact_id TEXT NOT NULL,
                category TEXT NOT NULL,
                granted INTEGER NOT NULL,
                source TEXT NOT NULL,
                at BIGINT NOT NULL,
                PRIMARY KEY (contact_id, category)
            );
            CREATE TABLE suppressions (
                phone TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                categories TEXT NOT NULL,
                source TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE events (
                id {d.AutoId},
                message_id TEXT NOT NULL UNIQUE,
                contact_id TEXT NULL,
                user_id TEXT NULL,
                anonymous_id TEXT NULL,
                type TEXT NOT NULL,
                name TEXT NULL,
                properties TEXT NULL,
                at BIGINT NOT NULL,
                received_at BIGINT NOT NULL
            );
            CREATE INDEX ix_events_contact ON events (contact_id, name, at);
            CREATE INDEX ix_events_name ON events (name, at);
            CREATE TABLE contact_event_stats (
                contact_id TEXT NOT NULL,
                name TEXT NOT NULL,
                count BIGINT NOT NULL,
                first_at BIGINT NOT NULL,
                last_at BIGINT NOT NULL,
                PRIMARY KEY (contact_id, name)
            );
            CREATE TABLE imports (
                id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                total_rows BIGINT NOT NULL DEFAULT 0,
                imported BIGINT NOT NULL DEFAULT 0,
                updated BIGINT NOT NULL DEFAULT 0,
                failed BIGINT NOT NULL DEFAULT 0,
                errors TEXT NULL,
                error_rows TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                finished_at BIGINT NULL
            );
            """),
        // Keys made before scopes existed keep doing everything they did: they become admin keys.
        (100, "api key scopes and the key that submitted a message", d => """
            ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
            ALTER TABLE messages ADD COLUMN api_key_id TEXT NULL;
            """),
        (101, "audit log", d => $"""
            CREATE TABLE audit_log (
                id {d.AutoId},
                at BIGINT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                actor_name TEXT NULL,
                action TEXT NOT NULL,
                target_id TEXT NULL,
                summary TEXT NOT NULL,
                client_ip TEXT NULL
            );
            CREATE INDEX ix_audit_log_actor ON audit_log (actor_id, id);
            CREATE INDEX ix_audit_log_action ON audit_log (action, id);
            """),
        // Parked reports are matched by index, not by joining every one of them with messages four times a second: the
        // message that gets a provider id marks the reports waiting for it (message_id), and the worker reads only those.
        (102, "parked reports matched by index", d => """
            ALTER TABLE pending_reports ADD COLUMN message_id TEXT NULL;
            UPDATE pending_reports SET message_id = (
                SELECT m.id FROM messages m
                WHERE m.provider_id = pending_reports.provider_id AND m.provider_message_id = pending_reports.provider_message_id
                ORDER BY m.id LIMIT 1);
            CREATE INDEX ix_pending_reports_matched ON pending_reports (id) WHERE message_id IS NOT NULL;
            CREATE INDEX ix_pending_reports_received ON pending_reports (received_at);
            """),
        // The suppression list pages newest first (created_at, phone): without this a long list is sorted whole for every page.
        (120, "suppressions by time", d => """
            CREATE INDEX ix_suppressions_created ON suppressions (created_at, phone);
            """),
        // Segments (issue 12 §3): saved rules; the indexes their compiled SQL reads through (contacts with an event by name and
        // recency, contacts by consent); on PostgreSQL the one ISO-8601 date reader that answers NULL for a string that is not a date
        // (SQLite's julianday does the same natively), so attribute dates compare the same way on both databases.
        (130, "segments", d => d.Name == "postgres" ? SegmentsSql + PostgresIsoMs : SegmentsSql),
        // The send-path policy (issue 12 §6): frequency caps count a number's messages of a type by when they went or are due;
        // registered DLT templates (§4).
        (140, "policy and dlt templates", d => """
            CREATE INDEX ix_messages_to_type_due ON messages (to_number, type, next_attempt_at);
            CREATE TABLE dlt_templates (
                template_id TEXT PRIMARY KEY,
                entity_id TEXT NOT NULL,
                header TEXT NOT NULL,
                category TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            """),
        // Campaigns (issue 12 §5): the campaign, and its audience frozen at launch, one row per recipient, claimed like the queue.
        (160, "campaigns", d => $"""
            CREATE TABLE campaigns (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                definition TEXT NOT NULL,
                audience_count BIGINT NOT NULL DEFAULT 0,
                status_reason TEXT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                launched_at BIGINT NULL,
                finished_at BIGINT NULL
            );
            CREATE INDEX ix_campaigns_status ON campaigns (status, id);
            CREATE TABLE campaign_recipients (
                id {d.AutoId},
                campaign_id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                phone TEXT NOT NULL,
                timezone TEXT NULL,
                variant INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                reason TEXT NULL,
                message_id TEXT NULL,
                due_at BIGINT NULL,
                lease_until BIGINT NULL,
                lease_owner TEXT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (campaign_id, contact_id)
            );
            CREATE INDEX ix_campaign_recipients_due ON campaign_recipients (campaign_id, status, due_at, id);
            CREATE INDEX ix_messages_campaign ON messages (campaign_id, status);
            """),
        // Journeys (issue 13 §1): drafts and their immutable published versions, one instance row per contact and entry (claimed
        // like queue rows), an inbox of the events journeys listen to (written in the ingest's own transaction), and counters.
        (200, "journeys", d => $"""
            CREATE TABLE journeys (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                draft TEXT NOT NULL,
                version INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE journey_versions (
                journey_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                definition TEXT NOT NULL,
                published_at BIGINT NOT NULL,
                PRIMARY KEY (journey_id, version)
            );
            CREATE TABLE journey_event_names (
                name TEXT NOT NULL,
                journey_id TEXT NOT NULL,
                PRIMARY KEY (name, journey_id)
            );
            CREATE TABLE journey_inbox (
                id {d.AutoId},
                message_id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                name TEXT NOT NULL,
                properties TEXT NULL,
                at BIGINT NOT NULL,
                lease_until BIGINT NULL,
                lease_owner TEXT NULL
            );
            CREATE TABLE journey_instances (
                id {d.AutoId},
                journey_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                contact_id TEXT NOT NULL,
                node TEXT NOT NULL,
                waiting INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                wake_at BIGINT NULL,
                lease_until BIGINT NULL,
                lease_owner TEXT NULL,
                entry_key TEXT NOT NULL,
                trigger_message_id TEXT NOT NULL,
                trigger_name TEXT NOT NULL,
                trigger_properties TEXT NULL,
                trigger_at BIGINT NOT NULL,
                entered_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                exited_at BIGINT NULL,
                exit_reason TEXT NULL,
                converted_at BIGINT NULL,
                UNIQUE (journey_id, trigger_message_id),
                UNIQUE (journey_id, entry_key)
            );
            CREATE INDEX ix_journey_instances_due ON journey_instances (status, wake_at, id);
            CREATE INDEX ix_journey_instances_contact ON journey_instances (contact_id, journey_id);
            CREATE INDEX ix_journey_instances_report ON journey_instances (journey_id, status, node);
            CREATE TABLE journey_counts (
                journey_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                key TEXT NOT NULL,
                count BIGINT NOT NULL,
                PRIMARY KEY (journey_id, version, key)
            );
            """),
        // Short links and clicks, inbound replies (issue 13 §2, §3): one row per short link (made at intake, per message), the
        // per-provider switch for providers that shorten links themselves, and every inbound message as received (deduplicated).
        (220, "short links and inbound messages", d => $"""
            CREATE TABLE links (
                code TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                message_id TEXT NOT NULL,
                phone TEXT NOT NULL,
                campaign_id TEXT NULL,
                journey_id TEXT NULL,
                created_at BIGINT NOT NULL,
                clicks BIGINT NOT NULL DEFAULT 0,
                first_click_at BIGINT NULL,
                last_click_at BIGINT NULL
            );
            CREATE INDEX ix_links_message ON links (message_id);
            CREATE INDEX ix_links_campaign ON links (campaign_id, clicks);
            ALTER TABLE providers ADD COLUMN shorten_links INTEGER NOT NULL DEFAULT 1;
            CREATE TABLE inbound_messages (
                id TEXT PRIMARY KEY,
                provider_id TEXT NOT NULL,
                dedupe_key TEXT NOT NULL UNIQUE,
                from_number TEXT NOT NULL,
                to_number TEXT NULL,
                text TEXT NOT NULL,
                keyword TEXT NULL,
                message_id TEXT NULL,
                contact_id TEXT NULL,
                reply_message_id TEXT NULL,
                note TEXT NULL,
                received_at BIGINT NOT NULL,
                raw TEXT NOT NULL
            );
            CREATE INDEX ix_inbound_received ON inbound_messages (received_at, id);
            CREATE INDEX ix_inbound_from ON inbound_messages (from_number, received_at);
            """),
        // Campaign results (issue 13 §4): an A/B test phase's end and its winner on the campaign; on each recipient the phase it
        // belongs to (0: the test or the whole audience, 1: the rest, held until the winner is known).
        (240, "campaign a/b winners and phases", d => """
            ALTER TABLE campaigns ADD COLUMN test_ended_at BIGINT NULL;
            ALTER TABLE campaigns ADD COLUMN winner_variant INTEGER NULL;
            ALTER TABLE campaigns ADD COLUMN winner_reason TEXT NULL;
            ALTER TABLE campaigns ADD COLUMN winner_at BIGINT NULL;
            ALTER TABLE campaign_recipients ADD COLUMN phase INTEGER NOT NULL DEFAULT 0;
            """),
        // A claim no longer writes its own "dispatching" timeline row: the message row keeps when it was claimed, and the row
        // that ends the attempt (the provider's answer, a lease expiry, a release) carries the attempt, from which the
        // timeline shows the same "dispatching" entry as before.
        (260, "attempt on the message row", d => """
            ALTER TABLE messages ADD COLUMN claimed_at BIGINT NULL;
            ALTER TABLE message_events ADD COLUMN attempt_at BIGINT NULL;
            ALTER TABLE message_events ADD COLUMN attempt_note TEXT NULL;
            """),
        // Retention (issue 11 §8): what the purge removes is first counted here per UTC day (created_at / 86,400,000), provider,
        // campaign ('' for none) and final state, so counts and charts survive it; where the content blanker has got to; and which
        // messages lost their content (a dead letter without it cannot be requeued).
        (280, "retention aggregates", d => """
            CREATE TABLE message_daily (
                day BIGINT NOT NULL,
                provider_id TEXT NOT NULL,
                campaign_id TEXT NOT NULL,
                status TEXT NOT NULL,
                messages BIGINT NOT NULL,
                PRIMARY KEY (day, provider_id, campaign_id, status)
            );
            CREATE INDEX ix_message_daily_campaign ON message_daily (campaign_id, day);
            CREATE TABLE retention_marks (
                name TEXT PRIMARY KEY,
                mark TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            ALTER TABLE messages ADD COLUMN content_purged_at BIGINT NULL;
            """),
        // Journeys triggered by entering a segment (issue 13 §1): the journey row holds the trigger's segment and its evaluation
        // lease (claimed like the other leased tables, one node at a time per journey); the members table is the membership
        // seen at the last evaluation (baseline at publishing), so the next one enters exactly the contacts that are new to it.
        // evaluation marks the evaluation that saw a member arrive.
        (310, "journey segment triggers", d => """
            ALTER TABLE journeys ADD COLUMN segment_id TEXT NULL;
            ALTER TABLE journeys ADD COLUMN segment_due_at BIGINT NULL;
            ALTER TABLE journeys ADD COLUMN segment_evaluated_at BIGINT NULL;
            ALTER TABLE journeys ADD COLUMN segment_lease_until BIGINT NULL;
            ALTER TABLE journeys ADD COLUMN segment_lease_owner TEXT NULL;
            CREATE TABLE journey_segment_members (
                journey_id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                since BIGINT NOT NULL,
                evaluation TEXT NOT NULL,
                PRIMARY KEY (journey_id, contact_id)
            );
            CREATE INDEX ix_journey_segment_members_evaluation ON journey_segment_members (journey_id, evaluation);
            """),
        // Short links by campaign (issue 13 §2: GET /api/v1/links?campaign=, herald links list --campaign): a campaign's links a
        // page at a time in code order, without sorting all of a large campaign's links for each page.
        (330, "links by campaign and code", d => """
            CREATE INDEX ix_links_campaign_code ON links (campaign_id, code);
            """),
        // Storage per message (issue 11 §8): an index entry per message only where a query needs one. The queue and lease
        // indexes hold just the rows that are queued / held (their queries name that status as a literal), so a message leaves
        // them once it is sent instead of keeping an entry for life and moving it at every transition; provider message ids
        // are indexed once they exist (the lookups always name one, then check the provider on the row); campaign and scoped
        // raw-report lookups index only rows that have a campaign / a scoped message; the inbox's pending index holds only the
        // reports not yet applied. The (to_number, id) index is merged into (to_number, type, next_attempt_at): a number's
        // messages are found there and sorted (a number has few).
        (340, "partial indexes for per-message storage", d => """
            DROP INDEX ix_messages_queue;
            CREATE INDEX ix_messages_queue ON messages (lane, next_attempt_at) WHERE status = 'queued';
            DROP INDEX ix_messages_lease;
            CREATE INDEX ix_messages_lease ON messages (lease_until) WHERE status = 'dispatching';
            DROP INDEX ix_messages_provider_pmid;
            CREATE INDEX ix_messages_provider_pmid ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
            DROP INDEX ix_messages_campaign;
            CREATE INDEX ix_messages_campaign ON messages (campaign_id, status) WHERE campaign_id IS NOT NULL;
            DROP INDEX ix_messages_to;
            DROP INDEX ix_dlr_inbox_pending;
            CREATE INDEX ix_dlr_inbox_pending ON dlr_inbox (id) WHERE processed_at IS NULL;
            DROP INDEX ix_dlr_inbox_message;
            CREATE INDEX ix_dlr_inbox_message ON dlr_inbox (message_id, id) WHERE message_id IS NOT NULL;
            """),
        // A message whose first timeline entry is the usual one (queued by its own source when created, its segments and
        // encoding as the note) stores no row for it: queued_implied = 1 says the row implies it, and the timeline is read with it.
        (341, "queued entry implied by the message row", d => """
            ALTER TABLE messages ADD COLUMN queued_implied INTEGER NOT NULL DEFAULT 0;
            """),
        // The partial indexes of 340 lead with the column the queries hold equal, as the full ones did. Without it SQLite's
        // planner, which has no statistics, took ix_messages_status for the claim (status = 'queued' ... ORDER BY lane,
        // next_attempt_at) and sorted every queued row for each claim of 200 (a 20,000-message batch-mode run spent 37 % of its
        // CPU in SQLite and fell from 2,000 to 1,300 messages/s), and ix_messages_provider_created for a report's provider
        // message ids (provider_id = ? AND provider_message_id IN (...)), reading every message of the provider for each batch
        // of reports (374 ms a batch with 1,000,000 queued; 2 ms with this index).
        (342, "partial indexes lead with their equality columns", d => """
            DROP INDEX ix_messages_queue;
            CREATE INDEX ix_messages_queue ON messages (status, lane, next_attempt_at) WHERE status = 'queued';
            DROP INDEX ix_messages_lease;
            CREATE INDEX ix_messages_lease ON messages (status, lease_until) WHERE status = 'dispatching';
            DROP INDEX ix_messages_provider_pmid;
            CREATE INDEX ix_messages_provider_pmid ON messages (provider_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
            """),
        // A timeline is read by message: on SQLite message_events becomes clustered by (message_id, id) (WITHOUT ROWID), so
        // ix_message_events_message, which repeated every row's 32-character message id (148 bytes a message in batch mode),
        // is gone, and a message's entries sit together. Ids are numbered per message from here on (MessageEventIds); the rows
        // copied keep theirs, which are ascending per message already. PostgreSQL keeps its table (its bytes are not the bound).
        (360, "message_events clustered by message", d => d.Name != "sqlite" ? "SELECT 1" : """
            CREATE TABLE message_events_by_message (
                message_id TEXT NOT NULL,
                id INTEGER NOT NULL,
                at BIGINT NOT NULL,
                source TEXT NOT NULL,
                event TEXT NOT NULL,
                state TEXT NULL,
                applied INTEGER NOT NULL,
                note TEXT NULL,
                detail TEXT NULL,
                attempt_at BIGINT NULL,
                attempt_note TEXT NULL,
                PRIMARY KEY (message_id, id)
            ) WITHOUT ROWID;
            INSERT INTO message_events_by_message (message_id, id, at, source, event, state, applied, note, detail, attempt_at, attempt_note)
                SELECT message_id, id, at, source, event, state, applied, note, detail, attempt_at, attempt_note FROM message_events ORDER BY message_id, id;
            DROP TABLE message_events;
            ALTER TABLE message_events_by_message RENAME TO message_events;
            DELETE FROM sqlite_sequence WHERE name = 'message_events';
            """),
        // The usual success (the first attempt accepted with the provider's id, its exchange kept as a summary) goes on the message
        // row instead of a timeline row, as the usual queued entry did in 341 (MessageSql.AcceptedImplied): when it was accepted, when
        // its attempt began and by which worker, the summary, and the entry's place among the message's rows (after ids up to
        // accepted_seq). Rows stored before keep their own entries.
        (361, "accepted entry implied by the message row", d => """
            ALTER TABLE messages ADD COLUMN accepted_at BIGINT NULL;
            ALTER TABLE messages ADD COLUMN accepted_attempt_at BIGINT NULL;
            ALTER TABLE messages ADD COLUMN accepted_owner TEXT NULL;
            ALTER TABLE messages ADD COLUMN accepted_detail TEXT NULL;
            ALTER TABLE messages ADD COLUMN accepted_seq BIGINT NULL;
            """),
        // A plain report entry (a sent or delivered report whose raw callback was not kept) goes on the message row, appended in the
        // UPDATE that applies it (FoldedReports), instead of a message_events row that repeated the message id in its key; an applied
        // delivery keeps its time in delivered_at, which the latency figures and campaign conversions read. Rows stored before keep
        // their own entries.
        (380, "plain report entries on the message row", d => """
            ALTER TABLE messages ADD COLUMN reports TEXT NULL;
            ALTER TABLE messages ADD COLUMN delivered_at BIGINT NULL;
            """),
    ];

    private const string SegmentsSql = """
        CREATE TABLE segments (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            rule TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE INDEX ix_contact_event_stats_name ON contact_event_stats (name, last_at, contact_id);
        CREATE INDEX ix_contact_consents_category ON contact_consents (category, granted, contact_id);
        """;

    // No EXCEPTION block (a subtransaction per call, refused in parallel workers): the shape and the calendar are checked first, so
    // the casts cannot fail.
    private const string PostgresIsoMs = """
        CREATE FUNCTION herald_iso_ms(value text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
        DECLARE
            p text[];
        BEGIN
            p := regexp_match(value, '^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$');
            -- One check at a time: SQL does not promise to evaluate OR left to right, and make_date needs a valid month.
            IF p IS NULL OR p[1]::int < 1 OR p[2]::int NOT BETWEEN 1 AND 12 THEN
                RETURN NULL;
            END IF;
            IF p[3]::int NOT BETWEEN 1 AND extract(day FROM make_date(p[1]::int, p[2]::int, 1) + interval '1 month' - interval '1 day') THEN
                RETURN NULL;
            END IF;
            IF coalesce(p[4]::int, 0) > 23 OR coalesce(p[5]::int, 0) > 59 OR coalesce(p[6]::int, 0) > 59
                OR (p[7] IS NOT NULL AND p[7] <> 'Z' AND (substr(p[7], 2, 2)::int > 23 OR substr(p[7], 5, 2)::int > 59)) THEN
                RETURN NULL;
            END IF;
            IF p[7] IS NOT NULL THEN
                RETURN round(extract(epoch FROM value::timestamptz) * 1000)::bigint;
            END IF;
            RETURN round(extract(epoch FROM (value::timestamp AT TIME ZONE 'UTC')) * 1000)::bigint;
        END
        $fn$;
        """;
}
