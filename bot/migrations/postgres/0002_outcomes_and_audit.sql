-- How each turn went (answered, unanswered, form, escalated, ...), kept on the person's message
-- for the figures: containment, and the questions the bot could not answer.
ALTER TABLE conversation_messages ADD COLUMN outcome TEXT;
CREATE INDEX conversation_messages_outcome ON conversation_messages (outcome, created_at);
-- Everything staff did (who, what, when), for admins to review.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
