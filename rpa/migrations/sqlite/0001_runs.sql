-- The workflow journal: runs, each step attempt, evidence, messages for people, and what people did.
CREATE TABLE workflow_runs (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    workflow TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    source_path TEXT NOT NULL,
    inputs TEXT NOT NULL,
    started_by TEXT NOT NULL,
    status TEXT NOT NULL,
    waiting_for TEXT,
    task TEXT,
    outputs TEXT NOT NULL,
    message TEXT,
    reason TEXT,
    claimed_by TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX workflow_runs_status ON workflow_runs (status, created_at);
CREATE TABLE workflow_steps (
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    step_key TEXT NOT NULL,
    step_id TEXT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    effects TEXT NOT NULL,
    error TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE workflow_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    step_key TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX workflow_evidence_run ON workflow_evidence (run_id);
CREATE TABLE workflow_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    audience TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX workflow_notifications_run ON workflow_notifications (run_id);
CREATE TABLE workflow_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX workflow_actions_run ON workflow_actions (run_id);
