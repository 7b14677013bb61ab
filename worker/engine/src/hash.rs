//! Hashing and seeded randomness: SHA-256 (and input files read against it),
//! domain-separated seeds, the SplitMix64 stream of the seeded initialisation,
//! and the process-wide lock around burn's RNG (README, "Determinism rules" 1
//! and 4). Every other module of the engine builds on these; this one builds
//! only on the error type.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// SHA-256 of a byte string.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// An input file read by hash: it names the errors of a failed read.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    Dataset,
    Tokenizer,
}

/// The bytes of the `input` file at `path` and their SHA-256, checked
/// against `expected` (hex, any case, surrounding blanks ignored) if given.
pub fn read_verified(
    path: &Path,
    expected: Option<&str>,
    input: Input,
) -> Result<(Vec<u8>, [u8; 32])> {
    let bytes = std::fs::read(path).map_err(|source| {
        let path = path.to_path_buf();
        match input {
            Input::Dataset => EngineError::DatasetMissing { path, source },
            Input::Tokenizer => EngineError::TokenizerMissing { path, source },
        }
    })?;
    let hash = sha256(&bytes);
    if let Some(exp) = expected {
        let actual = hex::encode(hash);
        if !actual.eq_ignore_ascii_case(exp.trim()) {
            let (path, expected) = (path.to_path_buf(), exp.to_string());
            return Err(match input {
                Input::Dataset => EngineError::DatasetHashMismatch {
                    path,
                    expected,
                    actual,
                },
                Input::Tokenizer => EngineError::TokenizerHashMismatch {
                    path,
                    expected,
                    actual,
                },
            });
        }
    }
    Ok((bytes, hash))
}

/// 64-bit seed from a domain tag and integers, via SHA-256.
pub fn derive_seed(tag: &[u8], parts: &[u64], extra: &[u8]) -> u64 {
    let mut h = Sha256::new();
    h.update(tag);
    for p in parts {
        h.update(p.to_le_bytes());
    }
    h.update(extra);
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

/// SplitMix64 stream, used for the seeded initialisation.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1), from 24 random bits (exact in f32).
    pub fn next_sym(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32) / (1u32 << 23) as f32 - 1.0
    }
}

/// burn's CPU RNG is process-global: everything that may draw from it
/// (seeded steps, lazy parameter initialisation) runs under this lock so
/// that concurrent callers in one process cannot interleave random draws.
static RNG_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes the process-wide RNG lock (not re-entrant).
pub fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
