//! The committee's secrets (protocol.md §6.3, requirements R1 and R2): a
//! committee commits to secrets before the prover may post its root (at
//! assignment), or before a new challenge is drawn (a new committee after a
//! missed quorum); then it reveals them and they fix the challenge. Nobody,
//! the prover included, can predict the challenged steps while the root is
//! open. A member that misses the commit window is faulted and replaced; a
//! member that commits and then withholds its secret (the one way left to
//! bias the challenge) is slashed as for fraud.

use cosmwasm_std::{Addr, DepsMut, Env, HexBinary, Response};
use impulse_protocol::{challenge_seed, challenged_steps, secret_commitment};
use impulse_types::marketplace::JobState;

use super::{
    after, convict, evidence, hash32, hold_new_members, judged_from, load_in, member_of,
    slash_benign_each, verifier_pay, within,
};
use crate::entropy::mix_entropy;
use crate::error::ContractError;
use crate::lifecycle::{advance, load_job, requeue, set_deadline};
use crate::scheduler::{draw_committee, Ctx, Draw};
use crate::state::{Config, Job, Member, Round, CHALLENGES, CONFIG, JOBS, ROUNDS};

fn collecting(job: &Job, round: &Round) -> Result<u64, ContractError> {
    match round.secrets_due {
        Some(due) if matches!(job.state, JobState::Assigned | JobState::Committed) => Ok(due),
        _ => Err(ContractError::WrongState {
            job_id: job.id,
            state: job.state,
            expected: "a committee collecting its secrets",
        }),
    }
}

pub fn commit_secret(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    secret_hash: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    let due = collecting(&job, &round)?;
    let now = env.block.height;
    if impulse_protocol::deadlines::passed(due, now) {
        return Err(ContractError::WindowClosed {
            job_id,
            phase: "secret commitment",
            deadline: due,
        });
    }
    hash32("secret_hash", &secret_hash)?;
    let i = member_of(&round, job_id, &sender)?;
    if round.committee[i].secret_hash.is_some() {
        return Err(ContractError::AlreadyPosted {
            job_id,
            what: "secret commitment",
        });
    }
    round.committee[i].secret_hash = Some(secret_hash.clone());
    let mut resp = Response::new()
        .add_attribute("action", "commit_secret")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("member", sender.as_str())
        .add_attribute("secret_hash", secret_hash.to_hex());
    if round.committee.iter().all(|m| m.secret_hash.is_some()) {
        let config = CONFIG.load(deps.storage)?;
        secrets_in(deps.storage, now, &config, &mut job, &mut round)?;
        resp = resp.add_attribute("secrets_complete", "true");
    }
    ROUNDS.save(deps.storage, job_id, &round)?;
    Ok(resp)
}

/// Every member that may have committed has: the collection ends. An
/// assigned job now waits for the prover's root (until its training
/// deadline); a committed one for the reveals.
fn secrets_in(
    storage: &mut dyn cosmwasm_std::Storage,
    now: u64,
    config: &Config,
    job: &mut Job,
    round: &mut Round,
) -> Result<(), ContractError> {
    round.secrets_due = None;
    let next = match job.state {
        JobState::Assigned => round.training_due,
        _ => Some(after(now, config.params.reveal_blocks)?),
    };
    set_deadline(storage, job, next)?;
    JOBS.save(storage, job.id, job)?;
    Ok(())
}

