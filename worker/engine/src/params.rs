//! A model's parameters by module path: reading them to host memory,
//! replacing them, fixed parameter ids, and the seeded initial values
//! (README, "Determinism rules" 2; "`state_0`").

use std::collections::{BTreeMap, BTreeSet};

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{DType, Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use crate::encoding::{HostData, HostTensor};
use crate::error::{EngineError, Result};
use crate::hash::{derive_seed, SplitMix};

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

/// How [`collect`] reads a parameter to host memory.
trait Read {
    type Out;
    fn read<const D: usize>(t: &Tensor<D>) -> Self::Out;
}

/// As `f32` values ([`to_host`]).
struct AsF32;

impl Read for AsF32 {
    type Out = HostTensor;
    fn read<const D: usize>(t: &Tensor<D>) -> HostTensor {
        to_host(t)
    }
}

/// As burn's host buffer ([`to_host_data`]).
struct AsData;

impl Read for AsData {
    type Out = HostData;
    fn read<const D: usize>(t: &Tensor<D>) -> HostData {
        to_host_data(t)
    }
}

/// Every float parameter for which `keep(path)` holds, by module path, read
/// with `R`. Parameter paths come from the module tree; the final component
/// is the field name recorded by the visitor (burn passes it as the last
/// `enter_module`).
fn collect<M: Module, R: Read>(model: &M, keep: &dyn Fn(&str) -> bool) -> BTreeMap<String, R::Out> {
    struct V<'a, R: Read> {
        path: PathStack,
        keep: &'a dyn Fn(&str) -> bool,
        out: BTreeMap<String, R::Out>,
    }
    impl<R: Read> ModuleVisitor for V<'_, R> {
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
                self.out.insert(name.to_string(), R::read(&param.val()));
            }
        }
    }
    let mut v = V::<R> {
        path: PathStack(Vec::new()),
        keep,
        out: BTreeMap::new(),
    };
    model.visit(&mut v);
    v.out
}

/// As [`collect_params`], keeping burn's host buffers (no conversion to
/// `Vec<f32>`); only parameters for which `keep(path)` holds.
pub fn collect_param_data<M: Module>(
    model: &M,
    keep: &dyn Fn(&str) -> bool,
) -> BTreeMap<String, HostData> {
    collect::<M, AsData>(model, keep)
}

/// Collects every float parameter by module path (see [`collect`]).
pub fn collect_params<M: Module>(model: &M) -> BTreeMap<String, HostTensor> {
    collect::<M, AsF32>(model, &|_| true)
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
