//! The step function, the prover (honest or adversarial), checkpoints and
//! replay.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use burn::module::{Lora, Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor};
use impulse_protocol::MerkleTree;

use crate::commit::{BuildIdentity, Commitment};
use crate::data::{Batch, Dataset};
use crate::error::{EngineError, Result};
use crate::job::Job;
use crate::model::{Lm, LmConfig};
use crate::state::{collect_params, derive_seed, init_value, map_params, Moments, TrainState};
use crate::tokenizer::Tokenizer;

/// Backend selection at run time; all share one code path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Flex,
    #[cfg(feature = "vulkan")]
    Vulkan,
    #[cfg(feature = "cuda")]
    Cuda,
}

impl BackendKind {
    /// Parses `flex`, `vulkan`, `cuda` (the latter two need their feature).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "flex" | "cpu" => Ok(Self::Flex),
            #[cfg(feature = "vulkan")]
            "vulkan" => Ok(Self::Vulkan),
            #[cfg(feature = "cuda")]
            "cuda" => Ok(Self::Cuda),
            other => Err(EngineError::InvalidJob(format!(
                "backend {other:?} is not built into this binary"
            ))),
        }
    }

    /// The device.
    pub fn device(self) -> Device {
        match self {
            Self::Flex => Device::flex(),
            #[cfg(feature = "vulkan")]
            Self::Vulkan => Device::vulkan(burn::tensor::DeviceKind::DefaultDevice),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
        }
    }

    /// Name recorded in the build identity.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            #[cfg(feature = "vulkan")]
            Self::Vulkan => "vulkan",
            #[cfg(feature = "cuda")]
            Self::Cuda => "cuda",
        }
    }
}

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
        let _guard = crate::state::rng_lock();
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

    /// One step of a prover with `behaviour`: `state_{prev.step + 1}` and
    /// its training loss (`None` when the behaviour skipped the update).
    /// [`Engine::prove`] is this in a loop; a daemon calls it directly to
    /// report progress, checkpoint and stop between steps.
    pub fn prove_step(
        &self,
        behaviour: &Behaviour,
        prev: &TrainState,
    ) -> Result<(TrainState, Option<f32>)> {
        let i = prev.step + 1;
        if i > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step: i,
                steps: self.job.steps,
            });
        }
        let mut batch = if behaviour.stale.contains(&i) && i > 1 {
            self.batch(i - 1)
        } else {
            self.batch(i)
        };
        if behaviour.truncate.contains(&i) {
            batch = batch.truncated(batch.rows / 2);
        }
        let (mut state, loss) = if behaviour.skip.contains(&i) {
            (
                TrainState {
                    step: i,
                    ..prev.clone()
                },
                None,
            )
        } else {
            let (s, l) = self.step_with_loss(prev, &batch);
            (s, Some(l))
        };
        if i == self.job.steps && behaviour.fake_final {
            state = perturb(&state, &self.device, 1e-2)?;
        }
        Ok((state, loss))
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
        let _guard = crate::state::rng_lock();
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

/// AdamW hyper-parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamWSettings {
    pub lr: f64,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

/// One AdamW update of every trainable parameter of `model` (step `i`,
/// 1-based), returning the new model and moments. Frozen parameters are
/// left as they are.
pub fn adamw_update<M: Module>(
    model: M,
    grads: &burn::tensor::Gradients,
    prev: &BTreeMap<String, Moments>,
    opt: &AdamWSettings,
    i: u64,
) -> (M, BTreeMap<String, Moments>) {
    let t = i as i32;
    let mut mapper = AdamW {
        path: Vec::new(),
        grads,
        prev,
        out: BTreeMap::new(),
        lr: opt.lr,
        wd: opt.weight_decay,
        b1: opt.beta1,
        b2: opt.beta2,
        eps: opt.eps,
        bc1: 1.0 - opt.beta1.powi(t),
        bc2: 1.0 - opt.beta2.powi(t),
    };
    let model = model.map(&mut mapper);
    (model, mapper.out)
}

