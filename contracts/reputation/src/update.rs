//! The four record updates (protocol.md section 3), each from its one
//! authorised caller: stake and missed heartbeats from the staking contract,
//! jobs from the marketplace, faults from either. A provider's record is
//! created on its first update.

use cosmwasm_std::{attr, Addr, Attribute, Decimal, DepsMut, Env, Response, Uint128};
use impulse_governance::GovError;
use impulse_types::reputation::{Fault, ReputationParams};

use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::state::{Config, Record, CONFIG, RECORDS};

/// Who may send an update.
#[derive(Clone, Copy)]
enum Callers {
    Staking,
    Marketplace,
    StakingOrMarketplace,
}

fn ensure_caller(
    config: &Config,
    sender: &Addr,
    callers: Callers,
    action: &'static str,
) -> Result<(), ContractError> {
    let is = |a: &Option<Addr>| a.as_ref() == Some(sender);
    let allowed = match callers {
        Callers::Staking => is(&config.staking),
        Callers::Marketplace => is(&config.marketplace),
        Callers::StakingOrMarketplace => is(&config.staking) || is(&config.marketplace),
    };
    if allowed {
        Ok(())
    } else {
        Err(GovError::unauthorized(sender, action).into())
    }
}

/// Authorise the caller, validate the provider and hand its record (fresh if
/// new) to `apply`; save it and report its state at this block.
fn update(
    deps: DepsMut,
    env: &Env,
    sender: &Addr,
    provider: &str,
    callers: Callers,
    action: &'static str,
    apply: impl FnOnce(&mut Record, &ReputationParams, u64) -> Result<Vec<Attribute>, ContractError>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    ensure_caller(&config, sender, callers, action)?;
    let provider = validate_addr(deps.api, provider)?;
    let height = env.block.height;
    let params = &config.params;
    let mut record = RECORDS
        .may_load(deps.storage, &provider)?
        .unwrap_or_else(|| Record::new(params, height));
    let attributes = apply(&mut record, params, height)?;
    RECORDS.save(deps.storage, &provider, &record)?;
    Ok(Response::new()
        .add_attribute("action", action)
        .add_attribute("provider", provider.as_str())
        .add_attributes(attributes)
        .add_attribute("success_rate", record.success_rate.to_string())
        .add_attribute("work_value", record.work_value_at(params, height))
        .add_attribute("stake_level", record.stake_level_at(params, height))
        .add_attribute("score", record.score_at(params, height)?.to_string())
        .add_attribute("cooling_off_until", record.cooling_off_until.to_string()))
}

pub fn record_job(
    deps: DepsMut,
    env: Env,
    sender: &Addr,
    provider: String,
    performance: Decimal,
    earned: Uint128,
) -> Result<Response, ContractError> {
    update(
        deps,
        &env,
        sender,
        &provider,
        Callers::Marketplace,
        "record_job",
        |rec, params, height| {
            let outcome = rec.record_job(params, height, performance, earned)?;
            let mut attributes = vec![
                attr("performance", performance.to_string()),
                attr("earned", earned),
            ];
            if outcome.work_value_saturated {
                attributes.push(attr("work_value_saturated", "true"));
            }
            Ok(attributes)
        },
    )
}

pub fn record_fault(
    deps: DepsMut,
    env: Env,
    sender: &Addr,
    provider: String,
    fault: Fault,
) -> Result<Response, ContractError> {
    update(
        deps,
        &env,
        sender,
        &provider,
        Callers::StakingOrMarketplace,
        "record_fault",
        |rec, params, height| {
            rec.record_fault(params, height, &fault)?;
            Ok(match &fault {
                Fault::Benign {} => vec![attr("fault", "benign")],
                Fault::Fraud {
                    fraction_lost,
                    cooling_off_blocks,
                } => vec![
                    attr("fault", "fraud"),
                    attr("fraction_lost", fraction_lost.to_string()),
                    attr("cooling_off_blocks", cooling_off_blocks.to_string()),
                ],
            })
        },
    )
}

pub fn record_stake(
    deps: DepsMut,
    env: Env,
    sender: &Addr,
    provider: String,
    stake: Uint128,
) -> Result<Response, ContractError> {
    update(
        deps,
        &env,
        sender,
        &provider,
        Callers::Staking,
        "record_stake",
        |rec, params, height| {
            rec.record_stake(params, height, stake);
            Ok(vec![attr("stake", stake)])
        },
    )
}

pub fn record_missed_heartbeats(
    deps: DepsMut,
    env: Env,
    sender: &Addr,
    provider: String,
    intervals: u64,
) -> Result<Response, ContractError> {
    update(
        deps,
        &env,
        sender,
        &provider,
        Callers::Staking,
        "record_missed_heartbeats",
        |rec, params, height| {
            rec.record_missed_heartbeats(params, height, intervals);
            Ok(vec![attr("intervals", intervals.to_string())])
        },
    )
}
