//! The decision (protocol.md §6.6, `impulse_protocol::verdict`). A
//! committee that misses its quorum is replaced by a new one, which draws a
//! new challenge. A committee that agrees decides. A dispute (any verdict
//! against another, a tie included) escalates to a fresh committee of
//! `2k + 1` that judges the same steps; at the last level the strict
//! majority per step decides and a step without one is undecided (never
//! paid). Everyone who voted against a decision, at any level, is slashed
//! as for fraud; the job settles only when every step is decided honest.

use cosmwasm_std::{Addr, DepsMut, Env, Event, HexBinary, Response};
use impulse_protocol::verdict::{self, Outcome};
use impulse_types::marketplace::{JobState, VerificationMode};

use super::settle::settle;
use super::{
    after, convict, evidence, hold_new_members, judged_from, slash_benign_each, verifier_pay,
};
use crate::error::ContractError;
use crate::lifecycle::{advance, clear_openings, requeue};
use crate::scheduler::{draw_committee, Ctx, Draw};
use crate::state::{Config, Job, Round, Verdict, CHALLENGES, OPENINGS, ROUNDS, VERDICTS};

/// Whether verifier `v` says step `j` (step number `step`) is wrong. At the
/// last step both modes also compare the model hash the verifier reports
/// with the committed final model hash.
fn says_mismatch(
    job: &Job,
    round: &Round,
    v: &Verdict,
    j: usize,
    step: u64,
    opened: &HexBinary,
) -> bool {
    let model_differs =
        step == job.spec.hyper.steps && v.model_hash.as_ref() != round.final_model_hash.as_ref();
    let state_differs = match &job.spec.verification.mode {
        VerificationMode::Exact => v.hashes.get(j) != Some(opened),
        VerificationMode::Tolerance { tau } => v
            .distances
            .as_ref()
            .and_then(|d| d.get(j))
            .is_none_or(|d| d > tau),
    };
    state_differs || model_differs
}

/// Each voter's vote per challenged step (`true`: "does not replay").
fn votes_of(
    deps: &DepsMut,
    job: &Job,
    round: &Round,
    voters: &[Addr],
) -> Result<Vec<Vec<bool>>, ContractError> {
    let steps = CHALLENGES.load(deps.storage, job.id)?;
    let opened: Vec<HexBinary> = steps
        .iter()
        .map(|s| OPENINGS.load(deps.storage, (job.id, *s)))
        .collect::<Result<_, _>>()?;
    voters
        .iter()
        .map(|a| {
            let v = VERDICTS.load(deps.storage, (job.id, a))?;
            Ok(steps
                .iter()
                .enumerate()
                .map(|(j, s)| says_mismatch(job, round, &v, j, *s, &opened[j]))
                .collect())
        })
        .collect()
}

/// The verify-reveal window is over or everything is in: decide, escalate
/// or draw a new committee.
pub fn finalize(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: Round,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    let pay = verifier_pay(job, round.challenged)?;
    let revealers: Vec<Addr> = round
        .committee
        .iter()
        .filter(|m| m.revealed)
        .map(|m| m.addr.clone())
        .collect();
    // Non-revealers (no verdict commitment, or no matching reveal): fault.
    let faults = round
        .committee
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.revealed);
    let faults = faults.map(|(i, m)| (&m.addr, evidence(env, job, &round, "noreveal", i)));
    resp = slash_benign_each(resp, config, job.id, pay, faults)?;
    let prover = job.prover.clone().expect("verifying jobs have a prover");

    // Withholding: the prover did not open every challenged step in time.
    if round.opened < round.challenged {
        resp = convict(deps.storage, config, &prover, &revealers, now, resp, || {
            evidence(env, job, &round, "withhold", 0)
        })?;
        return requeue(deps, env, config, job, "withholding", resp);
    }

    if revealers.len() < verdict::quorum(round.committee.len()) {
        if round.level == 0 {
            if let Some(resp) = new_committee(deps.branch(), env, config, job, &round, &resp)? {
                return Ok(resp);
            }
        }
        return requeue(deps, env, config, job, "no_quorum", resp);
    }

    let votes = votes_of(&deps, job, &round, &revealers)?;
    let decisions: Vec<Option<bool>> = match verdict::outcome(&votes) {
        Outcome::Unanimous(_) => votes[0].iter().map(|v| Some(*v)).collect(),
        Outcome::Disputed => {
            if round.level < job.escalations {
                if let Some(resp) = escalate(deps.branch(), env, config, job, &round, &resp)? {
                    return Ok(resp);
                }
            }
            let steps = votes[0].len();
            (0..steps)
                .map(|j| verdict::majority(&votes.iter().map(|v| v[j]).collect::<Vec<_>>()))
                .collect()
        }
    };
    decide(deps, env, config, job, round, revealers, &decisions, resp)
}

