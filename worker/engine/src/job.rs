//! The job: everything a step depends on besides the previous state.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::model::LmConfig;
use crate::tokenizer::ByteTokenizer;

/// A training job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    /// Model id from the registry (`lm-test`, `lm-ref`, `lm-large`), or
    /// `custom` with `model_config` set.
    pub model: String,
    /// Explicit model configuration, only with `model = "custom"`.
    #[serde(default)]
    pub model_config: Option<LmConfig>,
    /// SHA-256 (hex) of the dataset file.
    pub dataset_sha256: String,
    /// SHA-256 (hex) of a local `tokenizer.json`; `None`: the byte
    /// tokenizer. The model's vocabulary follows the tokenizer's size and
    /// the batches depend on this hash. Omitted from the JSON (and so from
    /// the job hash) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_sha256: Option<String>,
    /// Job seed: initialisation, batches and every random draw.
    pub seed: u64,
    /// Number of steps `L`.
    pub steps: u64,
    /// Rows per batch.
    pub batch_size: usize,
    /// AdamW learning rate.
    pub lr: f64,
    #[serde(default = "d_wd")]
    pub weight_decay: f64,
    #[serde(default = "d_b1")]
    pub beta1: f64,
    #[serde(default = "d_b2")]
    pub beta2: f64,
    #[serde(default = "d_eps")]
    pub eps: f64,
    /// Store every K-th state (K >= 1).
    #[serde(default = "d_k")]
    pub checkpoint_every: u64,
    /// SHA-256 of the base weights file (a canonical state encoding, e.g.
    /// the final state of a pretraining job whose hash is its leaf `h_L`,
    /// or a safetensors file). With it, `state_0` starts from these weights
    /// instead of the seeded initialisation. Required for LoRA.
    #[serde(default)]
    pub base_sha256: Option<String>,
    /// LoRA fine-tuning: train and commit only adapters on a frozen base.
    #[serde(default)]
    pub lora: Option<LoraSpec>,
}

/// LoRA fine-tuning settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoraSpec {
    /// Rank of the adapters (applied to every 2-D weight).
    pub rank: usize,
    /// Scale numerator: the delta is `alpha / rank * a @ b`.
    pub alpha: f64,
}

fn d_wd() -> f64 {
    0.01
}
fn d_b1() -> f64 {
    0.9
}
fn d_b2() -> f64 {
    0.999
}
fn d_eps() -> f64 {
    1e-8
}
fn d_k() -> u64 {
    10
}

impl Job {
    /// A job with default optimizer settings.
    pub fn new(
        model: &str,
        dataset_sha256: &str,
        seed: u64,
        steps: u64,
        batch_size: usize,
    ) -> Self {
        Self {
            model: model.to_string(),
            model_config: None,
            dataset_sha256: dataset_sha256.to_string(),
            tokenizer_sha256: None,
            seed,
            steps,
            batch_size,
            lr: 3e-3,
            weight_decay: d_wd(),
            beta1: d_b1(),
            beta2: d_b2(),
            eps: d_eps(),
            checkpoint_every: d_k(),
            base_sha256: None,
            lora: None,
        }
    }

    /// Resolves and validates the model configuration for the byte
    /// tokenizer's vocabulary (256).
    pub fn model_config(&self) -> Result<LmConfig> {
        self.model_config_for(ByteTokenizer::VOCAB)
    }

    /// Resolves and validates the model configuration for a tokenizer of
    /// `vocab` tokens: a registry model takes that vocabulary; a custom
    /// `model_config` must already have it.
    pub fn model_config_for(&self, vocab: usize) -> Result<LmConfig> {
        let cfg = match (self.model.as_str(), &self.model_config) {
            ("custom", Some(c)) => c.clone(),
            ("custom", None) => {
                return Err(EngineError::InvalidJob(
                    "model \"custom\" needs model_config".into(),
                ))
            }
            (id, None) => LmConfig::from_id(id)?.with_vocab(vocab),
            (_, Some(_)) => {
                return Err(EngineError::InvalidJob(
                    "model_config is only allowed with model \"custom\"".into(),
                ))
            }
        };
        if cfg.vocab != vocab {
            return Err(EngineError::InvalidConfig(format!(
                "model_config.vocab is {} but the tokenizer has {vocab} tokens",
                cfg.vocab
            )));
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Validates the job and checks that training fits in `available` bytes
    /// (`None`: the machine's available memory).
    /// The byte tokenizer is assumed; see [`Job::validate_for`].
    pub fn validate(&self, available: Option<u64>) -> Result<LmConfig> {
        self.validate_for(available, ByteTokenizer::VOCAB)
    }

    /// As [`Job::validate`] for a tokenizer of `vocab` tokens.
    pub fn validate_for(&self, available: Option<u64>, vocab: usize) -> Result<LmConfig> {
        let cfg = self.model_config_for(vocab)?;
        if self.batch_size == 0 || self.steps == 0 || self.checkpoint_every == 0 {
            return Err(EngineError::InvalidJob(
                "steps, batch_size and checkpoint_every must be positive".into(),
            ));
        }
        let ok = |x: f64| x.is_finite();
        let valid = ok(self.lr)
            && self.lr > 0.0
            && (0.0..1.0).contains(&self.beta1)
            && (0.0..1.0).contains(&self.beta2)
            && ok(self.eps)
            && self.eps > 0.0
            && ok(self.weight_decay)
            && self.weight_decay >= 0.0;
        if !valid {
            return Err(EngineError::InvalidJob(
                "optimizer settings out of range".into(),
            ));
        }
        if let Some(t) = &self.tokenizer_sha256 {
            if t.len() != 64 || hex::decode(t).is_err() {
                return Err(EngineError::InvalidJob(
                    "tokenizer_sha256 must be 64 hex digits".into(),
                ));
            }
        }
        if let Some(l) = &self.lora {
            if self.base_sha256.is_none() {
                return Err(EngineError::InvalidJob(
                    "a LoRA job needs base_sha256".into(),
                ));
            }
            if l.rank == 0 || l.rank > cfg.d_model || !(l.alpha.is_finite() && l.alpha > 0.0) {
                return Err(EngineError::InvalidJob(
                    "LoRA rank or alpha out of range".into(),
                ));
            }
        }
        let required = cfg.memory_estimate(self.batch_size);
        let available = available.unwrap_or_else(available_memory);
        if required > available {
            return Err(EngineError::ConfigTooLarge {
                required,
                available,
            });
        }
        Ok(cfg)
    }

    /// SHA-256 of the job's JSON encoding (field order is fixed).
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(serde_json::to_vec(self).expect("job serializes")).into()
    }
}

/// Available memory in bytes (`MemAvailable` on Linux; 8 GiB otherwise).
pub fn available_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(8 << 30)
}
