//! Verification rounds (protocol.md section 6, points 3 to 6). The worker and
//! the marketplace contract compute these with the same code, so a verifier
//! knows exactly which steps the contract will ask for and which commitment it
//! will accept. Byte layouts are in `packages/protocol/README.md`.

use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// Domain tag of a committee member's secret commitment.
pub const SECRET_TAG: &[u8] = b"impulse/secret/v1";
/// Domain tag of the challenge seed.
pub const SEED_TAG: &[u8] = b"impulse/challenge/v1";
/// Domain tag of a step's challenge draw.
pub const STEP_TAG: &[u8] = b"impulse/step/v1";
/// Domain tag of a verifier's verdict commitment.
pub const VERDICT_TAG: &[u8] = b"impulse/verdict/v1";
/// `1.0` in the 18-decimal fixed point of `alpha` (cosmwasm `Decimal` atomics).
pub const ALPHA_ONE: u128 = 1_000_000_000_000_000_000;

/// `SHA-256(SECRET_TAG || secret)`: what a committee member posts at
/// assignment and opens after the prover's root is on chain.
pub fn secret_commitment(secret: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(SECRET_TAG);
    h.update(secret);
    h.finalize().into()
}

/// The challenge seed: `SHA-256(SEED_TAG || root || job_id (u64 BE) ||
/// n (u32 BE) || secret_1 .. secret_n || entropy)` where the secrets are the
/// revealed ones in committee order and `entropy` (32 bytes) is the
/// contract's entropy chain in the block that fixes the seed (the last
/// reveal, or the window's close).
///
/// The entropy is what keeps the last revealer from knowing the challenge
/// before it acts: with the secrets alone it could compute the seed once
/// the others had revealed, and choose between that challenge and the one
/// without its secret (by withholding it). The chain's value depends on the
/// time of the block its transaction lands in, which no sender knows.
pub fn challenge_seed(root: &Hash, job_id: u64, secrets: &[Hash], entropy: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(SEED_TAG);
    h.update(root);
    h.update(job_id.to_be_bytes());
    h.update((secrets.len() as u32).to_be_bytes());
    for s in secrets {
        h.update(s);
    }
    h.update(entropy);
    h.finalize().into()
}

/// The draw of step `i`: the first 8 bytes of
/// `SHA-256(STEP_TAG || seed || i (u64 BE))` as a big-endian `u64`.
pub fn step_draw(seed: &Hash, step: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(STEP_TAG);
    h.update(seed);
    h.update(step.to_be_bytes());
    let d: Hash = h.finalize().into();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first)
}

/// `floor(alpha * 2^64)` for `alpha` given as 18-decimal atomics, saturated
/// at `u64::MAX` for `alpha >= 1` (then every step is challenged).
pub fn alpha_threshold(alpha_atomics: u128) -> u64 {
    if alpha_atomics >= ALPHA_ONE {
        return u64::MAX;
    }
    // alpha_atomics < 10^18 < 2^60, so the product fits in u128.
    ((alpha_atomics << 64) / ALPHA_ONE) as u64
}

/// The challenged steps of a job of `steps` steps (leaves `h_0..h_L`, step
/// `i` in `1..=L`): step `i < L` is challenged iff
/// `step_draw(seed, i) < alpha_threshold(alpha)`; step `L` always is. In
/// ascending order. At most `cap` steps (`cap >= 1`): the first `cap - 1`
/// sampled steps below `L` are kept, then `L`. `steps = 0` gives no step.
/// For `alpha >= 1` every step is challenged (up to the cap).
pub fn challenged_steps(seed: &Hash, steps: u64, alpha_atomics: u128, cap: usize) -> Vec<u64> {
    let mut out = Vec::new();
    if steps == 0 || cap == 0 {
        return out;
    }
    let threshold = alpha_threshold(alpha_atomics);
    let all = alpha_atomics >= ALPHA_ONE;
    for i in 1..steps {
        if out.len() + 1 >= cap {
            break;
        }
        if all || step_draw(seed, i) < threshold {
            out.push(i);
        }
    }
    out.push(steps);
    out
}

/// A verifier's verdict commitment: `SHA-256(VERDICT_TAG || verifier_len (u32
/// BE) || verifier || n (u32 BE) || h'_1 .. h'_n || d || m || salt)` where
/// `verifier` is the verifier's address as its bech32 string bytes (so a
/// copied commitment never opens for another verifier), `d` is `0x00` or
/// `0x01 || n (u32 BE) || distance_1 .. distance_n (u128 BE, 18-decimal
/// atomics)`, and `m` is `0x00` or `0x01 || model_hash`.
pub fn verdict_commitment(
    verifier: &[u8],
    hashes: &[Hash],
    distances: Option<&[u128]>,
    model_hash: Option<&Hash>,
    salt: &Hash,
) -> Hash {
    let mut h = Sha256::new();
    h.update(VERDICT_TAG);
    h.update((verifier.len() as u32).to_be_bytes());
    h.update(verifier);
    h.update((hashes.len() as u32).to_be_bytes());
    for x in hashes {
        h.update(x);
    }
    match distances {
        None => h.update([0u8]),
        Some(ds) => {
            h.update([1u8]);
            h.update((ds.len() as u32).to_be_bytes());
            for d in ds {
                h.update(d.to_be_bytes());
            }
        }
    }
    match model_hash {
        None => h.update([0u8]),
        Some(m) => {
            h.update([1u8]);
            h.update(m);
        }
    }
    h.update(salt);
    h.finalize().into()
}
