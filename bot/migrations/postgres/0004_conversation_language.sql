-- The language each conversation is held in (`en` or `cy`): the one the person chose or last
-- wrote in, kept apart from the dialogue state so that the figures and the queue can read it.
ALTER TABLE conversations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