/// Judge every voter of every level against `decisions` (per step; `None`:
/// undecided) and end the attempt: fraud, undecided, or settled.
#[allow(clippy::too_many_arguments)]
fn decide(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: Round,
    revealers: Vec<Addr>,
    decisions: &[Option<bool>],
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    let prover = job.prover.clone().expect("verifying jobs have a prover");
    let mut voters = round.past.clone();
    voters.extend(revealers);
    let votes = votes_of(&deps, job, &round, &voters)?;
    let wrong: Vec<bool> = votes
        .iter()
        .map(|v| {
            v.iter()
                .zip(decisions)
                .any(|(vote, d)| d.is_some_and(|d| d != *vote))
        })
        .collect();
    let right: Vec<Addr> = voters
        .iter()
        .zip(&wrong)
        .filter(|(_, w)| !**w)
        .map(|(a, _)| a.clone())
        .collect();
    // False verdicts, at any level: fraud slash, shared by the right voters.
    for (i, (addr, w)) in voters.iter().zip(&wrong).enumerate() {
        if *w {
            resp = convict(deps.storage, config, addr, &right, now, resp, || {
                evidence(env, job, &round, "false_verdict", i)
            })?;
        }
    }
    let fraud_steps = decisions.iter().filter(|d| **d == Some(true)).count();
    let undecided = decisions.iter().filter(|d| d.is_none()).count();
    resp = resp
        .add_attribute("fraud_steps", fraud_steps.to_string())
        .add_attribute("undecided_steps", undecided.to_string())
        .add_attribute("level", round.level.to_string())
        .add_attribute("minority", (voters.len() - right.len()).to_string());
    if fraud_steps > 0 {
        resp = convict(deps.storage, config, &prover, &right, now, resp, || {
            evidence(env, job, &round, "fraud", 0)
        })?;
        return requeue(deps, env, config, job, "fraud", resp);
    }
    if undecided > 0 {
        // Nobody could tell: never pay a step nobody vouched for.
        return requeue(deps, env, config, job, "undecided", resp);
    }
    let pay = verifier_pay(job, round.challenged)?;
    settle(deps, env, config, job, &prover, &right, pay, resp)
}

/// A dispute: a fresh committee of `2k + 1` (at most `max_committee`),
/// drawn from everyone who has not sat on this attempt, judges the same
/// challenged steps (the openings stand). `None` if it cannot be drawn.
fn escalate(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: &Round,
    resp: &Response,
) -> Result<Option<Response>, ContractError> {
    let now = env.block.height;
    let size = verdict::escalated_size(round.committee.len() as u32, config.params.max_committee);
    let Some(fresh) = draw_fresh(&mut deps, env, config, job, round, size as usize)? else {
        return Ok(None);
    };
    let mut next = round.clone();
    next.past.extend(
        round
            .committee
            .iter()
            .filter(|m| m.revealed)
            .map(|m| m.addr.clone()),
    );
    for m in round.committee.iter().filter(|m| !m.revealed) {
        VERDICTS.remove(deps.storage, (job.id, &m.addr));
    }
    next.committee = Round::fresh_committee(fresh.clone());
    next.level += 1;
    next.draw += 1;
    ROUNDS.save(deps.storage, job.id, &next)?;
    let due = after(now, config.params.verify_commit_blocks)?;
    let ev = advance(deps.storage, job, JobState::Challenged, "escalate", due)?;
    let ev = ev.add_attribute("level", next.level.to_string());
    Ok(Some(seat(resp, ev, config, job, &next, &fresh, now)?))
}

/// A missed quorum: a new committee of the same size commits new secrets
/// for a new challenge (the old openings are public, so the new committee
/// must not be asked about the same steps). `None` if it cannot be drawn or
/// the attempt has no draws left.
fn new_committee(
    mut deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: &Round,
    resp: &Response,
) -> Result<Option<Response>, ContractError> {
    if round.draw >= config.params.max_committee_draws {
        return Ok(None);
    }
    let now = env.block.height;
    let size = job.spec.verification.committee as usize;
    let Some(fresh) = draw_fresh(&mut deps, env, config, job, round, size)? else {
        return Ok(None);
    };
    for m in &round.committee {
        VERDICTS.remove(deps.storage, (job.id, &m.addr));
    }
    clear_openings(deps.storage, job.id)?;
    CHALLENGES.remove(deps.storage, job.id);
    let due = after(now, config.params.secret_blocks)?;
    let next = Round {
        draw: round.draw + 1,
        committee: Round::fresh_committee(fresh.clone()),
        secrets_due: Some(due),
        seed: None,
        seed_entropy: None,
        challenged: 0,
        opened: 0,
        ..round.clone()
    };
    ROUNDS.save(deps.storage, job.id, &next)?;
    let ev = advance(deps.storage, job, JobState::Committed, "redraw", due)?;
    let ev = ev.add_attribute("draw", next.draw.to_string());
    Ok(Some(seat(resp, ev, config, job, &next, &fresh, now)?))
}

/// The committee of the next draw of this attempt: `size` members drawn
/// from everyone who has not sat on it, the prover excluded. `None` if it
/// cannot be drawn.
fn draw_fresh(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    job: &Job,
    round: &Round,
    size: usize,
) -> Result<Option<Vec<Addr>>, ContractError> {
    let mut exclude = round.everyone();
    exclude.extend(job.prover.clone());
    let draw = Draw {
        size,
        attempt: round.attempt,
        draw: round.draw + 1,
        exclude: &exclude,
    };
    let mut ctx = Ctx::new(config.clone());
    draw_committee(deps, env, &mut ctx, job, &draw)
}

/// Announce the `fresh` committee of `next` (with the event `ev` of the
/// move) and hold its members' stake until the job can be judged.
fn seat(
    resp: &Response,
    ev: Event,
    config: &Config,
    job: &Job,
    next: &Round,
    fresh: &[Addr],
    now: u64,
) -> Result<Response, ContractError> {
    let until = judged_from(now, job, next, config);
    let resp = resp
        .clone()
        .add_event(ev.add_attribute("committee", join(fresh)));
    hold_new_members(resp, config, fresh, until)
}

fn join(addrs: &[Addr]) -> String {
    addrs
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
