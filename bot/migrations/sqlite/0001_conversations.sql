-- Conversations: their state, transcript, the contact details they mention, and escalations.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    audience TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_address ON conversations (channel, address, updated_at);
CREATE INDEX conversations_updated ON conversations (updated_at);
-- The transcript; `seq` counts from 1 in each conversation and is the event id streams resume from.
CREATE TABLE conversation_messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX conversation_messages_dedupe ON conversation_messages (conversation_id, dedupe_key);
-- Phone numbers and email addresses a conversation holds, normalised, for subject access and erasure.
CREATE TABLE conversation_contacts (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    contact TEXT NOT NULL,
    PRIMARY KEY (conversation_id, contact)
);
CREATE INDEX conversation_contacts_contact ON conversation_contacts (contact);
-- Conversations handed to people; at most one open (waiting or claimed) per conversation.
CREATE TABLE escalations (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    run_id TEXT,
    inputs TEXT NOT NULL,
    transcript_seq BIGINT NOT NULL,
    assignee TEXT,
    outcome TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE UNIQUE INDEX escalations_open_conversation ON escalations (conversation_id) WHERE status IN ('waiting', 'claimed');
CREATE INDEX escalations_run ON escalations (run_id);
CREATE INDEX escalations_status ON escalations (status, priority, created_at);
CREATE TABLE escalation_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    escalation_id TEXT NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX escalation_events_escalation ON escalation_events (escalation_id);
