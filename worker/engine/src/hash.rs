//! Hashing and seeded randomness: SHA-256, domain-separated seeds, the
//! SplitMix64 stream of the seeded initialisation, and the process-wide
//! lock around burn's RNG (README, "Determinism rules" 1 and 4). Every
//! other module of the engine builds on these; this one builds on nothing.

use sha2::{Digest, Sha256};

/// SHA-256 of a byte string.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
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
