//! Verification rounds (protocol.md section 6): R1 the committee commits
//! its secrets, then the prover its root (Assigned); R2 the secrets are
//! revealed and fix the challenge (Committed); R3 verdict commitments
//! (Challenged); R4 verdict reveals and the prover's openings (Verifying);
//! then the decision: a committee that agrees decides, a dispute escalates
//! to a fresh, larger committee, and the last level's majority decides.
//! Every window has a deadline handled by `ProcessTimeouts` (`cranks.rs`).
//!
//! * `secrets.rs`: secret commitments, the window for them, reveals and the
//!   challenge draw;
//! * `commit.rs`: the prover's commitment;
//! * `verify.rs`: verdict commitments and reveals, step openings;
//! * `decide.rs`: quorum, escalation, the decision and its penalties;
//! * `settle.rs`: the payouts of a settled job.

mod commit;
mod decide;
mod secrets;
mod settle;
mod verify;

pub use commit::commit_result;
pub use decide::finalize;
pub use secrets::{close_secrets, commit_secret, reveal_secret, start_challenge};
pub use verify::{commit_verdict, open_steps, reveal_verdict, start_verifying};

use cosmwasm_std::{Addr, Env, HexBinary, Response, Storage, Uint128};
use impulse_protocol::{budget, deadlines};
use impulse_types::marketplace::JobState;
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::external::{hold_msg, slash_benign_msg, slash_fraud_msg};
use crate::index;
use crate::lifecycle::load_job;
use crate::state::{Config, Job, Round};

pub(crate) fn hash32(field: &'static str, h: &HexBinary) -> Result<[u8; 32], ContractError> {
    h.as_slice()
        .try_into()
        .map_err(|_| ContractError::InvalidHash {
            field,
            len: h.len(),
        })
}

/// The job `job_id`, refused unless it is in `state` (`expected` names it
/// in the error).
pub(crate) fn load_in(
    storage: &dyn Storage,
    job_id: u64,
    state: JobState,
    expected: &'static str,
) -> Result<Job, ContractError> {
    let job = load_job(storage, job_id)?;
    if job.state != state {
        return Err(ContractError::WrongState {
            job_id: job.id,
            state: job.state,
            expected,
        });
    }
    Ok(job)
}

/// Refuse `sender` unless it is the job's prover.
pub(crate) fn ensure_prover(job: &Job, sender: &Addr) -> Result<(), ContractError> {
    if job.prover.as_ref() != Some(sender) {
        return Err(ContractError::NotProver {
            job_id: job.id,
            address: sender.to_string(),
        });
    }
    Ok(())
}

pub(crate) fn within(job: &Job, now: u64, phase: &'static str) -> Result<(), ContractError> {
    match job.phase_deadline {
        Some(d) if deadlines::passed(d, now) => Err(ContractError::WindowClosed {
            job_id: job.id,
            phase,
            deadline: d,
        }),
        _ => Ok(()),
    }
}

pub(crate) fn member_of(round: &Round, job_id: u64, sender: &Addr) -> Result<usize, ContractError> {
    round
        .member_index(sender)
        .ok_or_else(|| ContractError::NotCommitteeMember {
            job_id,
            address: sender.to_string(),
        })
}

pub(crate) fn after(now: u64, blocks: u64) -> Result<u64, ContractError> {
    Ok(deadlines::after(now, blocks)?)
}

/// Evidence of an offence, unique per marketplace (the first 8 bytes of the
/// hash of its address, so a replaced marketplace never collides with the
/// old one's evidence), job, attempt, committee draw, offence and offender.
pub(crate) fn evidence(env: &Env, job: &Job, round: &Round, offence: &str, who: usize) -> String {
    let market = Sha256::digest(env.contract.address.as_bytes());
    format!(
        "mkt-{}/job{}/a{}/d{}/{offence}/{who}",
        hex::encode(&market[..8]),
        job.id,
        round.attempt,
        round.draw
    )
}

/// What one verifier earns: `min(challenged, ceil(alpha*L)+1) * price`.
pub(crate) fn verifier_pay(job: &Job, challenged: u32) -> Result<Uint128, ContractError> {
    Ok(budget::verifier_pay(
        job.spec.verification.alpha,
        job.spec.hyper.steps,
        challenged,
        job.verifier_price,
    )?)
}

/// The last block by which the rest of the job can have been judged from
/// `now`, for the stake of members who join it late (a new or escalated
/// committee): every remaining window used to its end.
pub(crate) fn judged_from(now: u64, job: &Job, round: &Round, config: &Config) -> u64 {
    let p = &config.params;
    let verdict = p
        .verify_commit_blocks
        .saturating_add(p.verify_reveal_blocks);
    let levels_left = u64::from(job.escalations.saturating_sub(round.level)) + 1;
    let secrets = p.secret_blocks.saturating_add(p.reveal_blocks);
    now.saturating_add(secrets)
        .saturating_add(verdict.saturating_mul(levels_left))
}

/// `HoldStake` for the members who just joined a job, until it is judged.
pub(crate) fn hold_new_members(
    resp: Response,
    config: &Config,
    members: &[Addr],
    until: u64,
) -> Result<Response, ContractError> {
    let Some(staking) = &config.staking else {
        return Ok(resp);
    };
    let mut resp = resp;
    for m in members {
        resp = resp.add_message(hold_msg(staking, m, until)?);
    }
    Ok(resp)
}

/// Slash `offender` for fraud, the slash shared by `honest` (when staking
/// is wired), and drop it from the indexes.
pub(crate) fn convict(
    storage: &mut dyn Storage,
    config: &Config,
    offender: &Addr,
    honest: &[Addr],
    now: u64,
    resp: Response,
    evidence: impl FnOnce() -> String,
) -> Result<Response, ContractError> {
    let resp = match &config.staking {
        Some(staking) => {
            resp.add_submessage(slash_fraud_msg(staking, offender, evidence(), honest)?)
        }
        None => resp,
    };
    index::punish(storage, config, offender, now)?;
    Ok(resp)
}

/// Benign-slash each `(member, evidence)` of `faults` for `pay` (when
/// staking is wired; `faults` is not read otherwise).
pub(crate) fn slash_benign_each<'a>(
    mut resp: Response,
    config: &Config,
    job_id: u64,
    pay: Uint128,
    faults: impl IntoIterator<Item = (&'a Addr, String)>,
) -> Result<Response, ContractError> {
    if let Some(staking) = &config.staking {
        for (addr, evidence) in faults {
            resp = resp.add_submessage(slash_benign_msg(staking, addr, evidence, job_id, pay)?);
        }
    }
    Ok(resp)
}
