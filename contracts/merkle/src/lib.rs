//! SHA-256 Merkle tree over the per-step state hashes `h_0..h_L` of a
//! training job (protocol.md §6, points 2 and 6). The training engine builds
//! the root and the proofs; the contracts verify proofs with this same crate.
//!
//! # Construction
//!
//! * Leaf node: `SHA-256(0x00 || h_i)` where `h_i` is the 32-byte state hash.
//! * Inner node: `SHA-256(0x01 || left || right)`.
//! * Levels are built bottom-up, pairing nodes left to right. When a level has
//!   an odd number of nodes, the last node is **promoted unchanged** to the
//!   next level (it is not duplicated, so no two leaf sets share a root by
//!   duplication).
//! * The root of a single leaf is that leaf's node hash. A tree needs at least
//!   one leaf (a job always has `state_0`).
//!
//! The domain-separation bytes stop an inner node from being passed off as a
//! leaf (second-preimage attacks). A proof carries the leaf index and the leaf
//! count, so the verifier recomputes which levels promote without a sibling.
//!
//! `#![no_std]` with `alloc`: builds for `wasm32-unknown-unknown`.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 digest.
pub type Hash = [u8; 32];

/// Domain-separation prefix of a leaf node.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an inner node.
pub const NODE_PREFIX: u8 = 0x01;

/// Errors of tree construction and proof generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MerkleError {
    /// A tree needs at least one leaf.
    Empty,
    /// The requested leaf index is not below the leaf count.
    IndexOutOfRange { index: u64, leaves: u64 },
}

impl core::fmt::Display for MerkleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MerkleError::Empty => write!(f, "merkle tree needs at least one leaf"),
            MerkleError::IndexOutOfRange { index, leaves } => {
                write!(f, "leaf index {index} out of range ({leaves} leaves)")
            }
        }
    }
}

/// Node hash of a leaf: `SHA-256(0x00 || leaf)`.
pub fn hash_leaf(leaf: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(leaf);
    h.finalize().into()
}

/// Hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn hash_node(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Inclusion proof of one leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// Index of the leaf (the step number `i` for `h_i`).
    pub index: u64,
    /// Number of leaves in the tree (`L + 1` for `h_0..h_L`).
    pub leaves: u64,
    /// Sibling hashes from the bottom level up; levels where the node is
    /// promoted without a sibling contribute nothing.
    pub siblings: Vec<Hash>,
}

/// A Merkle tree holding every level (level 0 = leaf nodes, last = root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// Builds the tree over the given leaf values (state hashes).
    pub fn new(leaves: &[Hash]) -> Result<Self, MerkleError> {
        if leaves.is_empty() {
            return Err(MerkleError::Empty);
        }
        let mut levels = Vec::new();
        let mut level: Vec<Hash> = leaves.iter().map(hash_leaf).collect();
        while level.len() > 1 {
            let next = level
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => hash_node(l, r),
                    [single] => *single,
                    _ => unreachable!("chunks(2) yields one or two items"),
                })
                .collect();
            levels.push(level);
            level = next;
        }
        levels.push(level);
        Ok(Self { levels })
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        self.levels[self.levels.len() - 1][0]
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Always false: a tree has at least one leaf.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Inclusion proof for the leaf at `index`.
    pub fn proof(&self, index: u64) -> Result<Proof, MerkleError> {
        let leaves = self.len();
        if index >= leaves {
            return Err(MerkleError::IndexOutOfRange { index, leaves });
        }
        let mut siblings = Vec::new();
        let mut idx = index as usize;
        for level in &self.levels[..self.levels.len() - 1] {
            let sib = idx ^ 1;
            if sib < level.len() {
                siblings.push(level[sib]);
            }
            idx /= 2;
        }
        Ok(Proof {
            index,
            leaves,
            siblings,
        })
    }
}

/// Root over `leaves` (convenience wrapper of [`MerkleTree::new`]).
pub fn root(leaves: &[Hash]) -> Result<Hash, MerkleError> {
    MerkleTree::new(leaves).map(|t| t.root())
}

/// Recomputes the root from `leaf` and `proof`; `None` if the proof is
/// malformed (index out of range, wrong number of siblings).
pub fn compute_root(leaf: &Hash, proof: &Proof) -> Option<Hash> {
    if proof.leaves == 0 || proof.index >= proof.leaves {
        return None;
    }
    let mut node = hash_leaf(leaf);
    let mut idx = proof.index;
    let mut width = proof.leaves;
    let mut sibs = proof.siblings.iter();
    while width > 1 {
        let sib = idx ^ 1;
        if sib < width {
            let s = sibs.next()?;
            node = if idx & 1 == 0 {
                hash_node(&node, s)
            } else {
                hash_node(s, &node)
            };
        }
        idx /= 2;
        width = width.div_ceil(2);
    }
    if sibs.next().is_some() {
        return None;
    }
    Some(node)
}

