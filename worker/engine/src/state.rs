//! Training state, its canonical encoding and hash `h_i`.
//!
//! # Canonical encoding (version 1)
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

use std::collections::{BTreeMap, BTreeSet};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{DType, Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::model::Lm;

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

/// AdamW moments of one parameter, flattened.
#[derive(Debug, Clone)]
pub struct Moments {
    pub m: Tensor<1>,
    pub v: Tensor<1>,
}

/// `state_i`: parameters, optimizer state, step (= RNG position). Generic
/// over the model (the LM by default, or the MLP classifier).
#[derive(Debug, Clone)]
pub struct TrainState<M = Lm> {
    pub model: M,
    pub moments: BTreeMap<String, Moments>,
    pub step: u64,
}

/// burn's CPU RNG is process-global: everything that may draw from it
/// (seeded steps, lazy parameter initialisation) runs under this lock so
/// that concurrent callers in one process cannot interleave random draws.
static RNG_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes the process-wide RNG lock (not re-entrant).
pub fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fixed parameter id derived from the module path (burn draws random ids
/// per process otherwise).
pub fn param_id(path: &str) -> ParamId {
    let d = Sha256::digest(path.as_bytes());
    ParamId::from(u64::from_le_bytes(d[..8].try_into().expect("8 bytes")))
}

struct PathStack(Vec<String>);

impl PathStack {
    fn push(&mut self, name: &str) {
        self.0.push(name.to_string());
    }
    fn pop(&mut self) {
        self.0.pop();
    }
    fn leaf(&self, field: &str) -> String {
        let mut p = self.0.join(".");
        if !p.is_empty() {
            p.push('.');
        }
        p.push_str(field);
        p
    }
}

/// Reads a tensor to host memory as f32.
pub fn to_host<const D: usize>(t: &Tensor<D>) -> HostTensor {
    let data = t.to_data().convert::<f32>();
    HostTensor {
        shape: data.shape().to_vec(),
        values: data.try_to_vec::<f32>().expect("f32 data"),
    }
}

/// A tensor read to host memory in burn's own buffer (f32), with its
/// shape: what the hash and the encoder read, without a second copy.
pub struct HostData {
    pub shape: Vec<usize>,
    pub data: TensorData,
}

/// Reads a tensor to host memory (one copy, no per-element conversion).
pub fn to_host_data<const D: usize>(t: &Tensor<D>) -> HostData {
    let data = t.to_data();
    let data = if data.dtype() == DType::F32 {
        data
    } else {
        data.convert::<f32>()
    };
    HostData {
        shape: t.dims().to_vec(),
        data,
    }
}

/// As [`collect_params`], keeping burn's host buffers (no conversion to
/// `Vec<f32>`); only parameters for which `keep(path)` holds.
pub fn collect_param_data<M: Module>(
    model: &M,
    keep: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, HostData> {
    struct V<'a> {
        path: PathStack,
        keep: &'a dyn Fn(&str) -> bool,
        out: BTreeMap<String, HostData>,
    }
    impl ModuleVisitor for V<'_> {
        fn enter_module(&mut self, name: &str, _c: &str) {
            self.path.push(name);
        }
        fn exit_module(&mut self, _name: &str, _c: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let name = self.path.leaf("");
            let name = name.trim_end_matches('.');
            if (self.keep)(name) {
                self.out
                    .insert(name.to_string(), to_host_data(&param.val()));
            }
        }
    }
    let mut v = V {
        path: PathStack(Vec::new()),
        keep,
        out: BTreeMap::new(),
    };
    model.visit(&mut v);
    v.out
}

/// Collects every float parameter by module path. Parameter paths come from
/// the module tree; the final component is the field name recorded by the
/// visitor (burn passes it as the last `enter_module`).
pub fn collect_params<M: Module>(model: &M) -> BTreeMap<String, HostTensor> {
    struct V {
        path: PathStack,
        out: BTreeMap<String, HostTensor>,
    }
    impl ModuleVisitor for V {
        fn enter_module(&mut self, name: &str, _c: &str) {
            self.path.push(name);
        }
        fn exit_module(&mut self, _name: &str, _c: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let name = self.path.leaf("");
            let name = name.trim_end_matches('.').to_string();
            self.out.insert(name, to_host(&param.val()));
        }
    }
    let mut v = V {
        path: PathStack(Vec::new()),
        out: BTreeMap::new(),
    };
    model.visit(&mut v);
    v.out
}

/// Replaces float parameters by `f(path, shape)` (`None` keeps the current
/// value). A replaced parameter gets the fixed id of its path and keeps its
/// trainability (frozen LoRA bases stay frozen).
pub fn map_params<N: Module, F>(model: N, device: &Device, mut f: F) -> Result<N>
where
    F: FnMut(&str, &[usize]) -> Result<Option<Vec<f32>>>,
{
    struct M<'a, F> {
        path: PathStack,
        device: &'a Device,
        f: &'a mut F,
        err: Option<EngineError>,
    }
    impl<F: FnMut(&str, &[usize]) -> Result<Option<Vec<f32>>>> ModuleMapper for M<'_, F> {
        fn enter_module(&mut self, name: &str, _c: &str) {
            self.path.push(name);
        }
        fn exit_module(&mut self, _name: &str, _c: &str) {
            self.path.pop();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let name = self.path.leaf("");
            let name = name.trim_end_matches('.').to_string();
            let (id, old, pm) = param.consume();
            let dims = old.dims();
            match (self.f)(&name, &dims) {
                Ok(Some(values)) if values.len() == dims.iter().product::<usize>() => {
                    let mut t = Tensor::<D>::from_data(TensorData::new(values, dims), self.device);
                    if self.device.is_autodiff() && old.is_require_grad() {
                        t = t.require_grad();
                    }
                    Param::from_mapped_value(param_id(&name), t, pm)
                }
                Ok(None) => Param::from_mapped_value(id, old, pm),
                Ok(Some(values)) => {
                    self.err
                        .get_or_insert(EngineError::CorruptCheckpoint(format!(
                            "{name}: {} values for shape {dims:?}",
                            values.len()
                        )));
                    Param::from_mapped_value(id, old, pm)
                }
                Err(e) => {
                    self.err.get_or_insert(e);
                    Param::from_mapped_value(id, old, pm)
                }
            }
        }
    }
    let mut m = M {
        path: PathStack(Vec::new()),
        device,
        f: &mut f,
        err: None,
    };
    let model = model.map(&mut m);
    match m.err {
        Some(e) => Err(e),
        None => Ok(model),
    }
}

