//! Slashing (protocol.md section 2, checklist items 15–17). Fraud takes
//! `slash_fraud` of the bonded stake AND of every unbonding amount not yet
//! released (unstaking never escapes a pending slash), bans the provider,
//! burns `slash_burn` of it and shares the rest among the honest committee.
//! A benign fault takes `slash_benign` of the job's compute cost and pays it
//! to the marketplace for the job's escrow. Each piece of evidence slashes
//! once.

use cosmwasm_std::{
    coins, to_json_binary, Addr, BankMsg, Decimal, DepsMut, Env, Response, Uint128,
};
use impulse_governance::GovError;
use impulse_types::reputation::Fault;
use impulse_types::staking::{SlashKind, SlashResponse};

use crate::error::ContractError;
use crate::governance::{validate_addr, Caller};
use crate::notify::Notifier;
use crate::provider::load;
use crate::state::{Provider, CONFIG, EVIDENCE, PROVIDERS, SLASH_REWARDS, TOTALS};

/// Largest honest committee that can share a slash (bounds the payout loop).
pub const MAX_COMMITTEE: usize = 64;
const MAX_EVIDENCE_LEN: usize = 128;

/// Take `fraction` of bonded stake and of every unreleased unbonding amount.
/// Rounds up: the offender, not the protocol, pays for the dust.
fn take_fraction(
    p: &mut Provider,
    now: u64,
    fraction: Decimal,
) -> Result<(Uint128, Uint128), ContractError> {
    let from_stake =
        p.stake
            .checked_mul_ceil(fraction)
            .map_err(|_| ContractError::MathOverflow {
                what: "slash of stake",
            })?;
    let from_stake = from_stake.min(p.stake);
    p.stake -= from_stake;
    let mut from_unbonding = Uint128::zero();
    for u in p.unbonding.iter_mut() {
        u.accrue(now)?;
        let cut = u
            .pending
            .checked_mul_ceil(fraction)
            .map_err(|_| ContractError::MathOverflow {
                what: "slash of unbonding",
            })?
            .min(u.pending);
        u.pending -= cut;
        from_unbonding = from_unbonding.checked_add(cut)?;
    }
    p.unbonding.retain(|u| !u.is_empty());
    Ok((from_stake, from_unbonding))
}

/// Take up to `amount` from bonded stake, then from unreleased unbonding.
fn take_amount(
    p: &mut Provider,
    now: u64,
    amount: Uint128,
) -> Result<(Uint128, Uint128), ContractError> {
    let from_stake = amount.min(p.stake);
    p.stake -= from_stake;
    let mut left = amount - from_stake;
    let mut from_unbonding = Uint128::zero();
    for u in p.unbonding.iter_mut() {
        if left.is_zero() {
            break;
        }
        u.accrue(now)?;
        let cut = left.min(u.pending);
        u.pending -= cut;
        left -= cut;
        from_unbonding += cut;
    }
    p.unbonding.retain(|u| !u.is_empty());
    Ok((from_stake, from_unbonding))
}

fn fraction_of(part: Uint128, whole: Uint128) -> Decimal {
    if whole.is_zero() {
        Decimal::zero()
    } else {
        Decimal::from_ratio(part, whole).min(Decimal::one())
    }
}

fn unreleased(p: &Provider) -> Uint128 {
    p.unbonding
        .iter()
        .fold(Uint128::zero(), |acc, u| acc.saturating_add(u.pending))
}

fn validate_committee(
    deps: &DepsMut,
    offender: &Addr,
    members: &[String],
) -> Result<Vec<Addr>, ContractError> {
    if members.len() > MAX_COMMITTEE {
        return Err(ContractError::InvalidCommittee {
            reason: format!("{} members; at most {MAX_COMMITTEE}", members.len()),
        });
    }
    let mut out: Vec<Addr> = Vec::with_capacity(members.len());
    for m in members {
        let a = validate_addr(deps.api, m)?;
        if a == *offender {
            return Err(ContractError::InvalidCommittee {
                reason: "the offender cannot share its own slash".to_string(),
            });
        }
        if out.contains(&a) {
            return Err(ContractError::InvalidCommittee {
                reason: format!("{a} appears twice"),
            });
        }
        out.push(a);
    }
    Ok(out)
}

