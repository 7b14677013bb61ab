//! Verification rounds (protocol.md section 6): R1 committee secrets and the
//! prover's commitment (Assigned), R2 secret reveals fix the challenge
//! (Committed), R3 verdict commitments (Challenged), R4 verdict reveals and
//! the prover's openings (Verifying), then the majority verdict, payouts and
//! penalties. Every window has a deadline handled by `ProcessTimeouts`.

use cosmwasm_std::{
    coins, Addr, BankMsg, Decimal, DepsMut, Env, HexBinary, Order, Response, Uint128,
};
use cw_storage_plus::Bound;
use impulse_merkle::{challenge_seed, challenged_steps, secret_commitment, verdict_commitment};
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::{JobState, Opening, VerificationMode};
use impulse_types::rewards::{JobOutcome, WorkRole};
use impulse_types::Backend;

use crate::error::ContractError;
use crate::external::{
    record_job_msg, record_work_msg, release_msg, reputation_job_msg, slash_benign_msg,
    slash_fraud_msg, FeePayload,
};
use crate::jobs::{
    ceil_alpha_l, clear_openings, close_with_refund, expire, load_job, requeue, set_deadline,
    set_state,
};
use crate::scheduler::{self, mix_entropy};
use crate::state::{
    Config, Job, Member, Round, Undelivered, CHALLENGES, CONFIG, DEADLINES, JOBS, OPENINGS, ROUNDS,
    TOTALS, UNDELIVERED, VERDICTS,
};

pub const MAX_BUILD_IDENTITY_LEN: usize = 128;

fn hash32(field: &'static str, h: &HexBinary) -> Result<[u8; 32], ContractError> {
    h.as_slice()
        .try_into()
        .map_err(|_| ContractError::InvalidHash {
            field,
            len: h.len(),
        })
}

fn expect_state(job: &Job, state: JobState, expected: &'static str) -> Result<(), ContractError> {
    if job.state != state {
        return Err(ContractError::WrongState {
            job_id: job.id,
            state: job.state,
            expected,
        });
    }
    Ok(())
}

fn within(job: &Job, now: u64, phase: &'static str) -> Result<(), ContractError> {
    match job.phase_deadline {
        Some(d) if now > d => Err(ContractError::WindowClosed {
            job_id: job.id,
            phase,
            deadline: d,
        }),
        _ => Ok(()),
    }
}

fn member_of(round: &Round, job_id: u64, sender: &Addr) -> Result<usize, ContractError> {
    round
        .member_index(sender)
        .ok_or_else(|| ContractError::NotCommitteeMember {
            job_id,
            address: sender.to_string(),
        })
}

fn after(now: u64, blocks: u64) -> Result<u64, ContractError> {
    now.checked_add(blocks)
        .ok_or(ContractError::MathOverflow { what: "deadline" })
}

/// Evidence of an offence, unique per job, attempt, draw, offence and offender.
fn evidence(job: &Job, round: &Round, offence: &str, who: usize) -> String {
    format!(
        "impulse-market/job{}/a{}/d{}/{offence}/{who}",
        job.id, round.attempt, round.draw
    )
}