/// Names of the trainable (gradient-requiring) parameters.
pub fn trainable_names<M: Module>(model: &M) -> BTreeSet<String> {
    struct V {
        path: PathStack,
        out: BTreeSet<String>,
    }
    impl ModuleVisitor for V {
        fn enter_module(&mut self, name: &str, _c: &str) {
            self.path.push(name);
        }
        fn exit_module(&mut self, _name: &str, _c: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if param.val().is_require_grad() {
                let name = self.path.leaf("");
                self.out.insert(name.trim_end_matches('.').to_string());
            }
        }
    }
    let mut v = V {
        path: PathStack(Vec::new()),
        out: BTreeSet::new(),
    };
    model.visit(&mut v);
    v.out
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

/// Seeded, backend-independent initial value of a parameter: LayerNorm
/// `gamma` = 1, `beta`/`bias` = 0, other weights uniform in
/// `±1/sqrt(fan_in)` (fan_in = first dimension) drawn from SplitMix64
/// seeded with `SHA-256("impulse-init-v1" || seed_le || path)`. LoRA
/// factors: `a` like a weight, `b` = 0 (the adapted model starts equal to
/// its base).
pub fn init_value(seed: u64, path: &str, shape: &[usize]) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let last = path.rsplit('.').next().unwrap_or(path);
    if path.contains(".lora.") && last == "b" {
        return vec![0.0; n];
    }
    match last {
        "gamma" => vec![1.0; n],
        "beta" | "bias" => vec![0.0; n],
        _ => {
            let fan_in = shape.first().copied().unwrap_or(1).max(1) as f32;
            let scale = 1.0 / fan_in.sqrt();
            let mut rng = SplitMix(derive_seed(b"impulse-init-v1", &[seed], path.as_bytes()));
            (0..n).map(|_| rng.next_sym() * scale).collect()
        }
    }
}

impl<M: Module> TrainState<M> {
    /// A state at step 0 with zero moments for the trainable parameters.
    pub fn with_zero_moments(model: M, device: &Device) -> Self {
        let trainable = trainable_names(&model);
        let moments = collect_params(&model)
            .into_iter()
            .filter(|(k, _)| trainable.contains(k))
            .map(|(k, t)| {
                let n = t.values.len();
                let z = || Tensor::<1>::zeros([n], device);
                (k, Moments { m: z(), v: z() })
            })
            .collect();
        Self {
            model,
            moments,
            step: 0,
        }
    }

