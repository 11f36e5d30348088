-- The same SQL runs on SQLite and PostgreSQL.
-- Microsoft Teams: where each Teams conversation is reached (its service URL, which arrived on
-- a validated request), and each Teams user seen, so supervisors can be alerted proactively.
CREATE TABLE teams_conversations (
    conversation_id TEXT PRIMARY KEY,
    service_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    bot_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    conversation_type TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE teams_users (
    aad_object_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    service_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    bot_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
