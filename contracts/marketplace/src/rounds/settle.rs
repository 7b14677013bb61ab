//! A settled job's payouts (protocol.md §4): the prover's `L x price`, each
//! verifier that voted with the decision its pay, the protocol fee to the
//! reward pool and the vault, the rest back to the trainer; then the
//! reputation and rewards records of the work.

use cosmwasm_std::{coins, Addr, BankMsg, Decimal, DepsMut, Env, Response, Uint128};
use impulse_protocol::budget;
use impulse_types::marketplace::JobState;
use impulse_types::rewards::{JobOutcome, WorkRole};

use crate::error::ContractError;
use crate::external::{
    record_job_msg, record_work_msg, release_msg, reputation_job_msg, FeePayload,
};
use crate::index;
use crate::lifecycle::close_with_refund;
use crate::state::{Config, Job, Undelivered, TOTALS, UNDELIVERED};

#[allow(clippy::too_many_arguments)]
pub fn settle(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    prover: &Addr,
    majority: &[Addr],
    pay: Uint128,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let denom = &config.params.denom;
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
            // Contribution is what the trainer paid for the verified work,
            // and each record carries its part of the fee (which caps the
            // reward it can earn): reward weight is bought, never declared.
            let (prover_fee, verifier_fee) = budget::attribute_fee(fee, majority.len());
            resp = resp.add_submessage(record_work_msg(
                rewards,
                prover,
                WorkRole::Prover,
                prover_pay,
                prover_fee,
            )?);
            if !pay.is_zero() {
                for v in majority {
                    resp = resp.add_submessage(record_work_msg(
                        rewards,
                        v,
                        WorkRole::Verifier,
                        pay,
                        verifier_fee,
                    )?);
                }
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
