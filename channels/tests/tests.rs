//! The channels' HTTP behaviour, called in-process through the whole application router over
//! real components: the chat API, the console, the escalations API, the chat page without
//! JavaScript, and health, metrics and the OpenAPI description.

mod support;

mod api;
mod chat_page;
mod console;
mod escalations;
mod health;
mod runs_console;
mod workflow_runs;
