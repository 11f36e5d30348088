-- Workflows in trouble: one row for each alert that is up, removed when it clears.
CREATE TABLE workflow_alerts (
    workflow TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    PRIMARY KEY (workflow, kind)
);
