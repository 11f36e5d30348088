-- The same SQL runs on SQLite and PostgreSQL.
-- The languages members of staff speak besides English: Welsh conversations are offered first to
-- those who speak Welsh (1 when they do).
CREATE TABLE console_languages (
    username TEXT PRIMARY KEY,
    welsh BIGINT NOT NULL
);