/// What one verifier earns: `min(challenged, ceil(alpha*L)+1) * price`.
fn verifier_pay(job: &Job, challenged: u32) -> Result<Uint128, ContractError> {
    let budgeted =
        ceil_alpha_l(job.spec.verification.alpha, job.spec.hyper.steps)?.saturating_add(1);
    let steps = budgeted.min(challenged as u64);
    Ok(job.verifier_price.checked_mul(Uint128::from(steps))?)
}

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
fn start_challenge(
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

pub fn commit_verdict(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    job_id: u64,
    commitment: HexBinary,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Challenged, "challenged")?;
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

fn start_verifying(
    deps: DepsMut,
    now: u64,
    config: &Config,
    job: &mut Job,
    resp: Response,
) -> Result<Response, ContractError> {
    set_deadline(
        deps.storage,
        job,
        Some(after(now, config.params.verify_reveal_blocks)?),
    )?;
    let ev = set_state(deps.storage, job, JobState::Verifying, "verify")?;
    JOBS.save(deps.storage, job.id, job)?;
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
    let mut job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Verifying, "verifying")?;
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
    let mh = match &model_hash {
        Some(m) => Some(hash32("model_hash", m)?),
        None if matches!(job.spec.verification.mode, VerificationMode::Exact) => {
            return Err(ContractError::InvalidReveal {
                reason: "exact mode needs the final model hash".to_string(),
            })
        }
        None => None,
    };
    let s = hash32("salt", &salt)?;
    let expected = verdict_commitment(sender.as_bytes(), &hs, ds.as_deref(), mh.as_ref(), &s);
    if expected.as_slice() != committed.as_slice() {
        return Err(ContractError::VerdictMismatch { job_id });
    }
    VERDICTS.save(
        deps.storage,
        (job_id, &sender),
        &crate::state::Verdict {
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
    let mut job = load_job(deps.storage, job_id)?;
    expect_state(&job, JobState::Verifying, "verifying")?;
    if job.prover.as_ref() != Some(&sender) {
        return Err(ContractError::NotProver {
            job_id,
            address: sender.to_string(),
        });
    }
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
        let proof = impulse_merkle::Proof {
            index: o.step,
            leaves,
            siblings,
        };
        if !impulse_merkle::verify(&root, &leaf, &proof) {
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

/// Whether verifier `v` says step `j` (step number `step`) is wrong.
fn says_mismatch(
    job: &Job,
    round: &Round,
    v: &crate::state::Verdict,
    j: usize,
    step: u64,
    opened: &HexBinary,
) -> bool {
    match &job.spec.verification.mode {
        VerificationMode::Exact => {
            let hash_differs = v.hashes.get(j) != Some(opened);
            let model_differs = step == job.spec.hyper.steps
                && v.model_hash.as_ref() != round.final_model_hash.as_ref();
            hash_differs || model_differs
        }
        VerificationMode::Tolerance { tau } => v
            .distances
            .as_ref()
            .and_then(|d| d.get(j))
            .is_none_or(|d| d > tau),
    }
}

/// The verify-reveal window is over or everything is in: decide.
fn finalize(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    mut round: Round,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    let staking = config.staking.clone();
    let steps = CHALLENGES.load(deps.storage, job.id)?;
    let pay = verifier_pay(job, round.challenged)?;
    let k = round.committee.len();
    let revealers: Vec<(usize, Addr)> = round
        .committee
        .iter()
        .enumerate()
        .filter(|(_, m)| m.revealed)
        .map(|(i, m)| (i, m.addr.clone()))
        .collect();
    // Non-revealers (no verdict commitment, or no matching reveal): fault.
    if let Some(staking) = &staking {
        for (i, m) in round.committee.iter().enumerate() {
            if !m.revealed {
                resp = resp.add_submessage(slash_benign_msg(
                    staking,
                    &m.addr,
                    evidence(job, &round, "noreveal", i),
                    job.id,
                    pay,
                )?);
            }
        }
    }
    let prover = job.prover.clone().expect("verifying jobs have a prover");
    let honest_all: Vec<Addr> = revealers.iter().map(|(_, a)| a.clone()).collect();

    // Withholding: the prover did not open every challenged step in time.
    if round.opened < round.challenged {
        if let Some(staking) = &staking {
            resp = resp.add_submessage(slash_fraud_msg(
                staking,
                &prover,
                evidence(job, &round, "withhold", 0),
                &honest_all,
            )?);
        }
        scheduler::punish(deps.storage, config, &prover, now)?;
        return requeue(deps, env, config, job, "withholding", resp);
    }

    let quorum = k / 2 + 1;
    if revealers.len() < quorum {
        if round.draw < config.params.max_committee_draws {
            let mut exclude: Vec<Addr> = round.committee.iter().map(|m| m.addr.clone()).collect();
            exclude.push(prover.clone());
            let draw = round.draw + 1;
            if let Some(committee) = scheduler::draw_committee(
                &mut deps,
                env,
                config,
                job,
                round.attempt,
                draw,
                &exclude,
            )? {
                for m in &round.committee {
                    VERDICTS.remove(deps.storage, (job.id, &m.addr));
                }
                // The openings were public: the new committee must commit
                // before the prover opens again.
                clear_openings(deps.storage, job.id)?;
                round.opened = 0;
                round.draw = draw;
                round.committee = committee
                    .into_iter()
                    .map(|addr| Member {
                        addr,
                        secret_hash: None,
                        secret: None,
                        verdict: None,
                        revealed: false,
                    })
                    .collect();
                ROUNDS.save(deps.storage, job.id, &round)?;
                set_deadline(
                    deps.storage,
                    job,
                    Some(after(now, config.params.verify_commit_blocks)?),
                )?;
                let ev = set_state(deps.storage, job, JobState::Challenged, "redraw")?;
                JOBS.save(deps.storage, job.id, job)?;
                return Ok(resp.add_event(ev.add_attribute("draw", draw.to_string())));
            }
        }
        return requeue(deps, env, config, job, "no_quorum", resp);
    }

    // Majority verdict per step.
    let verdicts: Vec<crate::state::Verdict> = revealers
        .iter()
        .map(|(_, a)| VERDICTS.load(deps.storage, (job.id, a)))
        .collect::<Result<_, _>>()?;
    let r = verdicts.len();
    let mut against = vec![false; r];
    let mut fraud_steps = 0u32;
    for (j, step) in steps.iter().enumerate() {
        let opened = OPENINGS.load(deps.storage, (job.id, *step))?;
        let votes: Vec<bool> = verdicts
            .iter()
            .map(|v| says_mismatch(job, &round, v, j, *step, &opened))
            .collect();
        let mismatches = votes.iter().filter(|x| **x).count();
        let matches = r - mismatches;
        let majority = if mismatches * 2 > r {
            fraud_steps += 1;
            Some(true)
        } else if matches * 2 > r {
            Some(false)
        } else {
            None
        };
        if let Some(m) = majority {
            for (x, v) in votes.iter().enumerate() {
                if *v != m {
                    against[x] = true;
                }
            }
        }
    }
    let majority: Vec<Addr> = revealers
        .iter()
        .zip(&against)
        .filter(|(_, a)| !**a)
        .map(|((_, addr), _)| addr.clone())
        .collect();
    // False verdicts: fraud slash, shared by the majority.
    for ((i, addr), a) in revealers.iter().zip(&against) {
        if *a {
            if let Some(staking) = &staking {
                resp = resp.add_submessage(slash_fraud_msg(
                    staking,
                    addr,
                    evidence(job, &round, "false_verdict", *i),
                    &majority,
                )?);
            }
            scheduler::punish(deps.storage, config, addr, now)?;
        }
    }
    resp = resp
        .add_attribute("fraud_steps", fraud_steps.to_string())
        .add_attribute("minority", (r - majority.len()).to_string());
    if fraud_steps > 0 {
        if let Some(staking) = &staking {
            resp = resp.add_submessage(slash_fraud_msg(
                staking,
                &prover,
                evidence(job, &round, "fraud", 0),
                &majority,
            )?);
        }
        scheduler::punish(deps.storage, config, &prover, now)?;
        return requeue(deps, env, config, job, "fraud", resp);
    }
    settle(
        deps, env, config, job, &round, &prover, &majority, pay, resp,
    )
}

#[allow(clippy::too_many_arguments)]
fn settle(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: &Round,
    prover: &Addr,
    majority: &[Addr],
    pay: Uint128,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let denom = &config.params.denom;
    let steps = Uint128::from(job.spec.hyper.steps);
    let prover_pay = job.price.checked_mul(steps)?;
    let fee = prover_pay
        .checked_mul_ceil(job.protocol_fee)
        .map_err(|_| ContractError::MathOverflow { what: "fee" })?;
    let to_pool = fee.mul_floor(job.fee_to_rewards);
    let to_vault = fee - to_pool;
    let verifiers_total = pay.checked_mul(Uint128::from(majority.len() as u64))?;
    let spent = prover_pay.checked_add(verifiers_total)?.checked_add(fee)?;
    job.escrow = job.escrow.checked_sub(spent)?;
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.escrow = t.escrow.checked_sub(spent)?;
        Ok(t)
    })?;
    if !prover_pay.is_zero() {
        resp = resp.add_message(BankMsg::Send {
            to_address: prover.to_string(),
            amount: coins(prover_pay.u128(), denom),
        });
    }
    if !pay.is_zero() {
        for v in majority {
            resp = resp.add_message(BankMsg::Send {
                to_address: v.to_string(),
                amount: coins(pay.u128(), denom),
            });
        }
    }
    let units = Uint128::from(job.spec.model_units);
    let fee_payload = FeePayload {
        job_id: job.id,
        outcome: JobOutcome::Settled,
        to_pool,
        to_vault,
    };
    // Reputation first: sub-messages run in order, so the rewards contract's
    // `RecordWork` below already reads the score that includes this job (a
    // first job would otherwise weigh Rep = 0). Verifiers in the majority
    // earn reputation for their replay work too, or their cohort would never
    // weigh anything.
    if let Some(rep) = &config.reputation {
        resp = resp.add_submessage(reputation_job_msg(rep, prover, Decimal::one(), prover_pay)?);
        for v in majority {
            resp = resp.add_submessage(reputation_job_msg(rep, v, Decimal::one(), pay)?);
        }
    }
    match &config.rewards {
        Some(rewards) => {
            resp = resp.add_submessage(record_work_msg(
                rewards,
                prover,
                WorkRole::Prover,
                steps.checked_mul(units)?,
            )?);
            let replayed = Uint128::from(round.challenged as u64).checked_mul(units)?;
            for v in majority {
                resp =
                    resp.add_submessage(record_work_msg(rewards, v, WorkRole::Verifier, replayed)?);
            }
            resp = resp.add_submessage(record_job_msg(rewards, denom, fee_payload)?);
        }
        None if !fee.is_zero() => {
            UNDELIVERED.save(
                deps.storage,
                job.id,
                &Undelivered {
                    outcome: JobOutcome::Settled,
                    to_pool,
                    to_vault,
                },
            )?;
            TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
                t.undelivered_fees = t.undelivered_fees.checked_add(fee)?;
                Ok(t)
            })?;
        }
        None => {}
    }
    if let Some(staking) = &config.staking {
        resp = resp.add_submessage(release_msg(staking, prover, job.id)?);
    }
    scheduler::release_prover(deps.storage, config, prover, &job.spec, env.block.height)?;
    resp = resp
        .add_attribute("prover_pay", prover_pay)
        .add_attribute("verifier_pay", pay)
        .add_attribute("verifiers_paid", majority.len().to_string())
        .add_attribute("fee", fee)
        .add_attribute("to_pool", to_pool)
        .add_attribute("to_vault", to_vault);
    close_with_refund(deps.storage, config, job, JobState::Settled, "settle", resp)
}

