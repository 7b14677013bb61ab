//! `state_i`: the parameters, the AdamW moments and the step (= RNG
//! position), with its canonical encoding (`crate::encoding`), its hash
//! `h_i` and the model-only hash committed as the final model.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use crate::encoding::{decode, encode_data_into, HostData, HostTensor, MODEL_MAGIC, STATE_MAGIC};
use crate::error::{EngineError, Result};
use crate::hash::rng_lock;
use crate::model::Lm;
use crate::params::{
    collect_param_data, collect_params, map_params, to_host, to_host_data, trainable_names,
};

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
            Ok(Some(t.into_shaped(&format!("model/{p}"), s)?))
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