struct AdamW<'a> {
    path: Vec<String>,
    grads: &'a burn::tensor::Gradients,
    prev: &'a BTreeMap<String, Moments>,
    out: BTreeMap<String, Moments>,
    lr: f64,
    wd: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    bc1: f64,
    bc2: f64,
}

impl ModuleMapper for AdamW<'_> {
    fn enter_module(&mut self, name: &str, _c: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _c: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.path.join(".");
        let (id, p, pm) = param.consume();
        if !p.is_require_grad() {
            // Frozen (LoRA base): unchanged, no optimizer state.
            return Param::from_mapped_value(id, p, pm);
        }
        let dims = p.dims();
        let n: usize = dims.iter().product();
        let g = p
            .grad(self.grads)
            .map(|g| g.reshape([n]))
            .unwrap_or_else(|| Tensor::<1>::zeros([n], &p.device().clone()).without_autodiff());
        let w = p.without_autodiff().reshape([n]);
        let prev = self.prev.get(&name).expect("moments for every parameter");
        let m = prev.m.clone().mul_scalar(self.b1) + g.clone().mul_scalar(1.0 - self.b1);
        let v = prev.v.clone().mul_scalar(self.b2) + g.square().mul_scalar(1.0 - self.b2);
        let m_hat = m.clone().div_scalar(self.bc1);
        let v_hat = v.clone().div_scalar(self.bc2);
        let update = m_hat / v_hat.sqrt().add_scalar(self.eps);
        let w = w.mul_scalar(1.0 - self.lr * self.wd) - update.mul_scalar(self.lr);
        self.out.insert(name, Moments { m, v });
        let w = w.reshape(dims).autodiff().require_grad();
        Param::from_mapped_value(id, w, pm)
    }
}

/// How a (possibly dishonest) prover behaves; used by tests and the demo.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Behaviour {
    /// Steps whose update is skipped (state copied, step counter advanced).
    pub skip: BTreeSet<u64>,
    /// Steps trained on only the first half of the batch rows.
    pub truncate: BTreeSet<u64>,
    /// Steps trained on the previous step's batch (stale gradient).
    pub stale: BTreeSet<u64>,
    /// The final state is replaced by a perturbed one.
    pub fake_final: bool,
    /// Steps whose served checkpoint is tampered with (commitment honest).
    pub tamper_served: BTreeSet<u64>,
}

impl Behaviour {
    /// An honest prover.
    pub fn honest() -> Self {
        Self::default()
    }
}

/// A prover's trace: leaves, stored checkpoints, commitment.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `h_0..h_L`.
    pub hashes: Vec<[u8; 32]>,
    /// Stored states (canonical encodings) by step: every K-th and the last.
    pub checkpoints: BTreeMap<u64, Vec<u8>>,
    pub commitment: Commitment,
    pub behaviour: Behaviour,
    pub final_state: Vec<u8>,
}

impl Trace {
    /// The Merkle tree over `h_0..h_L`.
    pub fn tree(&self) -> MerkleTree {
        MerkleTree::new(&self.hashes).expect("at least h_0")
    }
}

impl Engine {
    /// Runs the job as a prover with `behaviour`, storing every K-th state
    /// (and the last) in memory and, when `dir` is given, as files
    /// `state-<step>.bin` there.
    pub fn prove(&self, behaviour: &Behaviour, dir: Option<&PathBuf>) -> Result<Trace> {
        let k = self.job.checkpoint_every;
        let l = self.job.steps;
        let mut state = self.init_state()?;
        let mut hashes = vec![state.hash()];
        let mut checkpoints = BTreeMap::new();
        let mut store = |step: u64, s: &TrainState| -> Result<()> {
            let bytes = s.encode();
            if let Some(d) = dir {
                std::fs::create_dir_all(d).map_err(|source| EngineError::Io {
                    path: d.clone(),
                    source,
                })?;
                let p = d.join(format!("state-{step:08}.bin"));
                std::fs::write(&p, &bytes).map_err(|source| EngineError::Io { path: p, source })?;
            }
            checkpoints.insert(step, bytes);
            Ok(())
        };
        store(0, &state)?;
        for i in 1..=l {
            state = self.prove_step(behaviour, &state)?.0;
            hashes.push(state.hash());
            if i % k == 0 || i == l {
                store(i, &state)?;
            }
        }
        let commitment = self.commitment(&hashes, &state)?;
        Ok(Trace {
            hashes,
            checkpoints,
            commitment,
            behaviour: behaviour.clone(),
            final_state: state.encode(),
        })
    }

