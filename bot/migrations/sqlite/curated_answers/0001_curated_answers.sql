-- Answers the council curates, as they stand now: one row each, holding its latest version.
CREATE TABLE curated_answers (
    id TEXT PRIMARY KEY,              -- a slug, such as council-tax-payment-dates
    version BIGINT NOT NULL,          -- the number of its latest version, from 1
    answer TEXT NOT NULL,
    source_url TEXT NOT NULL,         -- the page the answer comes from, cited with it
    source_title TEXT NOT NULL,
    examples TEXT NOT NULL,           -- the example questions, as a JSON array of strings
    audience TEXT NOT NULL,           -- resident or staff
    enabled BIGINT NOT NULL,          -- 1 when it is given, 0 when switched off
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
-- Every version of every curated answer, never changed once written: its history.
CREATE TABLE curated_answer_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    answer TEXT NOT NULL,
    source_url TEXT NOT NULL,
    source_title TEXT NOT NULL,
    examples TEXT NOT NULL,
    audience TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    UNIQUE (answer_id, version)
);
