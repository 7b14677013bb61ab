//! MLP classifier: the second model family. Same determinism machinery as
//! the LM (seeded init, fixed ids, engine AdamW, RNG re-seeded per step,
//! canonical state hash, Merkle commitment, replay).
//!
//! Dataset: JSONL, one `{"features": [f32, ...], "label": n}` per line,
//! identified by the SHA-256 of the file. Batch of step `i`: row `r` is
//! example `u64_le(SHA-256("impulse-cls-batch-v1" || hash || seed_le ||
//! i_le || r_le)[0..8]) mod n`.

use std::collections::BTreeMap;
use std::path::Path;

use burn::config::Config;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use impulse_protocol::MerkleTree;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::EngineError;
use crate::hash::{derive_seed, rng_lock};
use crate::optim::{adamw_update, AdamWSettings};
use crate::params::{init_value, map_params};
use crate::state::TrainState;

type Res<T> = std::result::Result<T, EngineError>;

/// MLP classifier configuration.
#[derive(Config, Debug, PartialEq)]
pub struct MlpConfig {
    /// Input features.
    pub inputs: usize,
    /// Hidden width.
    pub hidden: usize,
    /// Number of classes.
    pub classes: usize,
    /// Hidden layers (>= 1).
    #[config(default = 2)]
    pub layers: usize,
    /// Dropout after each hidden layer.
    #[config(default = 0.1)]
    pub dropout: f64,
}

/// MLP: `layers` x (Linear, ReLU, Dropout), then a Linear head.
#[derive(Module, Debug)]
pub struct Mlp {
    pub hidden: Vec<Linear>,
    pub dropout: Dropout,
    pub head: Linear,
}

impl MlpConfig {
    fn init(&self, device: &Device) -> Mlp {
        let hidden = (0..self.layers)
            .map(|l| {
                let i = if l == 0 { self.inputs } else { self.hidden };
                LinearConfig::new(i, self.hidden).init(device)
            })
            .collect();
        Mlp {
            hidden,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(self.hidden, self.classes).init(device),
        }
    }
}

impl Mlp {
    /// Logits `[B, classes]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for l in &self.hidden {
            h = self.dropout.forward(relu(l.forward(h)));
        }
        self.head.forward(h)
    }
}

/// A classification dataset.
#[derive(Debug, Clone)]
pub struct ClassDataset {
    pub hash: [u8; 32],
    pub features: Vec<Vec<f32>>,
    pub labels: Vec<u32>,
}

#[derive(Deserialize)]
struct Row {
    features: Vec<f32>,
    label: u32,
}

impl ClassDataset {
    /// Loads JSONL, checking the SHA-256 (hex) when given, the feature width
    /// and the label range.
    pub fn load(path: &Path, expected: Option<&str>, cfg: &MlpConfig) -> Res<Self> {
        let bytes = std::fs::read(path).map_err(|source| EngineError::DatasetMissing {
            path: path.to_path_buf(),
            source,
        })?;
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        if let Some(exp) = expected {
            if !hex::encode(hash).eq_ignore_ascii_case(exp) {
                return Err(EngineError::DatasetHashMismatch {
                    path: path.to_path_buf(),
                    expected: exp.into(),
                    actual: hex::encode(hash),
                });
            }
        }
        let corrupt = |reason: String| EngineError::DatasetCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: Row =
                serde_json::from_str(line).map_err(|e| corrupt(format!("line {}: {e}", n + 1)))?;
            if r.features.len() != cfg.inputs || r.label as usize >= cfg.classes {
                return Err(corrupt(format!("line {}: wrong width or label", n + 1)));
            }
            features.push(r.features);
            labels.push(r.label);
        }
        if labels.is_empty() {
            return Err(corrupt("no examples".into()));
        }
        Ok(Self {
            hash,
            features,
            labels,
        })
    }

    fn batch(&self, seed: u64, step: u64, rows: usize) -> (Vec<f32>, Vec<i64>) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for r in 0..rows as u64 {
            let mut h = Sha256::new();
            h.update(b"impulse-cls-batch-v1");
            h.update(self.hash);
            h.update(seed.to_le_bytes());
            h.update(step.to_le_bytes());
            h.update(r.to_le_bytes());
            let d: [u8; 32] = h.finalize().into();
            let k = (u64::from_le_bytes(d[..8].try_into().expect("8")) % self.labels.len() as u64)
                as usize;
            x.extend_from_slice(&self.features[k]);
            y.push(i64::from(self.labels[k]));
        }
        (x, y)
    }
}

