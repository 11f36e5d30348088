//! Integration tests of the knowledge base through its public interface.

mod support;

mod chunking;
mod indexing;
mod searching;
mod welsh;