/// True if `proof` shows that `leaf` is at `proof.index` under `root`.
pub fn verify(root: &Hash, leaf: &Hash, proof: &Proof) -> bool {
    compute_root(leaf, proof).is_some_and(|r| &r == root)
}

// ---------------------------------------------------------------------------
// Verification rounds (protocol.md section 6, points 3 to 6). The worker and
// the marketplace contract compute these with the same code, so a verifier
// knows exactly which steps the contract will ask for and which commitment it
// will accept. Byte layouts are in `contracts/merkle/README.md`.

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
/// n (u32 BE) || secret_1 .. secret_n || fallback)` where the secrets are the
/// revealed ones in committee order and `fallback` (32 bytes) is present only
/// when no secret was revealed (the contract's entropy chain then).
pub fn challenge_seed(
    root: &Hash,
    job_id: u64,
    secrets: &[Hash],
    fallback_entropy: Option<&Hash>,
) -> Hash {
    let mut h = Sha256::new();
    h.update(SEED_TAG);
    h.update(root);
    h.update(job_id.to_be_bytes());
    h.update((secrets.len() as u32).to_be_bytes());
    for s in secrets {
        h.update(s);
    }
    if secrets.is_empty() {
        if let Some(f) = fallback_entropy {
            h.update(f);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn leaf(i: u8) -> Hash {
        [i; 32]
    }

    #[test]
    fn challenge_always_has_the_last_step_and_respects_the_cap() {
        let seed = [7u8; 32];
        let c = challenged_steps(&seed, 1000, ALPHA_ONE / 10, 10_000);
        assert_eq!(*c.last().unwrap(), 1000);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        assert!(c.len() > 50 && c.len() < 160, "{}", c.len());
        let capped = challenged_steps(&seed, 1000, ALPHA_ONE / 10, 5);
        assert_eq!(capped.len(), 5);
        assert_eq!(&capped[..4], &c[..4]);
        assert_eq!(capped[4], 1000);
        assert_eq!(challenged_steps(&seed, 1, ALPHA_ONE / 10, 8), vec![1]);
        assert_eq!(
            challenged_steps(&seed, 5, ALPHA_ONE, 8),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(challenged_steps(&seed, 5, 0, 8), vec![5]);
        assert!(challenged_steps(&seed, 0, ALPHA_ONE, 8).is_empty());
        assert_eq!(alpha_threshold(ALPHA_ONE / 2), 1u64 << 63);
    }

    #[test]
    fn seeds_and_commitments_bind_every_input() {
        let root = [1u8; 32];
        let s = [[2u8; 32], [3u8; 32]];
        let base = challenge_seed(&root, 9, &s, None);
        assert_ne!(base, challenge_seed(&[4u8; 32], 9, &s, None));
        assert_ne!(base, challenge_seed(&root, 10, &s, None));
        assert_ne!(base, challenge_seed(&root, 9, &s[..1], None));
        assert_ne!(base, challenge_seed(&root, 9, &[s[1], s[0]], None));
        // fallback only counts when nobody revealed
        assert_eq!(base, challenge_seed(&root, 9, &s, Some(&[5u8; 32])));
        assert_ne!(
            challenge_seed(&root, 9, &[], Some(&[5u8; 32])),
            challenge_seed(&root, 9, &[], Some(&[6u8; 32]))
        );
        assert_ne!(secret_commitment(&[1u8; 32]), secret_commitment(&[2u8; 32]));
        let hs = [[8u8; 32]];
        let salt = [9u8; 32];
        let v = verdict_commitment(b"a", &hs, None, Some(&[1u8; 32]), &salt);
        assert_ne!(
            v,
            verdict_commitment(b"b", &hs, None, Some(&[1u8; 32]), &salt)
        );
        assert_ne!(
            v,
            verdict_commitment(b"a", &hs, Some(&[0]), Some(&[1u8; 32]), &salt)
        );
        assert_ne!(v, verdict_commitment(b"a", &hs, None, None, &salt));
        assert_ne!(
            v,
            verdict_commitment(b"a", &hs, None, Some(&[1u8; 32]), &[0u8; 32])
        );
        assert_ne!(
            v,
            verdict_commitment(b"a", &[[7u8; 32]], None, Some(&[1u8; 32]), &salt)
        );
    }

    #[test]
    fn empty_is_an_error() {
        assert_eq!(MerkleTree::new(&[]).unwrap_err(), MerkleError::Empty);
    }

    #[test]
    fn single_leaf_root_is_leaf_hash() {
        let t = MerkleTree::new(&[leaf(7)]).unwrap();
        assert_eq!(t.root(), hash_leaf(&leaf(7)));
        let p = t.proof(0).unwrap();
        assert!(p.siblings.is_empty());
        assert!(verify(&t.root(), &leaf(7), &p));
    }

    #[test]
    fn three_leaves_promote_the_odd_node() {
        let ls = [leaf(1), leaf(2), leaf(3)];
        let expected = hash_node(
            &hash_node(&hash_leaf(&ls[0]), &hash_leaf(&ls[1])),
            &hash_leaf(&ls[2]),
        );
        assert_eq!(root(&ls).unwrap(), expected);
        let p = MerkleTree::new(&ls).unwrap().proof(2).unwrap();
        assert_eq!(p.siblings.len(), 1);
        assert!(verify(&expected, &ls[2], &p));
    }

    #[test]
    fn known_vector_two_leaves() {
        // SHA-256(0x01 || SHA-256(0x00||00..) || SHA-256(0x00||01..)),
        // pinned so that a change of construction is noticed.
        let r = root(&[[0u8; 32], [1u8; 32]]).unwrap();
        let again = hash_node(&hash_leaf(&[0u8; 32]), &hash_leaf(&[1u8; 32]));
        assert_eq!(r, again);
        assert_ne!(r, hash_node(&[0u8; 32], &[1u8; 32]));
    }

    #[test]
    fn out_of_range_and_malformed_proofs() {
        let t = MerkleTree::new(&[leaf(1), leaf(2)]).unwrap();
        assert_eq!(
            t.proof(2).unwrap_err(),
            MerkleError::IndexOutOfRange {
                index: 2,
                leaves: 2
            }
        );
        let mut p = t.proof(0).unwrap();
        p.siblings.push(leaf(9));
        assert!(!verify(&t.root(), &leaf(1), &p));
        let mut p = t.proof(0).unwrap();
        p.siblings.clear();
        assert!(!verify(&t.root(), &leaf(1), &p));
        let mut p = t.proof(0).unwrap();
        p.index = 5;
        assert!(!verify(&t.root(), &leaf(1), &p));
        let p = Proof {
            index: 0,
            leaves: 0,
            siblings: vec![],
        };
        assert!(compute_root(&leaf(1), &p).is_none());
    }

    #[test]
    fn inner_node_is_not_a_leaf() {
        // An inner node presented as a leaf of a smaller tree must not verify.
        let ls = [leaf(1), leaf(2), leaf(3), leaf(4)];
        let t = MerkleTree::new(&ls).unwrap();
        let inner = hash_node(&hash_leaf(&ls[0]), &hash_leaf(&ls[1]));
        let fake = Proof {
            index: 0,
            leaves: 2,
            siblings: vec![hash_node(&hash_leaf(&ls[2]), &hash_leaf(&ls[3]))],
        };
        assert!(!verify(&t.root(), &inner, &fake));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_proof_verifies_and_tampering_fails(
                seeds in proptest::collection::vec(any::<[u8; 32]>(), 1..70),
                pick in any::<prop::sample::Index>(),
                flip in any::<prop::sample::Index>(),
                bit in 0u8..8,
            ) {
                let t = MerkleTree::new(&seeds).unwrap();
                let r = t.root();
                for (i, l) in seeds.iter().enumerate() {
                    let p = t.proof(i as u64).unwrap();
                    prop_assert!(verify(&r, l, &p));
                }
                let i = pick.index(seeds.len());
                let p = t.proof(i as u64).unwrap();
                // Tampered leaf.
                let mut bad = seeds[i];
                bad[flip.index(32)] ^= 1 << bit;
                prop_assert!(!verify(&r, &bad, &p));
                // Tampered sibling.
                if !p.siblings.is_empty() {
                    let mut q = p.clone();
                    let s = flip.index(q.siblings.len());
                    q.siblings[s][0] ^= 1 << bit;
                    prop_assert!(!verify(&r, &seeds[i], &q));
                }
                // Wrong index (unless the leaf value repeats there).
                if seeds.len() > 1 {
                    let j = (i + 1) % seeds.len();
                    let mut q = p.clone();
                    q.index = j as u64;
                    if seeds[j] != seeds[i] {
                        prop_assert!(!verify(&r, &seeds[i], &q));
                    }
                }
            }
        }
    }
}
