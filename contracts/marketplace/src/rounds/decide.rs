//! The decision (protocol.md §6.6): the majority verdict per challenged
//! step (`impulse_protocol::verdict`), the penalties, a fresh committee when
//! the quorum was missed, or the settlement and its payouts.

use cosmwasm_std::{coins, Addr, BankMsg, Decimal, DepsMut, Env, HexBinary, Response, Uint128};
use impulse_protocol::{budget, verdict};
use impulse_types::marketplace::{JobState, VerificationMode};
use impulse_types::rewards::{JobOutcome, WorkRole};

use super::{after, evidence, verifier_pay};
use crate::error::ContractError;
use crate::external::{
    record_job_msg, record_work_msg, release_msg, reputation_job_msg, slash_benign_msg,
    slash_fraud_msg, FeePayload,
};
use crate::index;
use crate::lifecycle::{clear_openings, close_with_refund, requeue, set_deadline, set_state};
use crate::scheduler;
use crate::state::{
    Config, Job, Member, Round, Undelivered, Verdict, CHALLENGES, JOBS, OPENINGS, ROUNDS, TOTALS,
    UNDELIVERED, VERDICTS,
};

/// Whether verifier `v` says step `j` (step number `step`) is wrong.
fn says_mismatch(
    job: &Job,
    round: &Round,
    v: &Verdict,
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
pub fn finalize(
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
        index::punish(deps.storage, config, &prover, now)?;
        return requeue(deps, env, config, job, "withholding", resp);
    }

    if revealers.len() < verdict::quorum(k) {
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
    let verdicts: Vec<Verdict> = revealers
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
        let majority = verdict::majority(&votes);
        if majority == Some(true) {
            fraud_steps += 1;
        }
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
            index::punish(deps.storage, config, addr, now)?;
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
        index::punish(deps.storage, config, &prover, now)?;
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
    let s = budget::settlement(
        job.price,
        job.spec.hyper.steps,
        pay,
        majority.len(),
        job.protocol_fee,
        job.fee_to_rewards,
    )?;
    let (prover_pay, fee, to_pool, to_vault) = (s.prover, s.fee, s.to_pool, s.to_vault);
    let spent = s.spent()?;
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
    index::release_prover(deps.storage, config, prover, &job.spec, env.block.height)?;
    resp = resp
        .add_attribute("prover_pay", prover_pay)
        .add_attribute("verifier_pay", pay)
        .add_attribute("verifiers_paid", majority.len().to_string())
        .add_attribute("fee", fee)
        .add_attribute("to_pool", to_pool)
        .add_attribute("to_vault", to_vault);
    close_with_refund(deps.storage, config, job, JobState::Settled, "settle", resp)
}