    /// All tensors of the state in canonical form, keyed by entry name:
    /// the trainable parameters (all of them, or only the LoRA adapters
    /// when the base is frozen; the job binds the base by its hash) and
    /// their AdamW moments.
    pub fn entries(&self) -> BTreeMap<String, HostTensor> {
        let mut out = BTreeMap::new();
        for (k, t) in collect_params(&self.model) {
            if self.moments.contains_key(&k) {
                out.insert(format!("model/{k}"), t);
            }
        }
        for (k, mo) in &self.moments {
            out.insert(format!("optim.m/{k}"), to_host(&mo.m));
            out.insert(format!("optim.v/{k}"), to_host(&mo.v));
        }
        out
    }

    /// The state's tensors read to host memory, in canonical entry order:
    /// `model/*`, then `optim.m/*`, then `optim.v/*`, each sorted by path
    /// (the three prefixes sort in that order, and a shared prefix keeps
    /// the paths' order).
    fn host_entries(&self) -> Vec<(String, HostData)> {
        let params = collect_param_data(&self.model, &|p| self.moments.contains_key(p));
        let mut out = Vec::with_capacity(3 * params.len());
        out.extend(params.into_iter().map(|(k, d)| (format!("model/{k}"), d)));
        for (k, mo) in &self.moments {
            out.push((format!("optim.m/{k}"), to_host_data(&mo.m)));
        }
        for (k, mo) in &self.moments {
            out.push((format!("optim.v/{k}"), to_host_data(&mo.v)));
        }
        debug_assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
        out
    }

    /// Canonical encoding (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let entries = self.host_entries();
        let total: usize = entries
            .iter()
            .map(|(k, d)| d.data.as_bytes().len() + k.len() + 16 + 8 * d.shape.len())
            .sum();
        let mut out = Vec::with_capacity(total + 32);
        encode_data_into(STATE_MAGIC, self.step, &entries, &mut |b| {
            out.extend_from_slice(b)
        });
        out
    }

    /// `h_i`: SHA-256 of the canonical encoding, streamed from the host
    /// buffers of the tensors (no encoding in memory).
    pub fn hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        encode_data_into(STATE_MAGIC, self.step, &self.host_entries(), &mut |b| {
            h.update(b)
        });
        h.finalize().into()
    }

    /// Hash of the whole model (every parameter, frozen ones included;
    /// model magic and step).
    pub fn model_hash(&self) -> [u8; 32] {
        let params: Vec<(String, HostData)> = collect_param_data(&self.model, &|_| true)
            .into_iter()
            .map(|(k, t)| (format!("model/{k}"), t))
            .collect();
        let mut h = Sha256::new();
        encode_data_into(MODEL_MAGIC, self.step, &params, &mut |b| h.update(b));
        h.finalize().into()
    }

    /// Rebuilds a state from its canonical encoding on top of `template`
    /// (the job's `state_0` model, which supplies frozen parameters).
    pub fn decode(bytes: &[u8], template: &M, device: &Device) -> Result<Self> {
        let (magic, step, mut entries) = decode(bytes)?;
        if &magic != STATE_MAGIC {
            return Err(EngineError::CorruptCheckpoint(
                "not a training state".into(),
            ));
        }
        let trainable = trainable_names(template);
        let ad = device.clone().autodiff();
        let _guard = rng_lock();
        let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
        let model = map_params(template.clone(), &ad, |p, s| {
            if !trainable.contains(p) {
                return Ok(None);
            }
            sizes.insert(p.to_string(), s.iter().product());
            let t = entries
                .remove(&format!("model/{p}"))
                .ok_or_else(|| EngineError::CorruptCheckpoint(format!("missing model/{p}")))?;
            if t.shape != s {
                return Err(EngineError::CorruptCheckpoint(format!(
                    "model/{p}: shape {:?}, expected {s:?}",
                    t.shape
                )));
            }
            Ok(Some(t.values))
        })?;
        let mut moments = BTreeMap::new();
        for (k, n) in sizes {
            let mut take = |kind: &str| -> Result<Tensor<1>> {
                let e = entries
                    .remove(&format!("{kind}/{k}"))
                    .ok_or_else(|| EngineError::CorruptCheckpoint(format!("missing {kind}/{k}")))?;
                if e.values.len() != n {
                    return Err(EngineError::CorruptCheckpoint(format!(
                        "{kind}/{k}: wrong size"
                    )));
                }
                Ok(Tensor::<1>::from_data(
                    TensorData::new(e.values, [n]),
                    device,
                ))
            };
            let m = take("optim.m")?;
            let v = take("optim.v")?;
            moments.insert(k, Moments { m, v });
        }
        if let Some(k) = entries.keys().next() {
            return Err(EngineError::CorruptCheckpoint(format!(
                "unexpected entry {k}"
            )));
        }
        Ok(Self {
            model,
            moments,
            step,
        })
    }
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
