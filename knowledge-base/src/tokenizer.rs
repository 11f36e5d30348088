//! Measures text length in tokens with a Hugging Face `tokenizer.json`.

use std::path::Path;

use sha2::{Digest, Sha256};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{
    DecoderWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper, Tokenizer, TokenizerBuilder,
};

use crate::error::{Error, Result};

/// The tokenizer used when none is configured: byte-level BPE trained on the sample council's
/// content (regenerate with `councilbot tokenizer train knowledge-base/content --out
/// knowledge-base/tokenizer/default.json`).
const DEFAULT_TOKENIZER: &[u8] = include_bytes!("../tokenizer/default.json");

/// Counts tokens the way a language model would.
pub struct TokenCounter {
    tokenizer: Tokenizer,
    fingerprint: String,
}

impl TokenCounter {
    /// The built-in tokenizer, trained on council content; needs no download.
    pub fn built_in() -> Result<TokenCounter> {
        TokenCounter::from_bytes(DEFAULT_TOKENIZER, "built-in")
    }

    /// Loads a `tokenizer.json` file, such as a language model's own.
    pub fn from_file(path: &Path) -> Result<TokenCounter> {
        let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
        TokenCounter::from_bytes(&bytes, &path.display().to_string())
    }

    /// The given tokenizer file, or the built-in one when none is given.
    pub fn from_optional_file(path: Option<&Path>) -> Result<TokenCounter> {
        match path {
            Some(path) => TokenCounter::from_file(path),
            None => TokenCounter::built_in(),
        }
    }

    fn from_bytes(bytes: &[u8], origin: &str) -> Result<TokenCounter> {
        let tokenizer = Tokenizer::from_bytes(bytes)
            .map_err(|error| Error::Tokenizer { origin: origin.to_string(), message: error.to_string() })?;
        let fingerprint = hex(&Sha256::digest(bytes)[..8]);
        Ok(TokenCounter { tokenizer, fingerprint })
    }

    /// The number of tokens in `text`, special tokens excluded.
    pub fn count(&self, text: &str) -> usize {
        match self.tokenizer.encode_fast(text, false) {
            Ok(encoding) => encoding.len(),
            // A tokenizer that cannot encode some text still needs a length: about 4 bytes a token.
            Err(_) => text.len().div_ceil(4),
        }
    }

    /// A short identifier of this tokenizer's definition, to notice when it changes.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// Trains a byte-level BPE tokenizer on `texts` and returns its `tokenizer.json`.
pub fn train_tokenizer<I>(texts: I, vocab_size: usize) -> Result<String>
where
    I: Iterator<Item = String> + Send,
{
    let failed =
        |error: tokenizers::Error| Error::Tokenizer { origin: "training".to_string(), message: error.to_string() };
    let mut trainer = BpeTrainerBuilder::new()
        .show_progress(false)
        .vocab_size(vocab_size)
        .min_frequency(2)
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build();
    let mut tokenizer =
        TokenizerBuilder::<BPE, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>::new()
            .with_model(BPE::default())
            .with_normalizer(Some(NFC.into()))
            .with_pre_tokenizer(Some(ByteLevel::default().into()))
            .with_post_processor(Some(ByteLevel::default().into()))
            .with_decoder(Some(ByteLevelDecoder::default().into()))
            .build()
            .map_err(failed)?;
    tokenizer.train(&mut trainer, texts).map_err(failed)?;
    Tokenizer::from(tokenizer).to_string(false).map_err(failed)
}

/// Lowercase hexadecimal of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Trains a tokenizer on the text of every readable document under `roots`.
pub fn train_tokenizer_on_dirs(roots: &[std::path::PathBuf], vocab_size: usize, max_file_bytes: u64) -> Result<String> {
    let mut texts = Vec::new();
    for root in roots {
        let (files, _) = crate::sources::discover(root)?;
        for file in files {
            let Ok(bytes) = crate::sources::read_limited(&file.path, max_file_bytes) else {
                continue;
            };
            let Ok(document) = crate::extract::extract(file.format, &bytes, &file.stem()) else {
                continue;
            };
            texts.push(document.title.clone());
            texts.extend(document.sections.into_iter().flat_map(|section| section.blocks));
        }
    }
    if texts.is_empty() {
        return Err(Error::Tokenizer {
            origin: "training".to_string(),
            message: "no readable documents to train on".to_string(),
        });
    }
    train_tokenizer(texts.into_iter(), vocab_size)
}
