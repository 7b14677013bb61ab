//! Tokenizers: the built-in byte tokenizer, or a local `tokenizer.json`
//! loaded through the `tokenizers` crate (pure-Rust build: `fancy-regex`, no
//! Oniguruma, no downloads).
//!
//! A `tokenizer.json` is identified by the SHA-256 of its file bytes; the job
//! names it (`tokenizer_sha256`), the model's vocabulary follows its size,
//! and the batches of a job depend on it (see the `data` module).
//!
//! [`train_bpe`] builds the byte-level BPE tokenizer shipped in
//! `data/tokenizer.json` from the shipped corpus, deterministically, so that
//! nothing comes from outside:
//!
//! ```text
//! cargo run -p impulse-engine --bin impulse-engine -- tokenizer \
//!     --data worker/engine/data/tiny_tales.txt --vocab 512 \
//!     --out worker/engine/data/tokenizer.json
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};

use crate::error::{EngineError, Result};
use crate::hash::{read_verified, sha256, Input};

/// Largest vocabulary accepted from a `tokenizer.json`.
pub const MAX_VOCAB: usize = 1 << 20;

/// Byte-level tokenizer: one token per byte, vocabulary of 256.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByteTokenizer;

impl ByteTokenizer {
    /// Vocabulary size.
    pub const VOCAB: usize = 256;

    /// Text to token ids.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        text.bytes().map(u32::from).collect()
    }

    /// Token ids to text (invalid UTF-8 is replaced).
    pub fn decode(&self, tokens: &[u32]) -> String {
        let bytes: Vec<u8> = tokens.iter().map(|&t| (t & 0xff) as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The tokenizer of a dataset: bytes, or a local `tokenizer.json`.
#[derive(Debug, Clone, Default)]
pub enum Tokenizer {
    /// One token per byte, vocabulary 256.
    #[default]
    Byte,
    /// A `tokenizer.json` (boxed: the `tokenizers` value is large).
    Json(Box<JsonTokenizer>),
}

/// A `tokenizer.json` with the SHA-256 of its file bytes.
#[derive(Debug, Clone)]
pub struct JsonTokenizer {
    inner: tokenizers::Tokenizer,
    sha256: [u8; 32],
    vocab: usize,
    path: PathBuf,
}

impl Tokenizer {
    /// Loads a `tokenizer.json` from a local path and checks its SHA-256
    /// against `expected` (hex), if given.
    pub fn load(path: &Path, expected: Option<&str>) -> Result<Self> {
        let (bytes, _) = read_verified(path, expected, Input::Tokenizer)?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses `tokenizer.json` bytes (`path` is only used in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let corrupt = |reason: String| EngineError::TokenizerCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        let inner = tokenizers::Tokenizer::from_bytes(bytes).map_err(|e| corrupt(e.to_string()))?;
        let vocab = inner.get_vocab_size(true);
        if vocab == 0 || vocab > MAX_VOCAB {
            return Err(corrupt(format!(
                "vocabulary size {vocab} is outside 1..={MAX_VOCAB}"
            )));
        }
        Ok(Self::Json(Box::new(JsonTokenizer {
            inner,
            sha256: sha256(bytes),
            vocab,
            path: path.to_path_buf(),
        })))
    }

    /// Vocabulary size (the model's `vocab`).
    pub fn vocab_size(&self) -> usize {
        match self {
            Self::Byte => ByteTokenizer::VOCAB,
            Self::Json(t) => t.vocab,
        }
    }

    /// SHA-256 of the `tokenizer.json` file; `None` for the byte tokenizer.
    pub fn sha256(&self) -> Option<[u8; 32]> {
        match self {
            Self::Byte => None,
            Self::Json(t) => Some(t.sha256),
        }
    }

    /// Hex SHA-256 of the `tokenizer.json` file; `None` for bytes.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256().map(hex::encode)
    }

    /// Text to token ids (no special tokens added). Every id is checked to
    /// be below the vocabulary size.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        match self {
            Self::Byte => Ok(ByteTokenizer.encode(text)),
            Self::Json(t) => {
                let corrupt = |reason: String| EngineError::TokenizerCorrupt {
                    path: t.path.clone(),
                    reason,
                };
                let enc = t
                    .inner
                    .encode(text, false)
                    .map_err(|e| corrupt(format!("cannot encode: {e}")))?;
                let ids = enc.get_ids().to_vec();
                if let Some(bad) = ids.iter().find(|&&id| id as usize >= t.vocab) {
                    return Err(corrupt(format!(
                        "token id {bad} outside the vocabulary of {}",
                        t.vocab
                    )));
                }
                Ok(ids)
            }
        }
    }

    /// Token ids to text.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        match self {
            Self::Byte => Ok(ByteTokenizer.decode(ids)),
            Self::Json(t) => {
                t.inner
                    .decode(ids, false)
                    .map_err(|e| EngineError::TokenizerCorrupt {
                        path: t.path.clone(),
                        reason: format!("cannot decode: {e}"),
                    })
            }
        }
    }
}

