//! The engine: a job bound to its dataset, base weights and device, and
//! its honest primitives (protocol.md §6, points 1 and 2): `state_0`, the
//! batch of step `i`, the step function, the commitment, evaluation. The
//! prover loop is in the `prove` module, replay and verification in
//! `replay`; nothing here knows of dishonest provers.

use std::collections::BTreeMap;

use burn::module::{Lora, Module};
use burn::tensor::Device;
use impulse_protocol::MerkleTree;

use crate::backend::BackendKind;
use crate::commit::{BuildIdentity, Commitment};
use crate::data::{Batch, Dataset};
use crate::encoding::{HostTensor, MODEL_MAGIC, STATE_MAGIC};
use crate::error::{EngineError, Result};
use crate::hash::{derive_seed, rng_lock, sha256};
use crate::job::Job;
use crate::model::{Lm, LmConfig};
use crate::optim::{adamw_update, AdamWSettings};
use crate::params::{collect_params, init_value, map_params};
use crate::state::TrainState;
use crate::tokenizer::Tokenizer;

/// A job bound to its dataset and device.
#[derive(Debug, Clone)]
pub struct Engine {
    pub job: Job,
    pub config: LmConfig,
    pub dataset: Dataset,
    pub backend: BackendKind,
    pub device: Device,
    /// The `state_0` model (frozen LoRA base included); decoding a state
    /// starts from it.
    template: Lm,
}

impl Engine {
    /// Validates the job (model id, memory) and checks the dataset hash.
    pub fn new(job: Job, dataset: Dataset, backend: BackendKind) -> Result<Self> {
        Self::with_base(job, dataset, backend, None)
    }

    /// As [`Engine::new`], with the base state (canonical state encoding,
    /// hash-checked against `job.lora.base_state_sha256`) for LoRA jobs.
    pub fn with_base(
        job: Job,
        dataset: Dataset,
        backend: BackendKind,
        base: Option<&[u8]>,
    ) -> Result<Self> {
        let config = job.validate_for(None, dataset.vocab)?;
        let named = job.tokenizer_sha256.as_deref().map(str::to_ascii_lowercase);
        if dataset.tokenizer_hex() != named {
            let show = |t: Option<String>| t.unwrap_or_else(|| "byte".into());
            return Err(EngineError::TokenizerMismatch {
                expected: show(named),
                actual: show(dataset.tokenizer_hex()),
            });
        }
        if !dataset.hash_hex().eq_ignore_ascii_case(&job.dataset_sha256) {
            return Err(EngineError::DatasetHashMismatch {
                path: dataset.path.clone(),
                expected: job.dataset_sha256.clone(),
                actual: dataset.hash_hex(),
            });
        }
        dataset.check_context(config.context)?;
        let device = backend.device();
        let template = init_model(&job, &config, &device, base)?;
        Ok(Self {
            job,
            config,
            dataset,
            backend,
            device,
            template,
        })
    }

    /// Rebuilds a state of this job from its canonical encoding.
    pub fn decode(&self, bytes: &[u8]) -> Result<TrainState> {
        TrainState::decode(bytes, &self.template, &self.device)
    }

    /// Loads the dataset from `path` (hash-checked against the job) and
    /// builds the engine.
    pub fn load(job: Job, path: &std::path::Path, backend: BackendKind) -> Result<Self> {
        Self::load_with_base(job, path, backend, None)
    }

    /// As [`Engine::load`], with the base state of a LoRA job.
    pub fn load_with_base(
        job: Job,
        path: &std::path::Path,
        backend: BackendKind,
        base: Option<&[u8]>,
    ) -> Result<Self> {
        Self::load_with(job, path, None, backend, base)
    }

