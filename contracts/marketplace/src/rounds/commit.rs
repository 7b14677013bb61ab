//! R1 and R2: committee secrets, the prover's commitment, and the
//! challenge drawn once the secrets are revealed (protocol.md §6.3-6.4).

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, Response};
use impulse_protocol::{challenge_seed, challenged_steps, secret_commitment};
use impulse_types::marketplace::JobState;
use impulse_types::Backend;

use super::{after, evidence, expect_state, hash32, member_of, verifier_pay, within};
use crate::entropy::mix_entropy;
use crate::error::ContractError;
use crate::external::slash_benign_msg;
use crate::lifecycle::{load_job, set_deadline, set_state};
use crate::state::{Config, Job, Round, CHALLENGES, CONFIG, JOBS, ROUNDS};

pub const MAX_BUILD_IDENTITY_LEN: usize = 128;

pub fn commit_secret(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    secret_hash: HexBinary,
) -> Result<Response, ContractError> {
    let job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Assigned, "assigned")?;
    within(&job, env.block.height, "secret commitment")?;
    hash32("secret_hash", &secret_hash)?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let i = member_of(&round, job_id, &sender)?;
    if round.committee[i].secret_hash.is_some() {
        return Err(ContractError::AlreadyPosted {
            job_id,
            what: "secret commitment",
        });
    }
    round.committee[i].secret_hash = Some(secret_hash.clone());
    ROUNDS.save(deps.storage, job_id, &round)?;
    Ok(Response::new()
        .add_attribute("action", "commit_secret")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("member", sender.as_str())
        .add_attribute("secret_hash", secret_hash.to_hex()))
}

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
    let mut job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Assigned, "assigned")?;
    if job.prover.as_ref() != Some(&sender) {
        return Err(ContractError::NotProver {
            job_id,
            address: sender.to_string(),
        });
    }
    let now = env.block.height;
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
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    round.root = Some(root.clone());
    round.final_model_hash = Some(final_model_hash.clone());
    round.build_identity = Some(build_identity.clone());
    ROUNDS.save(deps.storage, job_id, &round)?;
    set_deadline(
        deps.storage,
        &mut job,
        Some(after(now, config.params.reveal_blocks)?),
    )?;
    let ev = set_state(deps.storage, &mut job, JobState::Committed, "commit_result")?;
    JOBS.save(deps.storage, job_id, &job)?;
    Ok(Response::new()
        .add_attribute("action", "commit_result")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("root", root.to_hex())
        .add_attribute("final_model_hash", final_model_hash.to_hex())
        .add_attribute("build_identity", build_identity)
        .add_attribute("backend", backend.as_str())
        .add_event(ev))
}

pub fn reveal_secret(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    secret: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Committed, "committed")?;
    within(&job, env.block.height, "secret reveal")?;
    let s = hash32("secret", &secret)?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let i = member_of(&round, job_id, &sender)?;
    let m = &mut round.committee[i];
    let Some(committed) = &m.secret_hash else {
        return Err(ContractError::MissingPrerequisite {
            job_id,
            what: "a secret commitment",
        });
    };
    if m.secret.is_some() {
        return Err(ContractError::AlreadyPosted {
            job_id,
            what: "secret",
        });
    }
    if secret_commitment(&s).as_slice() != committed.as_slice() {
        return Err(ContractError::SecretMismatch { job_id });
    }
    m.secret = Some(secret);
    let complete = round
        .committee
        .iter()
        .all(|m| m.secret_hash.is_none() || m.secret.is_some());
    ROUNDS.save(deps.storage, job_id, &round)?;
    let resp = Response::new()
        .add_attribute("action", "reveal_secret")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("member", sender.as_str());
    if complete {
        let config = CONFIG.load(deps.storage)?;
        return start_challenge(deps, &env, &config, &mut job, round, resp);
    }
    Ok(resp)
}

/// The secrets are in (or their window closed): fix the seed and the
/// challenged steps, penalise members who withheld their secret.
pub fn start_challenge(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    mut round: Round,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    let root = hash32(
        "root",
        round.root.as_ref().expect("committed jobs have a root"),
    )?;
    let secrets: Vec<[u8; 32]> = round
        .committee
        .iter()
        .filter_map(|m| m.secret.as_ref().and_then(|s| s.as_slice().try_into().ok()))
        .collect();
    for s in &secrets {
        mix_entropy(deps.storage, env, b"secret", s)?;
    }
    let fallback = if secrets.is_empty() {
        Some(mix_entropy(
            deps.storage,
            env,
            b"fallback",
            &job.id.to_be_bytes(),
        )?)
    } else {
        None
    };
    let seed = challenge_seed(&root, job.id, &secrets, fallback.as_ref());
    let steps = challenged_steps(
        &seed,
        job.spec.hyper.steps,
        job.spec.verification.alpha.atomics().u128(),
        config.params.max_challenges as usize,
    );
    round.seed = Some(HexBinary::from(seed.to_vec()));
    round.challenged = steps.len() as u32;
    CHALLENGES.save(deps.storage, job.id, &steps)?;
    // R2: a member that committed no secret, or did not open it, is faulted.
    if let Some(staking) = &config.staking {
        let pay = verifier_pay(job, round.challenged)?;
        for (i, m) in round.committee.iter().enumerate() {
            if m.secret.is_none() {
                resp = resp.add_submessage(slash_benign_msg(
                    staking,
                    &m.addr,
                    evidence(job, &round, "secret", i),
                    job.id,
                    pay,
                )?);
            }
        }
    }
    ROUNDS.save(deps.storage, job.id, &round)?;
    set_deadline(
        deps.storage,
        job,
        Some(after(now, config.params.verify_commit_blocks)?),
    )?;
    let ev = set_state(deps.storage, job, JobState::Challenged, "challenge")?;
    JOBS.save(deps.storage, job.id, job)?;
    Ok(resp.add_event(
        ev.add_attribute("seed", hex_of(&seed))
            .add_attribute("challenged", steps.len().to_string())
            .add_attribute("secrets", secrets.len().to_string()),
    ))
}

fn hex_of(b: &[u8]) -> String {
    HexBinary::from(b).to_hex()
}