/// The secret window closed: members that committed nothing are faulted
/// and replaced by fresh members (with a window of their own), as long as
/// the attempt has committee draws left; with nobody to replace them the
/// round goes on with the members that did commit, and with no member at
/// all the job is queued again (its prover is not at fault).
pub fn close_secrets(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    mut round: Round,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    let pay = verifier_pay(job, job.spec.verification.committee)?;
    let (kept, missing): (Vec<Member>, Vec<Member>) = round
        .committee
        .drain(..)
        .partition(|m| m.secret_hash.is_some());
    let faults = missing.iter().enumerate();
    let faults = faults.map(|(i, m)| (&m.addr, evidence(env, job, &round, "nosecret", i)));
    resp = slash_benign_each(resp, config, job.id, pay, faults)?;
    round.committee = kept;
    let mut replaced = vec![];
    if !missing.is_empty() && round.draw < config.params.max_committee_draws {
        let mut exclude = round.everyone();
        exclude.extend(missing.iter().map(|m| m.addr.clone()));
        exclude.extend(job.prover.clone());
        let draw = Draw {
            size: missing.len(),
            attempt: round.attempt,
            draw: round.draw + 1,
            exclude: &exclude,
        };
        let mut ctx = Ctx::new(config.clone());
        if let Some(fresh) = draw_committee(&mut deps, env, &mut ctx, job, &draw)? {
            round.draw += 1;
            round
                .committee
                .extend(Round::fresh_committee(fresh.clone()));
            replaced = fresh;
        }
    }
    resp = resp
        .add_attribute("secrets_missing", missing.len().to_string())
        .add_attribute("replaced", replaced.len().to_string());
    if !replaced.is_empty() {
        let due = after(now, config.params.secret_blocks)?;
        round.secrets_due = Some(due);
        // The prover waits for the new members; its deadline moves with them.
        if let Some(t) = round.training_due {
            round.training_due = Some(t.max(after(due, config.params.reveal_blocks)?));
        }
        set_deadline(deps.storage, job, Some(due))?;
        JOBS.save(deps.storage, job.id, job)?;
        ROUNDS.save(deps.storage, job.id, &round)?;
        let until = judged_from(now, job, &round, config);
        return hold_new_members(resp, config, &replaced, until);
    }
    if round.committee.is_empty() {
        ROUNDS.save(deps.storage, job.id, &round)?;
        return requeue(deps, env, config, job, "no_committee", resp);
    }
    secrets_in(deps.storage, now, config, job, &mut round)?;
    ROUNDS.save(deps.storage, job.id, &round)?;
    Ok(resp)
}

pub fn reveal_secret(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    secret: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_in(deps.storage, job_id, JobState::Committed, "committed")?;
    within(&job, env.block.height, "secret reveal")?;
    let s = hash32("secret", &secret)?;
    let mut round = ROUNDS.load(deps.storage, job_id)?;
    if round.secrets_due.is_some() {
        return Err(ContractError::MissingPrerequisite {
            job_id,
            what: "every secret commitment",
        });
    }
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

/// The secrets are in (or their reveal window closed): fix the seed and the
/// challenged steps. A member that committed a secret and did not reveal it
/// could have chosen between two challenges; it is slashed as for fraud
/// (shared by the members who revealed) and leaves the indexes.
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
    // Always mixed in: the last revealer cannot compute the seed before its
    // reveal lands (impulse_protocol::challenge_seed).
    let entropy = mix_entropy(deps.storage, env, b"seed", &job.id.to_be_bytes())?;
    let seed = challenge_seed(&root, job.id, &secrets, &entropy);
    let steps = challenged_steps(
        &seed,
        job.spec.hyper.steps,
        job.spec.verification.alpha.atomics().u128(),
        config.params.max_challenges as usize,
    );
    round.seed = Some(HexBinary::from(seed.to_vec()));
    round.seed_entropy = Some(HexBinary::from(entropy.to_vec()));
    round.challenged = steps.len() as u32;
    CHALLENGES.save(deps.storage, job.id, &steps)?;
    let revealed: Vec<Addr> = round
        .committee
        .iter()
        .filter(|m| m.secret.is_some())
        .map(|m| m.addr.clone())
        .collect();
    let mut withheld = 0;
    for (i, m) in round.committee.iter().enumerate() {
        if m.secret_hash.is_some() && m.secret.is_none() {
            withheld += 1;
            resp = convict(deps.storage, config, &m.addr, &revealed, now, resp, || {
                evidence(env, job, &round, "withheld_secret", i)
            })?;
        }
    }
    ROUNDS.save(deps.storage, job.id, &round)?;
    let due = after(now, config.params.verify_commit_blocks)?;
    let ev = advance(deps.storage, job, JobState::Challenged, "challenge", due)?;
    Ok(resp.add_event(
        ev.add_attribute("seed", HexBinary::from(seed.to_vec()).to_hex())
            .add_attribute("challenged", steps.len().to_string())
            .add_attribute("secrets", secrets.len().to_string())
            .add_attribute("withheld", withheld.to_string()),
    ))
}
