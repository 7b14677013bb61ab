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
