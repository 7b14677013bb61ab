//! The protocol's pure rules (`docs/protocol.md`): what the contracts
//! enforce and the daemon, the keeper and the tests must compute the same
//! way, with no storage and no I/O. "Where is rule X" has one answer here.
//!
//! * [`merkle`]: the SHA-256 Merkle tree over step-state hashes (§6.2).
//! * [`challenge`]: secret and verdict commitments, the challenge seed and
//!   the challenged steps (§6.3-6.5).
//! * [`lifecycle`]: the job states and their transitions (§4).
//! * [`deadlines`]: when a phase's window closes (§4, §6).
//! * [`budget`]: the escrow a job needs and how a settlement spends it (§4).
//! * [`verdict`]: quorum and the majority rule (§6.6).
//! * [`committee`]: the committee draw arithmetic (§6.4).
//! * [`schedule`]: damp, effective score and ranking (§5).
//! * [`heartbeat`]: missed heartbeat intervals (§2).
//! * [`penalty`]: what a benign fault costs (§2).
//!

pub mod budget;
pub mod challenge;
pub mod committee;
pub mod deadlines;
pub mod heartbeat;
pub mod lifecycle;
pub mod merkle;
pub mod penalty;
pub mod schedule;
pub mod verdict;

pub use challenge::*;
pub use merkle::*;

/// A rule's arithmetic overflowed; `what` names the quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    pub what: &'static str,
}

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "arithmetic overflow in {}", self.what)
    }
}

impl std::error::Error for Overflow {}

#[cfg(test)]
mod tests {
    use crate::challenge::*;
    use crate::merkle::*;
    use cosmwasm_std::{Decimal, HexBinary, Uint128};
    use impulse_types::marketplace::{
        DatasetSpec, HyperParams, JobSpec, ModelSpec, VerificationMode, VerificationSpec,
    };
    use impulse_types::{Backend, Capacity};

    /// A valid job spec for the rule tests.
    pub fn spec() -> JobSpec {
        JobSpec {
            model: ModelSpec {
                arch: "mlp".into(),
                config: None,
                base_weights: None,
            },
            dataset: DatasetSpec {
                sha256: HexBinary::from(vec![1u8; 32]),
                uri: "grpc://x".into(),
            },
            hyper: HyperParams {
                steps: 100,
                batch_size: 8,
                learning_rate: Decimal::permille(1),
                optimizer: "adamw".into(),
                seed: 1,
            },
            model_units: 1,
            resources: Capacity {
                memory_gib: 1,
                devices: 1,
            },
            backend: Backend::Cpu,
            max_price_per_step: Uint128::new(100),
            min_reputation: Decimal::zero(),
            deadline: 1_000,
            verification: VerificationSpec {
                alpha: Decimal::percent(10),
                committee: 3,
                mode: VerificationMode::Exact,
            },
            private: false,
        }
    }

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
        let e = [5u8; 32];
        let base = challenge_seed(&root, 9, &s, &e);
        assert_ne!(base, challenge_seed(&[4u8; 32], 9, &s, &e));
        assert_ne!(base, challenge_seed(&root, 10, &s, &e));
        assert_ne!(base, challenge_seed(&root, 9, &s[..1], &e));
        assert_ne!(base, challenge_seed(&root, 9, &[s[1], s[0]], &e));
        // the entropy always counts: the secrets alone do not give the seed
        assert_ne!(base, challenge_seed(&root, 9, &s, &[6u8; 32]));
        assert_ne!(
            challenge_seed(&root, 9, &[], &e),
            challenge_seed(&root, 9, &[], &[6u8; 32])
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