/// GPT-2's reversible byte to printable character map (what the byte-level
/// pre-tokenizer of `tokenizers` uses).
fn byte_chars() -> [char; 256] {
    let mut printable: Vec<u8> = (b'!'..=b'~').collect();
    printable.extend(0xA1u8..=0xAC);
    printable.extend(0xAEu8..=0xFF);
    let mut out = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..=255u8 {
        out[b as usize] = if printable.contains(&b) {
            char::from(b)
        } else {
            extra += 1;
            char::from_u32(255 + extra).expect("valid char")
        };
    }
    out
}

/// Trains a byte-level BPE tokenizer on `text` with `vocab` tokens (at least
/// 256: every byte, then merges) and returns its `tokenizer.json` text.
///
/// Deterministic: words come from the byte-level pre-tokenizer (GPT-2
/// split, no prefix space), counted in sorted order; each round merges the
/// most frequent adjacent pair, ties broken by the smaller merged string
/// and then the smaller pair of ids; training stops early when no pair
/// occurs twice. The same text and size always give the same bytes.
pub fn train_bpe(text: &str, vocab: usize) -> Result<String> {
    if !(ByteTokenizer::VOCAB..=MAX_VOCAB).contains(&vocab) {
        return Err(EngineError::InvalidConfig(format!(
            "BPE vocabulary must be in {}..={MAX_VOCAB}",
            ByteTokenizer::VOCAB
        )));
    }
    let pre = ByteLevel::default().add_prefix_space(false);
    let mut pretok = PreTokenizedString::from(text);
    pre.pre_tokenize(&mut pretok)
        .map_err(|e| EngineError::InvalidConfig(format!("pre-tokenization failed: {e}")))?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (w, _, _) in pretok.get_splits(OffsetReferential::Original, OffsetType::Byte) {
        *counts.entry(w.to_string()).or_default() += 1;
    }

    let chars = byte_chars();
    let mut tokens: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    let mut ids: HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let mut words: Vec<(Vec<u32>, u64)> = counts
        .into_iter()
        .map(|(w, n)| (w.chars().map(|c| ids[&c.to_string()]).collect(), n))
        .collect();
    let mut merges: Vec<(String, String)> = Vec::new();
    while tokens.len() < vocab {
        let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
        for (w, n) in &words {
            for p in w.windows(2) {
                *pairs.entry((p[0], p[1])).or_default() += n;
            }
        }
        let best = pairs
            .into_iter()
            .filter(|&(_, n)| n >= 2)
            .min_by(|(pa, na), (pb, nb)| {
                let sa = [tokens[pa.0 as usize].as_str(), &tokens[pa.1 as usize]].concat();
                let sb = [tokens[pb.0 as usize].as_str(), &tokens[pb.1 as usize]].concat();
                nb.cmp(na).then(sa.cmp(&sb)).then(pa.cmp(pb))
            });
        let Some(((a, b), _)) = best else { break };
        let merged = [tokens[a as usize].as_str(), &tokens[b as usize]].concat();
        let id = match ids.get(&merged) {
            Some(&id) => id,
            None => {
                let id = tokens.len() as u32;
                tokens.push(merged.clone());
                ids.insert(merged, id);
                id
            }
        };
        merges.push((tokens[a as usize].clone(), tokens[b as usize].clone()));
        for (w, _) in &mut words {
            let mut out = Vec::with_capacity(w.len());
            let mut k = 0;
            while k < w.len() {
                if k + 1 < w.len() && w[k] == a && w[k + 1] == b {
                    out.push(id);
                    k += 2;
                } else {
                    out.push(w[k]);
                    k += 1;
                }
            }
            *w = out;
        }
    }

    let model = serde_json::json!({
        "type": "BPE",
        "vocab": ids,
        "merges": merges,
    });
    let bpe: BPE = serde_json::from_str(&model.to_string())
        .map_err(|e| EngineError::InvalidConfig(format!("BPE build failed: {e}")))?;
    let mut tok = tokenizers::Tokenizer::new(bpe);
    tok.with_pre_tokenizer(Some(pre));
    tok.with_decoder(Some(pre));
    let mut json = tok
        .to_string(true)
        .map_err(|e| EngineError::InvalidConfig(format!("serialization failed: {e}")))?;
    json.push('\n');
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_chars_are_the_byte_level_alphabet() {
        let ours: std::collections::BTreeSet<char> = byte_chars().into_iter().collect();
        let theirs: std::collections::BTreeSet<char> = ByteLevel::alphabet().into_iter().collect();
        assert_eq!(ours.len(), 256);
        assert_eq!(ours, theirs);
        assert_eq!(byte_chars()[b'a' as usize], 'a');
        assert_eq!(byte_chars()[b' ' as usize], '\u{120}');
    }

    #[test]
    fn byte_tokenizer_variant() {
        let t = Tokenizer::Byte;
        assert_eq!(t.vocab_size(), 256);
        assert_eq!(t.sha256(), None);
        assert_eq!(t.encode("hi").unwrap(), vec![104, 105]);
        assert_eq!(t.decode(&[104, 105]).unwrap(), "hi");
    }
}
