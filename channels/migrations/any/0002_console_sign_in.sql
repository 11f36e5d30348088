-- The same SQL runs on SQLite and PostgreSQL.
-- Signing in to the console, made safer:
-- * failed sign-ins are counted per username typed and per client address (both kept only as
--   hashes), and slow further attempts down, instead of locking accounts;
-- * a session keeps no role or name of its own: both are read from the account on each request;
-- * accounts signed in through OpenID Connect are known by their issuer and subject, never by a
--   username they share with a local account; the ones recorded before are removed with their
--   sessions and are made again at their next sign-in;
-- * a sign-in through OpenID Connect in progress is bound to the browser that started it, by the
--   hash of a secret in that browser's cookie.
CREATE TABLE console_sign_in_failures (
    subject TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    wait_until BIGINT NOT NULL
);
CREATE INDEX console_sign_in_failures_age ON console_sign_in_failures (last_failed_at);
ALTER TABLE console_accounts DROP COLUMN failed_logins;
ALTER TABLE console_accounts DROP COLUMN locked_until;
ALTER TABLE console_accounts ADD COLUMN oidc_issuer TEXT;
ALTER TABLE console_accounts ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX console_accounts_oidc ON console_accounts (oidc_issuer, oidc_subject);
DELETE FROM console_sessions WHERE username IN (SELECT username FROM console_accounts WHERE source = 'oidc');
DELETE FROM console_accounts WHERE source = 'oidc';
ALTER TABLE console_sessions DROP COLUMN display_name;
ALTER TABLE console_sessions DROP COLUMN role;
CREATE INDEX console_sessions_username ON console_sessions (username);
ALTER TABLE console_sign_ins ADD COLUMN binding TEXT NOT NULL DEFAULT '';