    /// Loads the tokenizer (a local `tokenizer.json`, hash-checked against
    /// `job.tokenizer_sha256`; the byte tokenizer when the job names none)
    /// and the dataset, then builds the engine. The model's vocabulary is
    /// the tokenizer's.
    pub fn load_with(
        job: Job,
        path: &std::path::Path,
        tokenizer: Option<&std::path::Path>,
        backend: BackendKind,
        base: Option<&[u8]>,
    ) -> Result<Self> {
        // An unknown model id fails before any file is read.
        if job.model != "custom" {
            LmConfig::from_id(&job.model)?;
        }
        let tok =
            match (tokenizer, &job.tokenizer_sha256) {
                (None, None) => Tokenizer::Byte,
                (Some(p), Some(h)) => Tokenizer::load(p, Some(h))?,
                (None, Some(_)) => return Err(EngineError::InvalidJob(
                    "the job names a tokenizer (tokenizer_sha256) but no tokenizer.json was given"
                        .into(),
                )),
                (Some(p), None) => {
                    return Err(EngineError::InvalidJob(format!(
                        "a tokenizer ({}) was given but the job names none (tokenizer_sha256)",
                        p.display()
                    )))
                }
            };
        job.validate_for(None, tok.vocab_size())?;
        let dataset = Dataset::load_with(path, Some(&job.dataset_sha256), &tok)?;
        Self::with_base(job, dataset, backend, base)
    }

    /// `state_0`.
    pub fn init_state(&self) -> Result<TrainState> {
        Ok(TrainState::with_zero_moments(
            self.template.clone(),
            &self.device,
        ))
    }

    /// `batch_i` (i >= 1).
    pub fn batch(&self, step: u64) -> Batch {
        self.dataset.batch(
            self.job.seed,
            step,
            self.job.batch_size,
            self.config.context,
        )
    }

    /// `state_i = step(state_{i-1}, batch_i, job)`: AdamW on the mean
    /// next-token loss, dropout re-seeded from (job seed, i).
    pub fn step(&self, prev: &TrainState, batch: &Batch) -> TrainState {
        self.step_with_loss(prev, batch).0
    }

    /// As [`Engine::step`], also returning the training loss of the step
    /// (read after the forward pass; reading it changes nothing).
    pub fn step_with_loss(&self, prev: &TrainState, batch: &Batch) -> (TrainState, f32) {
        let _guard = rng_lock();
        let i = prev.step + 1;
        let ad = self.device.clone().autodiff();
        ad.seed(derive_seed(b"impulse-rng-v1", &[self.job.seed, i], &[]));
        let model = prev.model.clone().train();
        let loss = model.loss(batch, &ad);
        let value = loss
            .clone()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .map(|v| v.first().copied().unwrap_or(f32::NAN))
            .unwrap_or(f32::NAN);
        let grads = loss.backward();
        let job = &self.job;
        let opt = AdamWSettings {
            lr: job.lr,
            weight_decay: job.weight_decay,
            beta1: job.beta1,
            beta2: job.beta2,
            eps: job.eps,
        };
        let (model, moments) = adamw_update(model, &grads, &prev.moments, &opt, i);
        (
            TrainState {
                model,
                moments,
                step: i,
            },
            value,
        )
    }

