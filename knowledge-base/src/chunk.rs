//! Splits a document into passages of bounded token length that follow its sections.

use serde::{Deserialize, Serialize};

use crate::document::{Document, Section};
use crate::error::{Error, Result};
use crate::tokenizer::TokenCounter;

/// How long passages may be, in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkSettings {
    /// The most tokens in one passage.
    pub max_tokens: usize,
    /// Tokens repeated from the end of a passage at the start of the next one of the same section.
    pub overlap_tokens: usize,
}

impl Default for ChunkSettings {
    fn default() -> Self {
        ChunkSettings { max_tokens: 256, overlap_tokens: 32 }
    }
}

impl ChunkSettings {
    /// Checks that the settings can produce passages.
    pub fn validate(self) -> Result<ChunkSettings> {
        if self.max_tokens < 16 {
            return Err(Error::ChunkSettings(format!(
                "chunk size {} is below the minimum of 16 tokens",
                self.max_tokens
            )));
        }
        if self.overlap_tokens * 2 > self.max_tokens {
            return Err(Error::ChunkSettings(format!(
                "overlap of {} tokens is more than half the chunk size of {} tokens",
                self.overlap_tokens, self.max_tokens
            )));
        }
        Ok(self)
    }
}

/// One passage of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// The headings above the passage, outermost first.
    pub heading_path: Vec<String>,
    /// The passage text; blocks are separated by newlines.
    pub text: String,
    /// The passage length in tokens.
    pub tokens: usize,
}

/// A block of text with its length in tokens.
struct Piece {
    text: String,
    tokens: usize,
}

/// Splits a document into passages, section by section.
pub fn chunk_document(document: &Document, settings: ChunkSettings, counter: &TokenCounter) -> Vec<Chunk> {
    document.sections.iter().flat_map(|section| chunk_section(section, settings, counter)).collect()
}

fn chunk_section(section: &Section, settings: ChunkSettings, counter: &TokenCounter) -> Vec<Chunk> {
    let pieces: Vec<Piece> =
        section.blocks.iter().flat_map(|block| split_to_fit(block, settings.max_tokens, counter)).collect();
    let mut chunks = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    let mut current_tokens = 0;
    for piece in pieces {
        if current_tokens + piece.tokens > settings.max_tokens && !current.is_empty() {
            chunks.push(make_chunk(section, &current));
            let budget = settings.overlap_tokens.min(settings.max_tokens.saturating_sub(piece.tokens));
            current = overlap(&current, budget, counter);
            current_tokens = current.iter().map(|piece| piece.tokens).sum();
        }
        current_tokens += piece.tokens;
        current.push(piece);
    }
    if !current.is_empty() {
        chunks.push(make_chunk(section, &current));
    }
    chunks
}

/// The end of a passage, whole sentences up to `budget` tokens, to start the next one with
/// so that context is not cut off.
fn overlap(pieces: &[Piece], budget: usize, counter: &TokenCounter) -> Vec<Piece> {
    let mut carried: Vec<Piece> = Vec::new();
    let mut tokens = 0;
    for piece in pieces.iter().rev() {
        if tokens + piece.tokens <= budget {
            tokens += piece.tokens;
            carried.insert(0, Piece { text: piece.text.clone(), tokens: piece.tokens });
            continue;
        }
        // Too long to carry whole: carry its last sentences that fit.
        let mut sentences: Vec<&str> = Vec::new();
        for sentence in crate::text::sentences(&piece.text).into_iter().rev() {
            let sentence_tokens = counter.count(sentence);
            if tokens + sentence_tokens > budget {
                break;
            }
            tokens += sentence_tokens;
            sentences.insert(0, sentence);
        }
        if !sentences.is_empty() {
            let text = sentences.join(" ");
            carried.insert(0, Piece { tokens: counter.count(&text), text });
        }
        break;
    }
    carried
}

fn make_chunk(section: &Section, pieces: &[Piece]) -> Chunk {
    Chunk {
        heading_path: section.heading_path.clone(),
        text: pieces.iter().map(|piece| piece.text.as_str()).collect::<Vec<_>>().join("\n"),
        tokens: pieces.iter().map(|piece| piece.tokens).sum(),
    }
}

/// A block as pieces no longer than `max_tokens`: whole if it fits, else by sentence, else by word.
fn split_to_fit(block: &str, max_tokens: usize, counter: &TokenCounter) -> Vec<Piece> {
    let tokens = counter.count(block);
    if tokens <= max_tokens {
        return vec![Piece { text: block.to_string(), tokens }];
    }
    let sentences = crate::text::sentences(block);
    if sentences.len() > 1 {
        return sentences.into_iter().flat_map(|sentence| split_to_fit(sentence, max_tokens, counter)).collect();
    }
    split_words(block, max_tokens, counter)
}

/// A single over-long sentence cut between words into pieces that fit.
fn split_words(text: &str, max_tokens: usize, counter: &TokenCounter) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_tokens = 0;
    for word in text.split_whitespace() {
        let word_tokens = counter.count(&format!(" {word}")).max(1);
        if current_tokens + word_tokens > max_tokens && !current.is_empty() {
            pieces.push(Piece { text: std::mem::take(&mut current), tokens: current_tokens });
            current_tokens = 0;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        current_tokens += word_tokens;
    }
    if !current.is_empty() {
        pieces.push(Piece { text: current, tokens: current_tokens });
    }
    pieces
}