    /// Recomputes `state_step` from the nearest stored checkpoint at or
    /// before it (honestly: what a prover serves).
    pub fn recompute(&self, checkpoints: &BTreeMap<u64, Vec<u8>>, step: u64) -> Result<TrainState> {
        if step > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step,
                steps: self.job.steps,
            });
        }
        let (&k, bytes) = checkpoints
            .range(..=step)
            .next_back()
            .ok_or(EngineError::NoCheckpoint(step))?;
        let mut state = self.decode(bytes)?;
        if state.step != k {
            return Err(EngineError::CorruptCheckpoint(format!(
                "checkpoint for step {k} holds step {}",
                state.step
            )));
        }
        for i in k + 1..=step {
            state = self.step(&state, &self.batch(i));
        }
        Ok(state)
    }

    /// What the prover of `trace` serves for `state_step`: its stored or
    /// recomputed state, tampered with when its behaviour says so.
    pub fn serve(&self, trace: &Trace, step: u64) -> Result<Vec<u8>> {
        let bytes = match trace.checkpoints.get(&step) {
            Some(b) => b.clone(),
            None => self.recompute(&trace.checkpoints, step)?.encode(),
        };
        if trace.behaviour.tamper_served.contains(&step) {
            let s = self.decode(&bytes)?;
            return Ok(perturb(&s, &self.device, 1e-6)?.encode());
        }
        Ok(bytes)
    }

    /// Replay of step `step` (>= 1): checks the served `state_{step-1}`
    /// against its leaf `prev_leaf`, recomputes `state_step` and returns it
    /// with its hash `h'_step`.
    pub fn replay(
        &self,
        served_prev: &[u8],
        prev_leaf: &[u8; 32],
        step: u64,
    ) -> Result<(TrainState, [u8; 32])> {
        if step == 0 || step > self.job.steps {
            return Err(EngineError::StepOutOfRange {
                step,
                steps: self.job.steps,
            });
        }
        let actual: [u8; 32] = crate::data::sha256(served_prev);
        if &actual != prev_leaf {
            return Err(EngineError::StateHashMismatch {
                step: step - 1,
                expected: hex::encode(prev_leaf),
                actual: hex::encode(actual),
            });
        }
        let prev = self.decode(served_prev)?;
        if prev.step != step - 1 {
            return Err(EngineError::CorruptCheckpoint(format!(
                "served state is step {}, expected {}",
                prev.step,
                step - 1
            )));
        }
        let next = self.step(&prev, &self.batch(step));
        let h = next.hash();
        Ok((next, h))
    }

    /// Verifies step `step` of `trace` as a verifier would: fetch the served
    /// state and the leaves (proofs checked against the root), replay.
    pub fn verify_step(&self, trace: &Trace, step: u64) -> Verdict {
        let tree = trace.tree();
        let root = tree.root();
        let leaf = |i: u64| -> Option<[u8; 32]> {
            let h = *trace.hashes.get(i as usize)?;
            let p = tree.proof(i).ok()?;
            impulse_protocol::verify(&root, &h, &p).then_some(h)
        };
        let (Some(prev_leaf), Some(claimed)) = (leaf(step - 1), leaf(step)) else {
            return Verdict::Fraud("leaf does not open against the root".into());
        };
        let served = match self.serve(trace, step - 1) {
            Ok(b) => b,
            Err(e) => return Verdict::Fraud(format!("cannot serve state {}: {e}", step - 1)),
        };
        match self.replay(&served, &prev_leaf, step) {
            Ok((_, h)) if h == claimed => Verdict::Honest,
            Ok((_, h)) => Verdict::Fraud(format!(
                "h'_{step} = {} != committed {}",
                hex::encode(h),
                hex::encode(claimed)
            )),
            Err(e) => Verdict::Fraud(format!("served state rejected: {e}")),
        }
    }
}

