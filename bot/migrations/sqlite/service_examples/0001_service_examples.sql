-- Examples the council added to its services (besides those in each workflow's file), as they
-- stand now: one row per example.
CREATE TABLE service_examples (
    service TEXT NOT NULL,            -- the workflow's name, such as report_missed_bin
    example TEXT NOT NULL,            -- a way people ask for it, such as a message it did not recognise
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (service, example)
);
-- Every addition and removal, never changed once written: the examples' history.
CREATE TABLE service_example_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    example TEXT NOT NULL,
    change TEXT NOT NULL,             -- added or removed
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX service_example_changes_by_service ON service_example_changes (service, seq);
