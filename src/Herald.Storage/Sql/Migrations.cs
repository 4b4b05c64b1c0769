namespace Herald.Storage.Sql;

/// <summary>The schema, one step per version. Steps are append-only: never edit a released one.</summary>
internal static class Migrations
{
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
    ];
}
