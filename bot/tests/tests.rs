//! Integration tests of the conversation engine.

mod support;

mod answering;
mod language_model;
mod storage;