    /// The honest step `i = prev.step + 1` on its own batch, with its
    /// training loss; `StepOutOfRange` past the job's last step. This is
    /// the production step: provers run it in a loop, verifiers replay it.
    pub fn train_step(&self, prev: &TrainState) -> Result<(TrainState, f32)> {
        let i = prev.step + 1;
        if i > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step: i,
                steps: self.job.steps,
            });
        }
        Ok(self.step_with_loss(prev, &self.batch(i)))
    }

    /// `state` with each trainable parameter (LoRA base excluded) replaced
    /// by `f(path, values)` applied to its values in place; moments and step
    /// unchanged. A primitive for tests and adversaries that need a state
    /// the honest step would not produce.
    pub fn map_trainable(
        &self,
        state: &TrainState,
        mut f: impl FnMut(&str, &mut [f32]),
    ) -> Result<TrainState> {
        let mut params = collect_params(&state.model);
        let ad = self.device.clone().autodiff();
        let _guard = rng_lock();
        let model = map_params(state.model.clone(), &ad, |p, _| {
            if !state.moments.contains_key(p) {
                return Ok(None);
            }
            let mut values = params.remove(p).map(|t| t.values).unwrap_or_default();
            f(p, &mut values);
            Ok(Some(values))
        })?;
        Ok(TrainState {
            model,
            moments: state.moments.clone(),
            step: state.step,
        })
    }

    /// The commitment of a finished run: leaves `h_0..h_L` and the final
    /// state.
    pub fn commitment(&self, hashes: &[[u8; 32]], last: &TrainState) -> Result<Commitment> {
        let tree = MerkleTree::new(hashes)
            .map_err(|e| EngineError::InvalidJob(format!("no leaves to commit: {e}")))?;
        Ok(Commitment {
            job_sha256: hex::encode(self.job.hash()),
            dataset_sha256: self.dataset.hash_hex(),
            tokenizer_sha256: self.dataset.tokenizer_hex(),
            steps: self.job.steps,
            merkle_root: hex::encode(tree.root()),
            final_model_sha256: hex::encode(last.model_hash()),
            build: self.build_identity(),
        })
    }

    /// Held-out style evaluation: mean loss over `n` batches drawn with a
    /// separate seed tag (no dropout, no state change).
    pub fn eval_loss(&self, state: &TrainState, n: u64) -> f32 {
        self.eval_loss_on(state, &self.dataset, n)
    }

    /// Mean loss of `state` over `n` batches of another dataset (held-out
    /// evaluation).
    pub fn eval_loss_on(&self, state: &TrainState, dataset: &Dataset, n: u64) -> f32 {
        let _guard = rng_lock();
        let model = state.model.valid();
        let mut total = 0.0;
        for k in 0..n {
            let b = dataset.batch(
                derive_seed(b"impulse-eval-v1", &[], &dataset.hash),
                k,
                self.job.batch_size,
                self.config.context,
            );
            let l = model.loss(&b, &self.device);
            total += l
                .into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .expect("f32")[0];
        }
        total / n as f32
    }

    /// Build identity of this engine.
    pub fn build_identity(&self) -> BuildIdentity {
        BuildIdentity::current(self.backend.name())
    }
}

/// Builds the `state_0` model of a job: seeded initialisation, or the base
/// weights (hash-checked against `job.base_sha256`); for LoRA the base is
/// frozen and seeded adapters are attached (`b` = 0).
fn init_model(job: &Job, config: &LmConfig, device: &Device, base: Option<&[u8]>) -> Result<Lm> {
    let ad = device.clone().autodiff();
    let seed = job.seed;
    let _guard = rng_lock();
    let model = config.init(&ad);
    let Some(base_hash) = &job.base_sha256 else {
        return map_params(model, &ad, |p, s| Ok(Some(init_value(seed, p, s))));
    };
    let base = base.ok_or_else(|| {
        EngineError::InvalidJob(
            "the job names base weights (base_sha256) but none were given".into(),
        )
    })?;
    let actual = hex::encode(sha256(base));
    if !actual.eq_ignore_ascii_case(base_hash) {
        return Err(EngineError::StateHashMismatch {
            step: 0,
            expected: base_hash.clone(),
            actual,
        });
    }
    let mut params = base_params(base)?;
    let model = map_params(model, &ad, |p, s| {
        let t = params
            .remove(p)
            .ok_or_else(|| EngineError::CorruptCheckpoint(format!("base lacks {p}")))?;
        Ok(Some(t.into_shaped(&format!("base {p}"), s)?))
    })?;
    let Some(lora) = &job.lora else {
        return Ok(model);
    };
    ad.seed(derive_seed(b"impulse-lora-v1", &[seed], &[]));
    let model = model.apply_lora(Lora::new(lora.rank, lora.alpha));
    map_params(model, &ad, |p, s| {
        Ok(p.contains(".lora.").then(|| init_value(seed, p, s)))
    })
}

/// Parameters of a base weights file: a canonical state encoding (its
/// `model/` entries) or safetensors.
pub fn base_params(bytes: &[u8]) -> Result<BTreeMap<String, HostTensor>> {
    if bytes.starts_with(STATE_MAGIC) || bytes.starts_with(MODEL_MAGIC) {
        let (_, _, entries) = crate::encoding::decode(bytes)?;
        Ok(entries
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("model/").map(|k| (k.to_string(), v)))
            .collect())
    } else {
        crate::export::from_safetensors(bytes)
    }
}
