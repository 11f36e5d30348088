-- The same SQL runs on SQLite and PostgreSQL.
-- Text messaging: each number's opt-out and the provider it last wrote through, the messages
-- received (so a webhook delivered twice is handled once), and what was sent with its status.
CREATE TABLE sms_numbers (
    address TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    opted_out BIGINT NOT NULL DEFAULT 0,
    provider TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE TABLE sms_received (
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, message_id)
);
CREATE TABLE sms_sent (
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    segments BIGINT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    sent_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (provider, message_id)
);
CREATE INDEX sms_sent_conversation ON sms_sent (conversation_id);
