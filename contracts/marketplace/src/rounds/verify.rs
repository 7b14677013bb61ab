//! R3 and R4: verdict commitments and reveals, and the prover's openings of
//! the challenged steps (protocol.md §6.5).

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, HexBinary, Response};
use impulse_protocol::verdict_commitment;
use impulse_types::marketplace::{JobState, Opening, VerificationMode};

use super::decide::finalize;
use super::{after, ensure_prover, hash32, load_in, member_of, within};
use crate::error::ContractError;
use crate::lifecycle::advance;
use crate::state::{Config, Job, Round, Verdict, CHALLENGES, CONFIG, OPENINGS, ROUNDS, VERDICTS};

pub fn commit_verdict(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    commitment: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_in(deps.storage, job_id, JobState::Challenged, "challenged")?;
    let now = env.block.height;
    within(&job, now, "verdict commitment")?;
    hash32("commitment", &commitment)?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let i = member_of(&round, job_id, &sender)?;
    if round.committee[i].verdict.is_some() {
        return Err(ContractError::AlreadyPosted {
            job_id,
            what: "verdict commitment",
        });
    }
    round.committee[i].verdict = Some(commitment);
    let all = round.committee.iter().all(|m| m.verdict.is_some());
    ROUNDS.save(deps.storage, job_id, &round)?;
    let mut resp = Response::new()
        .add_attribute("action", "commit_verdict")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("member", sender.as_str());
    if all {
        let config = CONFIG.load(deps.storage)?;
        resp = start_verifying(deps, now, &config, &mut job, resp)?;
    }
    Ok(resp)
}

pub fn start_verifying(
    deps: DepsMut,
    now: u64,
    config: &Config,
    job: &mut Job,
    resp: Response,
) -> Result<Response, ContractError> {
    let due = after(now, config.params.verify_reveal_blocks)?;
    let ev = advance(deps.storage, job, JobState::Verifying, "verify", due)?;
    Ok(resp.add_event(ev))
}

fn complete(round: &Round) -> bool {
    round.opened == round.challenged
        && round
            .committee
            .iter()
            .all(|m| m.verdict.is_none() || m.revealed)
}

#[allow(clippy::too_many_arguments)]
pub fn reveal_verdict(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    hashes: Vec<HexBinary>,
    distances: Option<Vec<Decimal>>,
    model_hash: Option<HexBinary>,
    salt: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_in(deps.storage, job_id, JobState::Verifying, "verifying")?;
    let now = env.block.height;
    within(&job, now, "verdict reveal")?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let i = member_of(&round, job_id, &sender)?;
    let Some(committed) = round.committee[i].verdict.clone() else {
        return Err(ContractError::MissingPrerequisite {
            job_id,
            what: "a verdict commitment",
        });
    };
    if round.committee[i].revealed {
        return Err(ContractError::AlreadyPosted {
            job_id,
            what: "verdict",
        });
    }
    let c = round.challenged as usize;
    if hashes.len() != c {
        return Err(ContractError::InvalidReveal {
            reason: format!("{} hashes for {c} challenged steps", hashes.len()),
        });
    }
    let hs: Vec<[u8; 32]> = hashes
        .iter()
        .map(|h| hash32("hashes", h))
        .collect::<Result<_, _>>()?;
    let ds: Option<Vec<u128>> = match (&job.spec.verification.mode, &distances) {
        (VerificationMode::Exact, None) => None,
        (VerificationMode::Exact, Some(_)) => {
            return Err(ContractError::InvalidReveal {
                reason: "distances are for tolerance mode only".to_string(),
            })
        }
        (VerificationMode::Tolerance { .. }, Some(d)) if d.len() == c => {
            Some(d.iter().map(|x| x.atomics().u128()).collect())
        }
        (VerificationMode::Tolerance { .. }, _) => {
            return Err(ContractError::InvalidReveal {
                reason: format!("tolerance mode needs {c} distances"),
            })
        }
    };
    // Both modes bind the delivered model: exact mode reports the replayed
    // final model's hash, tolerance mode the hash of the model of the state
    // `L` the prover served.
    let mh = match &model_hash {
        Some(m) => Some(hash32("model_hash", m)?),
        None => {
            return Err(ContractError::InvalidReveal {
                reason: "a verdict needs the final model hash".to_string(),
            })
        }
    };
    let s = hash32("salt", &salt)?;
    let expected = verdict_commitment(sender.as_bytes(), &hs, ds.as_deref(), mh.as_ref(), &s);
    if expected.as_slice() != committed.as_slice() {
        return Err(ContractError::VerdictMismatch { job_id });
    }
    VERDICTS.save(
        deps.storage,
        (job_id, &sender),
        &Verdict {
            hashes,
            distances,
            model_hash,
        },
    )?;
    round.committee[i].revealed = true;
    ROUNDS.save(deps.storage, job_id, &round)?;
    let resp = Response::new()
        .add_attribute("action", "reveal_verdict")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("member", sender.as_str());
    if complete(&round) {
        let config = CONFIG.load(deps.storage)?;
        return finalize(deps, &env, &config, &mut job, round, resp);
    }
    Ok(resp)
}

pub fn open_steps(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    openings: Vec<Opening>,
) -> Result<Response, ContractError> {
    let mut job = load_in(deps.storage, job_id, JobState::Verifying, "verifying")?;
    ensure_prover(&job, &sender)?;
    let now = env.block.height;
    within(&job, now, "step opening")?;
    let config = CONFIG.load(deps.storage)?;
    let max = config.params.max_openings_per_tx;
    if openings.is_empty() || openings.len() > max as usize {
        return Err(ContractError::TooManyOpenings {
            got: openings.len(),
            max,
        });
    }
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let root = hash32(
        "root",
        round.root.as_ref().expect("verifying jobs have a root"),
    )?;
    let steps = CHALLENGES.load(deps.storage, job_id)?;
    let leaves = job.spec.hyper.steps + 1;
    for o in &openings {
        let bad = |reason: &str| ContractError::InvalidOpening {
            step: o.step,
            reason: reason.to_string(),
        };
        if steps.binary_search(&o.step).is_err() {
            return Err(bad("not a challenged step"));
        }
        if OPENINGS.has(deps.storage, (job_id, o.step)) {
            return Err(ContractError::AlreadyPosted {
                job_id,
                what: "opening",
            });
        }
        if o.proof.len() > 64 {
            return Err(bad("proof longer than any tree"));
        }
        let leaf = hash32("opening hash", &o.hash)?;
        let siblings: Vec<[u8; 32]> = o
            .proof
            .iter()
            .map(|h| hash32("proof", h))
            .collect::<Result<_, _>>()?;
        let proof = impulse_protocol::Proof {
            index: o.step,
            leaves,
            siblings,
        };
        if !impulse_protocol::verify(&root, &leaf, &proof) {
            return Err(bad("the Merkle proof does not lead to the committed root"));
        }
        OPENINGS.save(deps.storage, (job_id, o.step), &o.hash)?;
        round.opened += 1;
    }
    ROUNDS.save(deps.storage, job_id, &round)?;
    let resp = Response::new()
        .add_attribute("action", "open_steps")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("opened", round.opened.to_string())
        .add_attribute("challenged", round.challenged.to_string());
    if complete(&round) {
        return finalize(deps, &env, &config, &mut job, round, resp);
    }
    Ok(resp)
}
