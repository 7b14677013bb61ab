//! The trainer's side, shared by `impulse demo` and the `impulse job`
//! commands: the shipped corpus and base model, the chain job spec of a
//! scenario job, and fetching a settled job's final model from its prover
//! (checked against the on-chain commitment) with its held-out loss.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cosmwasm_std::{Decimal, HexBinary, Uint128};
use impulse_artifact::{ArtifactClient, ClientConfig};
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Reputation, Rewards, Staking};
use impulse_engine::job::LoraSpec;
use impulse_engine::{BackendKind, Dataset, Engine};
use impulse_protocol::Hash;
use impulse_types::marketplace::{
    self as mkt, BaseWeights, DatasetSpec, HyperParams, JobSpec, ModelSpec, VerificationMode,
    VerificationSpec,
};
use impulse_types::{Backend, Capacity};
use serde_json::{json, Value};

use crate::error::{io, ChainContext, DaemonError, Result};
use crate::scenario::JobEntry;
use crate::spec::{f64_decimal, EngineConfig};

/// The shipped corpus (worker/engine/data, CC0).
pub const CORPUS: &[u8] = include_bytes!("../../engine/data/tiny_tales.txt");
/// The shipped base model (`lm-ref`), pretrained on the corpus.
pub const BASE: &[u8] = include_bytes!("../../engine/data/base-lm-ref.safetensors");

/// The corpus split: (first 90 %, last 10 %) at a char boundary.
pub fn corpus_split() -> (Vec<u8>, Vec<u8>) {
    let text = std::str::from_utf8(CORPUS).expect("the corpus is UTF-8");
    let mut cut = text.len() * 9 / 10;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    (
        text.as_bytes()[..cut].to_vec(),
        text.as_bytes()[cut..].to_vec(),
    )
}

/// The chain spec of a scenario job: the dataset (and base weights) by
/// SHA-256 and URI, the engine's extras (LoRA, checkpoints) in
/// `model.config`.
pub fn job_spec(
    j: &JobEntry,
    seed: u64,
    dataset: (&Hash, &str),
    base: Option<(&Hash, &str)>,
    deadline: u64,
) -> Result<JobSpec> {
    let cfg = EngineConfig {
        lora: (j.lora_rank > 0).then_some(LoraSpec {
            rank: j.lora_rank,
            alpha: j.lora_alpha,
        }),
        checkpoint_every: Some(1),
        tokenizer_sha256: None,
    };
    Ok(JobSpec {
        model: ModelSpec {
            arch: j.model.clone(),
            config: cfg.to_config(),
            base_weights: base.map(|(h, uri)| BaseWeights {
                sha256: HexBinary::from(h.to_vec()),
                uri: uri.to_string(),
            }),
        },
        dataset: DatasetSpec {
            sha256: HexBinary::from(dataset.0.to_vec()),
            uri: dataset.1.to_string(),
        },
        hyper: HyperParams {
            steps: j.steps,
            batch_size: j.batch_size,
            learning_rate: f64_decimal(j.lr)?,
            optimizer: "adamw".into(),
            seed,
        },
        model_units: 1,
        resources: Capacity {
            memory_gib: j.memory_gib,
            devices: 1,
        },
        backend: Backend::Cpu,
        max_price_per_step: Uint128::new(j.max_price),
        min_reputation: Decimal::zero(),
        deadline,
        verification: VerificationSpec {
            alpha: f64_decimal(j.alpha)?,
            committee: j.committee,
            mode: if j.mode == "tolerance" {
                VerificationMode::Tolerance {
                    tau: f64_decimal(j.tau)?,
                }
            } else {
                VerificationMode::Exact
            },
        },
        private: j.private,
    })
}

/// A provider's stake, reputation and standing.
pub struct View {
    pub stake: u128,
    pub reputation: Decimal,
    pub banned: bool,
    pub misses: u32,
}

/// Reads a provider's [`View`] from the staking and reputation contracts.
pub async fn provider_view<C: Chain>(c: &C, addr: &str) -> Result<View> {
    let p = Staking::new(c)
        .provider(addr)
        .await
        .ctx(|| format!("reading provider {addr}"))?;
    let s = Reputation::new(c)
        .score(addr)
        .await
        .ctx(|| format!("reading the reputation of {addr}"))?;
    Ok(View {
        stake: p.stake.u128(),
        reputation: s.score,
        banned: p.banned,
        misses: p.consecutive_misses,
    })
}

