//! Verification rounds (protocol.md section 6): R1 committee secrets and the
//! prover's commitment (Assigned), R2 secret reveals fix the challenge
//! (Committed), R3 verdict commitments (Challenged), R4 verdict reveals and
//! the prover's openings (Verifying), then the majority verdict, payouts and
//! penalties. Every window has a deadline handled by `ProcessTimeouts`
//! (`cranks.rs`).
//!
//! * `commit.rs`: secrets, the prover's result, the challenge draw;
//! * `verify.rs`: verdict commitments and reveals, step openings;
//! * `decide.rs`: the majority verdict, penalties, settlement.

mod commit;
mod decide;
mod verify;

pub use commit::{commit_result, commit_secret, reveal_secret, start_challenge};
pub use decide::finalize;
pub use verify::{commit_verdict, open_steps, reveal_verdict, start_verifying};

use cosmwasm_std::{Addr, HexBinary, Uint128};
use impulse_protocol::{budget, deadlines};
use impulse_types::marketplace::JobState;

use crate::error::ContractError;
use crate::state::{Job, Round};

pub(crate) fn hash32(field: &'static str, h: &HexBinary) -> Result<[u8; 32], ContractError> {
    h.as_slice()
        .try_into()
        .map_err(|_| ContractError::InvalidHash {
            field,
            len: h.len(),
        })
}

pub(crate) fn expect_state(
    job: &Job,
    state: JobState,
    expected: &'static str,
) -> Result<(), ContractError> {
    if job.state != state {
        return Err(ContractError::WrongState {
            job_id: job.id,
            state: job.state,
            expected,
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

/// Evidence of an offence, unique per job, attempt, draw, offence and offender.
pub(crate) fn evidence(job: &Job, round: &Round, offence: &str, who: usize) -> String {
    format!(
        "impulse-market/job{}/a{}/d{}/{offence}/{who}",
        job.id, round.attempt, round.draw
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