/// Builds the `state_0` model of a job: seeded initialisation, or the base
/// weights (hash-checked against `job.base_sha256`); for LoRA the base is
/// frozen and seeded adapters are attached (`b` = 0).
fn init_model(job: &Job, config: &LmConfig, device: &Device, base: Option<&[u8]>) -> Result<Lm> {
    let ad = device.clone().autodiff();
    let seed = job.seed;
    let _guard = crate::state::rng_lock();
    let model = config.init(&ad);
    let Some(base_hash) = &job.base_sha256 else {
        return map_params(model, &ad, |p, s| Ok(Some(init_value(seed, p, s))));
    };
    let base = base.ok_or_else(|| {
        EngineError::InvalidJob(
            "the job names base weights (base_sha256) but none were given".into(),
        )
    })?;
    let actual = hex::encode(crate::data::sha256(base));
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
        if t.shape != s {
            return Err(EngineError::CorruptCheckpoint(format!(
                "base {p}: shape {:?}, expected {s:?}",
                t.shape
            )));
        }
        Ok(Some(t.values))
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
pub fn base_params(bytes: &[u8]) -> Result<BTreeMap<String, crate::state::HostTensor>> {
    if bytes.starts_with(crate::state::STATE_MAGIC) || bytes.starts_with(crate::state::MODEL_MAGIC)
    {
        let (_, _, entries) = crate::state::decode(bytes)?;
        Ok(entries
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("model/").map(|k| (k.to_string(), v)))
            .collect())
    } else {
        crate::export::from_safetensors(bytes)
    }
}

/// Outcome of verifying one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Honest,
    Fraud(String),
}

/// Adds `scale * N(0,1)-ish` seeded noise to every parameter (adversaries).
fn perturb(state: &TrainState, device: &Device, scale: f32) -> Result<TrainState> {
    let params = collect_params(&state.model);
    let ad = device.clone().autodiff();
    let _guard = crate::state::rng_lock();
    let mut rng = crate::state::SplitMix(0xBAD);
    let model = map_params(state.model.clone(), &ad, |p, _| {
        if !state.moments.contains_key(p) {
            return Ok(None);
        }
        let t = &params[p];
        Ok(Some(
            t.values
                .iter()
                .map(|v| v + scale * rng.next_sym())
                .collect(),
        ))
    })?;
    Ok(TrainState {
        model,
        moments: state.moments.clone(),
        step: state.step,
    })
}

/// Tolerance mode: relative L2 distance `||a - b|| / ||b||` between the
/// parameters of a replayed state `a` and a claimed state `b`.
pub fn relative_l2(replayed: &TrainState, claimed: &TrainState) -> f64 {
    let a = collect_params(&replayed.model);
    let b = collect_params(&claimed.model);
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (k, tb) in &b {
        match a.get(k) {
            Some(ta) if ta.values.len() == tb.values.len() => {
                for (x, y) in ta.values.iter().zip(&tb.values) {
                    let d = f64::from(*x) - f64::from(*y);
                    num += d * d;
                    den += f64::from(*y) * f64::from(*y);
                }
            }
            _ => return f64::INFINITY,
        }
    }
    if den == 0.0 {
        return if num == 0.0 { 0.0 } else { f64::INFINITY };
    }
    (num / den).sqrt()
}
