-- The same SQL runs on SQLite and PostgreSQL.
-- The councils each member of a shared service's staff works for, with their role in each.
CREATE TABLE shared_staff_councils (
    username TEXT NOT NULL,
    council TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (username, council)
);
