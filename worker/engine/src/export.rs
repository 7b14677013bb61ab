//! safetensors export of a model and import of base weights.
//!
//! Written against the safetensors format (8-byte LE header length, JSON
//! header `{name: {dtype, shape, data_offsets}}`, then the raw
//! little-endian data) so that the engine needs no extra dependency.
//! Tensor names are the module paths used by the canonical encoding
//! (`encoder.layers.0.mha.query.weight`, ...); only `F32` is produced or
//! accepted.

use std::collections::BTreeMap;

use crate::encoding::HostTensor;
use crate::error::{EngineError, Result};
use crate::params::collect_params;
use crate::state::TrainState;

/// The whole model (frozen base included) as safetensors bytes, with
/// `metadata` in the `__metadata__` header entry.
pub fn export_safetensors(state: &TrainState, metadata: &BTreeMap<String, String>) -> Vec<u8> {
    to_safetensors(&collect_params(&state.model), metadata)
}

/// Serializes named f32 tensors (sorted by name, contiguous data).
pub fn to_safetensors(
    tensors: &BTreeMap<String, HostTensor>,
    metadata: &BTreeMap<String, String>,
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        header.insert("__metadata__".into(), serde_json::json!(metadata));
    }
    let mut offset = 0usize;
    for (name, t) in tensors {
        let end = offset + 4 * t.values.len();
        header.insert(
            name.clone(),
            serde_json::json!({ "dtype": "F32", "shape": t.shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }
    let mut h = serde_json::to_vec(&serde_json::Value::Object(header)).expect("json");
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + offset);
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    for t in tensors.values() {
        for v in &t.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Parses safetensors bytes into named f32 tensors.
pub fn from_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, HostTensor>> {
    let bad = |m: String| EngineError::CorruptCheckpoint(format!("safetensors: {m}"));
    if bytes.len() < 8 {
        return Err(bad("too short".into()));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8")) as usize;
    let data_start = 8usize
        .checked_add(n)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| bad("header length out of range".into()))?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..data_start]).map_err(|e| bad(format!("header: {e}")))?;
    let data = &bytes[data_start..];
    let mut out = BTreeMap::new();
    for (name, v) in header {
        if name == "__metadata__" {
            continue;
        }
        let dtype = v.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        if dtype != "F32" {
            return Err(bad(format!(
                "{name}: dtype {dtype:?} unsupported (F32 only)"
            )));
        }
        let shape: Vec<usize> = v
            .get("shape")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or_else(|| bad(format!("{name}: bad shape")))?;
        let offs: [usize; 2] = v
            .get("data_offsets")
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or_else(|| bad(format!("{name}: bad data_offsets")))?;
        let count = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(format!("{name}: shape overflows")))?;
        if offs[0] > offs[1] || offs[1] > data.len() || offs[1] - offs[0] != 4 * count {
            return Err(bad(format!("{name}: data_offsets do not match shape")));
        }
        let values = data[offs[0]..offs[1]]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
            .collect();
        out.insert(name, HostTensor { shape, values });
    }
    Ok(out)
}
