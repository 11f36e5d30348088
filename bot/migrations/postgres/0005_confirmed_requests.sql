-- The service a person confirmed their previous message asked for, kept on their "yes" to "Do
-- you want to ...?", so that the figures can suggest the message as an example of the service.
ALTER TABLE conversation_messages ADD COLUMN confirmed_service TEXT;
