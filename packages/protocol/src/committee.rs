//! Committee draws (protocol.md §6.4): the `n`-th draw of a job's committee
//! is a 128-bit number from the draw seed, reduced modulo the total verifier
//! weight to pick a slot of the weight tree. Anyone can recompute it.

use sha2::{Digest, Sha256};

use crate::Hash;

/// Domain tag of a committee draw.
pub const COMMITTEE_TAG: &[u8] = b"impulse/committee/v1";

/// The first 16 bytes (big-endian) of `SHA-256(COMMITTEE_TAG || seed ||
/// job_id (u64 BE) || attempt (u32 BE) || draw (u32 BE) || n (u32 BE))`.
pub fn draw_u128(seed: &Hash, job_id: u64, attempt: u32, draw: u32, n: u32) -> u128 {
    let mut h = Sha256::new();
    h.update(COMMITTEE_TAG);
    h.update(seed);
    h.update(job_id.to_be_bytes());
    h.update(attempt.to_be_bytes());
    h.update(draw.to_be_bytes());
    h.update(n.to_be_bytes());
    let d: Hash = h.finalize().into();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_be_bytes(first)
}

/// The weight point of the `n`-th draw in `[0, total)` (`total > 0`).
pub fn pick(seed: &Hash, job_id: u64, attempt: u32, draw: u32, n: u32, total: u128) -> u128 {
    draw_u128(seed, job_id, attempt, draw, n) % total.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_bind_every_input() {
        let s = [1u8; 32];
        let base = draw_u128(&s, 1, 1, 1, 1);
        assert_ne!(base, draw_u128(&[2u8; 32], 1, 1, 1, 1));
        assert_ne!(base, draw_u128(&s, 2, 1, 1, 1));
        assert_ne!(base, draw_u128(&s, 1, 2, 1, 1));
        assert_ne!(base, draw_u128(&s, 1, 1, 2, 1));
        assert_ne!(base, draw_u128(&s, 1, 1, 1, 2));
        assert!(pick(&s, 1, 1, 1, 1, 7) < 7);
    }
}