/// A classifier training job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierJob {
    pub config: MlpConfig,
    pub dataset_sha256: String,
    pub seed: u64,
    pub steps: u64,
    pub batch_size: usize,
    pub optim: AdamWSettings,
}

/// Leaves `h_0..h_L`, Merkle root, every state (canonical encoding) by step.
pub type ClassifierTrace = (Vec<[u8; 32]>, [u8; 32], BTreeMap<u64, Vec<u8>>);

/// Classifier engine: init, step, prove (honest), replay.
#[derive(Debug, Clone)]
pub struct ClassifierEngine {
    pub job: ClassifierJob,
    pub dataset: ClassDataset,
    pub device: Device,
    template: Mlp,
}

impl ClassifierEngine {
    pub fn new(job: ClassifierJob, dataset: ClassDataset, device: Device) -> Res<Self> {
        if hex::encode(dataset.hash) != job.dataset_sha256.to_ascii_lowercase() {
            return Err(EngineError::DatasetHashMismatch {
                path: Default::default(),
                expected: job.dataset_sha256.clone(),
                actual: hex::encode(dataset.hash),
            });
        }
        let c = &job.config;
        if c.inputs == 0 || c.hidden == 0 || c.classes < 2 || c.layers == 0 || job.batch_size == 0 {
            return Err(EngineError::InvalidConfig("empty MLP or batch".into()));
        }
        let ad = device.clone().autodiff();
        let seed = job.seed;
        let template = {
            let _g = rng_lock();
            map_params(c.init(&ad), &ad, |p, s| Ok(Some(init_value(seed, p, s))))?
        };
        Ok(Self {
            job,
            dataset,
            device,
            template,
        })
    }

    pub fn init_state(&self) -> TrainState<Mlp> {
        TrainState::with_zero_moments(self.template.clone(), &self.device)
    }

    pub fn decode(&self, bytes: &[u8]) -> Res<TrainState<Mlp>> {
        TrainState::decode(bytes, &self.template, &self.device)
    }

    fn tensors(&self, x: Vec<f32>, y: Vec<i64>, device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let rows = y.len();
        let xt = Tensor::<2>::from_data(TensorData::new(x, [rows, self.job.config.inputs]), device);
        let yt = Tensor::<1, Int>::from_data(TensorData::new(y, [rows]), device);
        (xt, yt)
    }

    /// `state_i = step(state_{i-1}, batch_i, job)`.
    pub fn step(&self, prev: &TrainState<Mlp>) -> TrainState<Mlp> {
        let _g = rng_lock();
        let i = prev.step + 1;
        let ad = self.device.clone().autodiff();
        ad.seed(derive_seed(b"impulse-rng-v1", &[self.job.seed, i], &[]));
        let (x, y) = self.dataset.batch(self.job.seed, i, self.job.batch_size);
        let (x, y) = self.tensors(x, y, &ad);
        let model = prev.model.clone().train();
        let loss = CrossEntropyLossConfig::new()
            .init(&ad)
            .forward(model.forward(x), y);
        let grads = loss.backward();
        let (model, moments) = adamw_update(model, &grads, &prev.moments, &self.job.optim, i);
        TrainState {
            model,
            moments,
            step: i,
        }
    }

    /// Accuracy over the whole dataset (no dropout).
    pub fn accuracy(&self, state: &TrainState<Mlp>) -> f32 {
        let _g = rng_lock();
        let model = state.model.valid();
        let x: Vec<f32> = self.dataset.features.iter().flatten().copied().collect();
        let y: Vec<i64> = self.dataset.labels.iter().map(|&l| i64::from(l)).collect();
        let (x, y) = self.tensors(x, y, &self.device);
        let pred = model.forward(x).argmax(1).flatten::<1>(0, 1);
        let ok = pred.equal(y).int().sum().into_data().convert::<i64>();
        ok.try_to_vec::<i64>().expect("i64")[0] as f32 / self.dataset.labels.len() as f32
    }

    /// Runs the job honestly: leaves `h_0..h_L`, Merkle root, every state.
    pub fn prove(&self) -> ClassifierTrace {
        let mut s = self.init_state();
        let mut hashes = vec![s.hash()];
        let mut states = BTreeMap::from([(0, s.encode())]);
        for _ in 0..self.job.steps {
            s = self.step(&s);
            hashes.push(s.hash());
            states.insert(s.step, s.encode());
        }
        let root = MerkleTree::new(&hashes).expect("leaves").root();
        (hashes, root, states)
    }
}
