-- What the triggers started: each due time of a schedule, claimed once across every instance,
-- and each idempotency key of a webhook call, with the run it started.
CREATE TABLE workflow_schedule_claims (
    workflow TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    run_id TEXT,
    missed BIGINT NOT NULL,
    late BIGINT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (workflow, due_at)
);
CREATE TABLE workflow_idempotency_keys (
    workflow TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workflow, idempotency_key)
);
