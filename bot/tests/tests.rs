//! Integration tests of the conversation engine.

mod support;

mod answering;
mod feedback;
mod language_model;
mod storage;
