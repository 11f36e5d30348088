//! Integration tests of the conversation engine.

mod support;

mod answering;
mod confirmed_requests;
mod feedback;
mod language_model;
mod storage;