pub fn slash(
    deps: DepsMut,
    env: Env,
    caller: Caller,
    provider: &str,
    evidence: String,
    kind: SlashKind,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let params = &config.params;
    let addr = validate_addr(deps.api, provider)?;
    let mut p = load(deps.storage, &addr)?;
    let now = env.block.height;

    if evidence.is_empty() || evidence.len() > MAX_EVIDENCE_LEN {
        return Err(ContractError::InvalidEvidence {
            reason: format!("evidence must be 1 to {MAX_EVIDENCE_LEN} bytes"),
        });
    }
    if let Some(height) = EVIDENCE.may_load(deps.storage, &evidence)? {
        return Err(ContractError::DuplicateEvidence { evidence, height });
    }
    EVIDENCE.save(deps.storage, &evidence, &now)?;

    // Release what the schedule has released by now first: it is no longer
    // slashable, so it must not count in the fraction lost either.
    for u in p.unbonding.iter_mut() {
        u.accrue(now)?;
    }
    let held_before = p.stake.checked_add(unreleased(&p))?;
    let mut notifier = Notifier::new(deps.as_ref())?;
    let mut resp = Response::new()
        .add_attribute("action", "slash")
        .add_attribute("provider", addr.as_str())
        .add_attribute("evidence", evidence.as_str());

    let (from_stake, from_unbonding, burned, to_committee, to_escrow, fault);
    match kind {
        SlashKind::Fraud { honest_committee } => {
            let committee = validate_committee(&deps, &addr, &honest_committee)?;
            (from_stake, from_unbonding) = take_fraction(&mut p, now, params.slash_fraud)?;
            let slashed = from_stake.checked_add(from_unbonding)?;
            let mut burn = slashed.mul_floor(params.slash_burn);
            let mut share_total = slashed - burn;
            if committee.is_empty() {
                burn = slashed;
                share_total = Uint128::zero();
            }
            let mut paid = Uint128::zero();
            if !committee.is_empty() {
                let each = share_total.multiply_ratio(1u128, committee.len() as u128);
                if !each.is_zero() {
                    for m in &committee {
                        SLASH_REWARDS.update(deps.storage, m, |v| -> Result<_, ContractError> {
                            Ok(v.unwrap_or_default().checked_add(each)?)
                        })?;
                        paid += each;
                    }
                }
                // Whatever does not divide evenly is burned, never kept.
                burn += share_total - paid;
            }
            burned = burn;
            to_committee = paid;
            to_escrow = Uint128::zero();
            p.banned_until = p.banned_until.max(now.saturating_add(params.ban_blocks));
            fault = Fault::Fraud {
                fraction_lost: fraction_of(from_stake.checked_add(from_unbonding)?, held_before),
                cooling_off_blocks: params.ban_blocks,
            };
            if !burned.is_zero() {
                resp = resp.add_message(BankMsg::Burn {
                    amount: coins(burned.u128(), &params.denom),
                });
            }
            resp = resp
                .add_attribute("kind", "fraud")
                .add_attribute("banned_until", p.banned_until.to_string())
                .add_attribute("committee_size", committee.len().to_string());
        }
        SlashKind::Benign {
            job_id,
            compute_cost,
        } => {
            // Only the marketplace holds escrows, and it accounts the amount
            // from the response data of this very transaction.
            let marketplace = match &caller {
                Caller::Marketplace(m) => m.clone(),
                Caller::Governance => {
                    return Err(GovError::unauthorized(
                        &config.governance,
                        "slash for a benign fault (only the marketplace holds escrows)",
                    )
                    .into())
                }
            };
            let due = impulse_protocol::penalty::benign_slash(
                compute_cost,
                params.slash_benign,
                params.min_benign_slash,
            )
            .map_err(|e| ContractError::MathOverflow { what: e.what })?;
            (from_stake, from_unbonding) = take_amount(&mut p, now, due)?;
            burned = Uint128::zero();
            to_committee = Uint128::zero();
            to_escrow = from_stake.checked_add(from_unbonding)?;
            fault = Fault::Benign {};
            if !to_escrow.is_zero() {
                resp = resp.add_message(BankMsg::Send {
                    to_address: marketplace.to_string(),
                    amount: coins(to_escrow.u128(), &params.denom),
                });
            }
            resp = resp
                .add_attribute("kind", "benign")
                .add_attribute("job_id", job_id.to_string())
                .add_attribute("compute_cost", compute_cost);
        }
    }
    let slashed = from_stake.checked_add(from_unbonding)?;
    let fraction_lost = fraction_of(slashed, held_before);
    PROVIDERS.save(deps.storage, &addr, &p)?;
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.bonded = t.bonded.checked_sub(from_stake)?;
        t.unbonding = t.unbonding.checked_sub(from_unbonding)?;
        t.slash_rewards = t.slash_rewards.checked_add(to_committee)?;
        t.burned = t.burned.checked_add(burned)?;
        t.paid_to_escrow = t.paid_to_escrow.checked_add(to_escrow)?;
        Ok(t)
    })?;
    notifier.fault(&addr, fault)?;
    notifier.stake(&addr, p.stake)?;
    let data = SlashResponse {
        provider: addr.clone(),
        slashed,
        burned,
        to_committee,
        to_escrow,
        fraction_lost,
    };
    Ok(notifier.apply(
        resp.set_data(to_json_binary(&data)?)
            .add_attribute("slashed", slashed)
            .add_attribute("from_stake", from_stake)
            .add_attribute("from_unbonding", from_unbonding)
            .add_attribute("burned", burned)
            .add_attribute("to_committee", to_committee)
            .add_attribute("to_escrow", to_escrow)
            .add_attribute("fraction_lost", fraction_lost.to_string())
            .add_attribute("stake", p.stake),
    ))
}
