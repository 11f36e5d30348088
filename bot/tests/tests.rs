//! Integration tests of the conversation engine.

mod answering;
