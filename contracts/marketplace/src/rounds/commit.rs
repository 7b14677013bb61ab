//! The prover's commitment (protocol.md §6.2): the Merkle root of its step
//! states and the hash of its final model, accepted once the committee's
//! secrets are committed (R1) and before the training deadline.

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, Response};
use impulse_types::marketplace::JobState;
use impulse_types::Backend;

use super::{after, ensure_prover, hash32, load_in, within};
use crate::error::ContractError;
use crate::lifecycle::advance;
use crate::state::{CONFIG, ROUNDS};

pub const MAX_BUILD_IDENTITY_LEN: usize = 128;

#[allow(clippy::too_many_arguments)]
pub fn commit_result(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    root: HexBinary,
    final_model_hash: HexBinary,
    build_identity: String,
    backend: Backend,
) -> Result<Response, ContractError> {
    let mut job = load_in(deps.storage, job_id, JobState::Assigned, "assigned")?;
    ensure_prover(&job, &sender)?;
    let now = env.block.height;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    if round.secrets_due.is_some() {
        // R1: the root may only follow the committee's secrets.
        return Err(ContractError::MissingPrerequisite {
            job_id,
            what: "the committee's secret commitments",
        });
    }
    within(&job, now, "training")?;
    hash32("root", &root)?;
    hash32("final_model_hash", &final_model_hash)?;
    if build_identity.is_empty()
        || build_identity.len() > MAX_BUILD_IDENTITY_LEN
        || build_identity.chars().any(|c| c.is_control())
    {
        return Err(ContractError::InvalidJob {
            field: "build_identity",
            reason: format!("1 to {MAX_BUILD_IDENTITY_LEN} printable characters"),
        });
    }
    if backend != job.spec.backend {
        return Err(ContractError::InvalidJob {
            field: "backend",
            reason: format!("the job runs on {}, not {backend}", job.spec.backend),
        });
    }
    let config = CONFIG.load(deps.storage)?;
    round.root = Some(root.clone());
    round.final_model_hash = Some(final_model_hash.clone());
    round.build_identity = Some(build_identity.clone());
    ROUNDS.save(deps.storage, job_id, &round)?;
    let due = after(now, config.params.reveal_blocks)?;
    let ev = advance(
        deps.storage,
        &mut job,
        JobState::Committed,
        "commit_result",
        due,
    )?;
    Ok(Response::new()
        .add_attribute("action", "commit_result")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("root", root.to_hex())
        .add_attribute("final_model_hash", final_model_hash.to_hex())
        .add_attribute("build_identity", build_identity)
        .add_attribute("backend", backend.as_str())
        .add_event(ev))
}
