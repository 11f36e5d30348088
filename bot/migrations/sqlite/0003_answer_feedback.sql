-- What residents made of each answer, kept on the answer (the bot's message whose outcome is
-- `answer`) for the figures: their vote (`helpful` or `unhelpful`; the last one counts, and when
-- it was cast), and what they did right after it that says it did not help (`said_wrong`,
-- `asked_person` or `asked_again`).
ALTER TABLE conversation_messages ADD COLUMN vote TEXT;
ALTER TABLE conversation_messages ADD COLUMN voted_at BIGINT;
ALTER TABLE conversation_messages ADD COLUMN followed_by TEXT;