/// Rewards `provider` can claim now (all closed epochs).
pub async fn claimable<C: Chain>(c: &C, provider: &str) -> Result<u128> {
    let r = Rewards::new(c)
        .claimable(provider, None, None)
        .await
        .ctx(|| format!("reading the claimable rewards of {provider}"))?;
    Ok(r.total.u128())
}

/// A hash the prover committed on chain for `job` (`what`: the root, the
/// final model hash), as 32 bytes.
fn committed_hash(h: Option<&HexBinary>, job: u64, what: &str) -> Result<Hash> {
    let h = h.ok_or_else(|| DaemonError::Check(format!("job {job} has no committed {what}")))?;
    crate::spec::hash32(h, what)
}

/// Downloads state `L` of a settled job from its prover with `client`
/// (checked against the committed root; a private job's prover serves it
/// only to a request signed by its trainer, see
/// [`crate::node::signed_client`]), decodes it, checks its model hash against the
/// committed one, writes the model as `out/model-job<ID>.safetensors` and,
/// with a held-out file, measures its loss against the base model's.
/// `train` is the job's dataset (the engine needs it to build the job); the
/// base weights are the shipped ones when the job names base weights.
pub async fn fetch_and_check<C: Chain + 'static>(
    j: &mkt::JobResponse,
    r: &mkt::RoundResponse,
    train: &Path,
    held: Option<&Path>,
    out: &Path,
    c: &Arc<C>,
    client: ClientConfig,
) -> Result<Value> {
    let root = committed_hash(r.root.as_ref(), j.id, "root")?;
    let committed = committed_hash(r.final_model_hash.as_ref(), j.id, "final model hash")?;
    let prover = j
        .prover
        .as_ref()
        .ok_or_else(|| DaemonError::Check(format!("job {} has no prover", j.id)))?;
    let p = Staking::new(&**c)
        .provider(prover.as_str())
        .await
        .ctx(|| "reading the prover's endpoint".into())?;
    let client = ArtifactClient::connect(&p.endpoint, client)
        .await
        .ctx(|| format!("connecting to the prover at {}", p.endpoint))?;
    let l = j.spec.hyper.steps;
    let st = client
        .fetch_state(j.id, l, &root)
        .await
        .ctx(|| format!("fetching state {l} of job {}", j.id))?;
    let ej = crate::spec::engine_job(&j.spec)?;
    let base = j.spec.model.base_weights.is_some().then_some(BASE);
    let (train, held, out): (PathBuf, Option<PathBuf>, PathBuf) = (
        train.to_path_buf(),
        held.map(Path::to_path_buf),
        out.to_path_buf(),
    );
    let id = j.id;
    tokio::task::spawn_blocking(move || -> Result<Value> {
        let engine = Engine::load_with(ej, &train, None, BackendKind::Flex, base)
            .ctx(|| "loading the job".into())?;
        let state = engine
            .decode(&st.bytes)
            .ctx(|| "decoding the final state".into())?;
        if state.model_hash() != committed {
            return Err(DaemonError::Check(format!(
                "job {id}: the final state's model hash differs from the commitment"
            )));
        }
        let meta = BTreeMap::from([("impulse.job_id".to_string(), id.to_string())]);
        io(&out, std::fs::create_dir_all(&out))?;
        let path = out.join(format!("model-job{id}.safetensors"));
        io(
            &path,
            std::fs::write(
                &path,
                impulse_engine::export::export_safetensors(&state, &meta),
            ),
        )?;
        let mut v = json!({
            "model_file": path.display().to_string(),
            "model_hash": hex::encode(committed),
        });
        if let Some(held) = held {
            let heldout = Dataset::load(&held, None).ctx(|| "held-out set".into())?;
            let base = engine.init_state().ctx(|| "base".into())?;
            v["base"] = json!(engine.eval_loss_on(&base, &heldout, 4));
            v["trained"] = json!(engine.eval_loss_on(&state, &heldout, 4));
        }
        Ok(v)
    })
    .await
    .map_err(|e| DaemonError::Check(format!("check task: {e}")))?
}
