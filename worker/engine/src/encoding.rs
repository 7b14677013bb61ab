//! The canonical encoding of a training state (version 1): the bytes
//! `h_i` hashes and the checkpoint file format (protocol.md §6.2).
//!
//! ```text
//! magic   "IMPULSE-STATE-V1"          16 bytes (models: "IMPULSE-MODEL-V1")
//! step    u64 little-endian           (also the RNG position: every random
//!                                      draw of step i is seeded from
//!                                      (job seed, i), so `step` fixes it)
//! count   u32 LE                      number of tensor entries
//! entries sorted by name, bytewise:
//!   name_len u32 LE, name UTF-8       "model/<module path>", "optim.m/<path>",
//!                                      "optim.v/<path>"
//!   dtype    u8                       1 = f32
//!   rank     u32 LE, dims u64 LE each
//!   data     rank-major elements, f32 little-endian
//! ```
//!
//! `h_i = SHA-256(encoding of state_i)`. The encoding is also the checkpoint
//! file format, so a stored checkpoint is hash-checked by hashing the file.
//! The AdamW step counter equals `step` and is not stored twice.

use std::collections::BTreeMap;

use burn::tensor::TensorData;
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};

/// Magic of a full training state.
pub const STATE_MAGIC: &[u8; 16] = b"IMPULSE-STATE-V1";
/// Magic of a model-only encoding (the final model hash).
pub const MODEL_MAGIC: &[u8; 16] = b"IMPULSE-MODEL-V1";
const DTYPE_F32: u8 = 1;

/// A tensor in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl HostTensor {
    /// Its values, once its shape is `shape` (`name` names it in the error).
    pub fn into_shaped(self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        if self.shape != shape {
            return Err(EngineError::CorruptCheckpoint(format!(
                "{name}: shape {:?}, expected {shape:?}",
                self.shape
            )));
        }
        Ok(self.values)
    }
}

/// A tensor read to host memory in burn's own buffer (f32), with its
/// shape: what the hash and the encoder read, without a second copy.
pub struct HostData {
    pub shape: Vec<usize>,
    pub data: TensorData,
}

/// Canonical encoding of `entries` under `magic` and `step`.
pub fn encode(magic: &[u8; 16], step: u64, entries: &BTreeMap<String, HostTensor>) -> Vec<u8> {
    let total: usize = entries.values().map(|t| t.values.len() * 4 + 64).sum();
    let mut out = Vec::with_capacity(total + 32);
    encode_into(magic, step, entries, &mut |b| out.extend_from_slice(b));
    out
}

/// SHA-256 of the canonical encoding, streamed (no full copy in memory).
pub fn hash_encoding(
    magic: &[u8; 16],
    step: u64,
    entries: &BTreeMap<String, HostTensor>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    encode_into(magic, step, entries, &mut |b| h.update(b));
    h.finalize().into()
}

/// Writes the canonical encoding piecewise to `out`.
pub fn encode_into(
    magic: &[u8; 16],
    step: u64,
    entries: &BTreeMap<String, HostTensor>,
    out: &mut dyn FnMut(&[u8]),
) {
    out(magic);
    out(&step.to_le_bytes());
    out(&(entries.len() as u32).to_le_bytes());
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    for (name, t) in entries {
        out(&(name.len() as u32).to_le_bytes());
        out(name.as_bytes());
        out(&[DTYPE_F32]);
        out(&(t.shape.len() as u32).to_le_bytes());
        for d in &t.shape {
            out(&(*d as u64).to_le_bytes());
        }
        for chunk in t.values.chunks(1 << 14) {
            buf.clear();
            for v in chunk {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            out(&buf);
        }
    }
}

/// As [`encode_into`] over host buffers already in canonical order. On
/// little-endian machines the f32 bytes are passed through as they are.
pub fn encode_data_into(
    magic: &[u8; 16],
    step: u64,
    entries: &[(String, HostData)],
    out: &mut dyn FnMut(&[u8]),
) {
    out(magic);
    out(&step.to_le_bytes());
    out(&(entries.len() as u32).to_le_bytes());
    let mut head: Vec<u8> = Vec::with_capacity(256);
    for (name, t) in entries {
        head.clear();
        head.extend_from_slice(&(name.len() as u32).to_le_bytes());
        head.extend_from_slice(name.as_bytes());
        head.push(DTYPE_F32);
        head.extend_from_slice(&(t.shape.len() as u32).to_le_bytes());
        for d in &t.shape {
            head.extend_from_slice(&(*d as u64).to_le_bytes());
        }
        out(&head);
        #[cfg(target_endian = "little")]
        out(t.data.as_bytes());
        #[cfg(not(target_endian = "little"))]
        {
            let values = t.data.as_slice::<f32>().expect("f32 data");
            let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
            for chunk in values.chunks(1 << 14) {
                buf.clear();
                for v in chunk {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                out(&buf);
            }
        }
    }
}

/// Parses a canonical encoding; rejects trailing bytes, unsorted or
/// duplicate names and unknown dtypes.
#[allow(clippy::type_complexity)]
pub fn decode(bytes: &[u8]) -> Result<([u8; 16], u64, BTreeMap<String, HostTensor>)> {
    let bad = |m: &str| EngineError::CorruptCheckpoint(m.to_string());
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad("truncated"))?;
        let s = &bytes[pos..end];
        pos = end;
        Ok(s)
    };
    let magic: [u8; 16] = take(16)?.try_into().expect("16");
    let step = u64::from_le_bytes(take(8)?.try_into().expect("8"));
    let count = u32::from_le_bytes(take(4)?.try_into().expect("4"));
    let mut entries = BTreeMap::new();
    let mut last: Option<String> = None;
    for _ in 0..count {
        let nl = u32::from_le_bytes(take(4)?.try_into().expect("4")) as usize;
        let name = std::str::from_utf8(take(nl)?)
            .map_err(|_| bad("name is not UTF-8"))?
            .to_string();
        if last.as_ref().is_some_and(|l| l >= &name) {
            return Err(bad("entries not in sorted order"));
        }
        if take(1)?[0] != DTYPE_F32 {
            return Err(bad("unknown dtype"));
        }
        let rank = u32::from_le_bytes(take(4)?.try_into().expect("4")) as usize;
        if rank > 8 {
            return Err(bad("rank too large"));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(u64::from_le_bytes(take(8)?.try_into().expect("8")) as usize);
        }
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(|| bad("shape overflows"))?;
        let raw = take(n)?;
        let values = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
            .collect();
        last = Some(name.clone());
        entries.insert(name, HostTensor { shape, values });
    }
    if pos != bytes.len() {
        return Err(bad("trailing bytes"));
    }
    Ok((magic, step, entries))
}