/// Permissionless crank: handle up to `limit` passed deadlines, oldest first.
pub fn process_timeouts(
    mut deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let limit = limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let now = env.block.height;
    let due: Vec<(u64, u64)> = DEADLINES
        .keys(
            deps.storage,
            None,
            Some(Bound::exclusive((now, 0u64))),
            Order::Ascending,
        )
        .take(limit)
        .collect::<Result<_, _>>()?;
    let config = CONFIG.load(deps.storage)?;
    let mut resp = Response::new()
        .add_attribute("action", "process_timeouts")
        .add_attribute("handled", due.len().to_string());
    for (_, job_id) in due {
        resp = timeout(deps.branch(), &env, &config, job_id, resp)?;
    }
    Ok(resp)
}

fn timeout(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job_id: u64,
    resp: Response,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    let now = env.block.height;
    match job.state {
        JobState::Queued => expire(deps.storage, config, &mut job, resp),
        JobState::Assigned => {
            // The prover missed its training deadline: benign fault.
            let prover = job.prover.clone().expect("assigned jobs have a prover");
            let round = ROUNDS.load(deps.storage, job_id)?;
            let mut resp = resp;
            if let Some(staking) = &config.staking {
                let cost = job.price.checked_mul(Uint128::from(job.spec.hyper.steps))?;
                resp = resp.add_submessage(slash_benign_msg(
                    staking,
                    &prover,
                    evidence(&job, &round, "late", 0),
                    job.id,
                    cost,
                )?);
            }
            requeue(deps, env, config, &mut job, "training_timeout", resp)
        }
        JobState::Committed => {
            let round = ROUNDS.load(deps.storage, job_id)?;
            start_challenge(deps, env, config, &mut job, round, resp)
        }
        JobState::Challenged => start_verifying(deps, now, config, &mut job, resp),
        JobState::Verifying => {
            let round = ROUNDS.load(deps.storage, job_id)?;
            finalize(deps, env, config, &mut job, round, resp)
        }
        // Terminal jobs hold no deadline; nothing to do.
        _ => Ok(resp),
    }
}

/// Permissionless: resend undelivered fees (one `RecordJob` per job).
pub fn flush_fees(deps: DepsMut, limit: Option<u32>) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let rewards = config
        .rewards
        .clone()
        .ok_or(ContractError::ContractNotSet {
            contract: "rewards",
        })?;
    let limit = limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let entries: Vec<(u64, Undelivered)> = UNDELIVERED
        .range(deps.storage, None, None, Order::Ascending)
        .take(limit)
        .collect::<Result<_, _>>()?;
    let mut resp = Response::new().add_attribute("action", "flush_fees");
    let mut total = Uint128::zero();
    for (job_id, u) in entries {
        let amount = u.to_pool.checked_add(u.to_vault)?;
        total = total.checked_add(amount)?;
        UNDELIVERED.remove(deps.storage, job_id);
        resp = resp.add_submessage(record_job_msg(
            &rewards,
            &config.params.denom,
            FeePayload {
                job_id,
                outcome: u.outcome,
                to_pool: u.to_pool,
                to_vault: u.to_vault,
            },
        )?);
    }
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.undelivered_fees = t.undelivered_fees.checked_sub(total)?;
        Ok(t)
    })?;
    Ok(resp.add_attribute("amount", total))
}
