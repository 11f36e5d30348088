//! The conversation engine: answers grounded in the knowledge base, and how well they do.

pub mod answer;
mod error;
pub mod eval;

pub use answer::{Answer, AnswerSettings, Citation, ExtractiveAnswerer};
pub use error::{Error, Result};
