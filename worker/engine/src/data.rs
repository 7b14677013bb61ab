//! Datasets identified by SHA-256, tokenized by [`crate::tokenizer`], and
//! deterministic batches.
//!
//! The batch of step `i` depends only on (dataset hash, job seed, `i`): row
//! `r` starts at offset `u64_le(SHA-256("impulse-batch-v1" || dataset_hash ||
//! seed_le || i_le || r_le)[0..8]) mod (n - T)` where `n` is the number of
//! tokens and `T` the context length; the row holds tokens `offset..offset+T+1`
//! (inputs are the first `T`, targets the last `T`).
//!
//! With a `tokenizer.json` the dataset's identity is (file hash, tokenizer
//! hash) and the row offsets come from `SHA-256("impulse-batch-tok-v1" ||
//! dataset_hash || tokenizer_hash || seed_le || i_le || r_le)` instead, so a
//! job's batches depend on the tokenizer as well as on the tokens it yields.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::hash::{read_verified, Input};
use crate::tokenizer::Tokenizer;

/// A tokenized dataset with the SHA-256 of its file bytes (and of its
/// tokenizer, when it is not the byte tokenizer).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// SHA-256 of the raw file bytes (what the job names).
    pub hash: [u8; 32],
    /// Token ids (bytes, or ids of the `tokenizer.json`).
    pub tokens: Vec<u32>,
    /// Vocabulary size of the tokenizer (every token is below it).
    pub vocab: usize,
    /// SHA-256 of the `tokenizer.json` file; `None` for the byte tokenizer.
    pub tokenizer_sha256: Option<[u8; 32]>,
    /// Where it was loaded from.
    pub path: PathBuf,
}

impl Dataset {
    /// Loads a dataset from a local path with the byte tokenizer and checks
    /// its SHA-256 against `expected` (hex), if given. `.jsonl` files hold
    /// one JSON object per line with a `"text"` field; anything else is read
    /// as UTF-8 text.
    pub fn load(path: &Path, expected: Option<&str>) -> Result<Self> {
        Self::load_with(path, expected, &Tokenizer::Byte)
    }

    /// As [`Dataset::load`], tokenized with `tokenizer`.
    pub fn load_with(path: &Path, expected: Option<&str>, tokenizer: &Tokenizer) -> Result<Self> {
        let (bytes, hash) = read_verified(path, expected, Input::Dataset)?;
        let corrupt = |reason: String| EngineError::DatasetCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.is_empty() {
            return Err(corrupt("file is empty".into()));
        }
        let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
        let text = if is_jsonl {
            let s = std::str::from_utf8(&bytes).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
            let mut out = String::new();
            for (n, line) in s.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line)
                    .map_err(|e| corrupt(format!("line {}: invalid JSON: {e}", n + 1)))?;
                let t = v
                    .get("text")
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| corrupt(format!("line {}: no string field \"text\"", n + 1)))?;
                out.push_str(t);
                out.push('\n');
            }
            out
        } else {
            String::from_utf8(bytes).map_err(|e| corrupt(format!("not UTF-8 text: {e}")))?
        };
        let tokens = tokenizer.encode(&text)?;
        if tokens.is_empty() {
            return Err(corrupt("no text".into()));
        }
        Ok(Self {
            hash,
            tokens,
            vocab: tokenizer.vocab_size(),
            tokenizer_sha256: tokenizer.sha256(),
            path: path.to_path_buf(),
        })
    }

    /// Hex SHA-256 of the tokenizer file; `None` for the byte tokenizer.
    pub fn tokenizer_hex(&self) -> Option<String> {
        self.tokenizer_sha256.map(hex::encode)
    }

    /// Dataset hash as hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// Checks that rows of `context + 1` tokens fit.
    pub fn check_context(&self, context: usize) -> Result<()> {
        if self.tokens.len() < context + 2 {
            return Err(EngineError::DatasetCorrupt {
                path: self.path.clone(),
                reason: format!(
                    "{} tokens, fewer than context {} + 2",
                    self.tokens.len(),
                    context
                ),
            });
        }
        Ok(())
    }

    /// The batch of step `step` (1-based): `batch` rows of `context + 1`
    /// tokens, row-major. Depends only on (hash, seed, step).
    pub fn batch(&self, seed: u64, step: u64, batch: usize, context: usize) -> Batch {
        let span = (self.tokens.len() - context) as u64;
        let mut tokens = Vec::with_capacity(batch * (context + 1));
        for r in 0..batch as u64 {
            let mut h = Sha256::new();
            match &self.tokenizer_sha256 {
                None => {
                    h.update(b"impulse-batch-v1");
                    h.update(self.hash);
                }
                Some(tok) => {
                    h.update(b"impulse-batch-tok-v1");
                    h.update(self.hash);
                    h.update(tok);
                }
            }
            h.update(seed.to_le_bytes());
            h.update(step.to_le_bytes());
            h.update(r.to_le_bytes());
            let d: [u8; 32] = h.finalize().into();
            let off = (u64::from_le_bytes(d[..8].try_into().expect("8 bytes")) % span) as usize;
            tokens.extend_from_slice(&self.tokens[off..off + context + 1]);
        }
        Batch {
            rows: batch,
            width: context + 1,
            tokens,
        }
    }
}

/// A batch: `rows` sequences of `width = context + 1` tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub rows: usize,
    pub width: usize,
    pub tokens: Vec<u32>,
}

impl Batch {
    /// Keeps only the first `rows` rows (a smaller batch of the same rows).
    pub fn truncated(&self, rows: usize) -> Batch {
        let rows = rows.clamp(1, self.rows);
        Batch {
            rows,
            width: self.width,
            tokens: self.tokens[..rows * self.width].to_vec(),
        }
    }
}
