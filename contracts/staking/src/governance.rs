//! Governance (protocol.md section 9) of the staking vault: its parameter
//! bounds and wiring, and who may slash or lock stake. The caller check, the
//! hand-over and migration are the shared controller's
//! (`impulse-governance`).

use cosmwasm_std::{Addr, Decimal, Deps, Uint128};
use impulse_governance::{
    check_denom, count, fraction, fraction_from, fraction_upto, in_range_dec, in_range_u64,
    invalid, window, GovError, MAX_BLOCKS,
};
use impulse_types::staking::StakingParams;

use crate::error::ContractError;
use crate::state::{Config, CONFIG};

pub use impulse_governance::validate_addr;

impulse_governance::controller!(Config, CONFIG, "crates.io:impulse-staking", validate_params);

/// Who is calling a privileged message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Marketplace(Addr),
    Governance,
}

/// Only the configured marketplace and governance may slash.
pub fn slasher(deps: Deps, sender: &Addr) -> Result<Caller, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if *sender == config.governance {
        Ok(Caller::Governance)
    } else if config.marketplace.as_ref() == Some(sender) {
        Ok(Caller::Marketplace(sender.clone()))
    } else {
        Err(GovError::unauthorized(sender, "slash").into())
    }
}

/// Upper bound on any stake threshold: 10^12 whole tokens of 6 decimals.
const MAX_STAKE_THRESHOLD: u128 = 1_000_000_000_000_000_000;

/// Check every parameter against its bounds. `current` is the configuration
/// in force, if any: the denom can never change once funds may be held.
pub fn validate_params(p: &StakingParams, current: Option<&StakingParams>) -> Result<(), GovError> {
    check_denom(
        &p.denom,
        current.map(|c| c.denom.as_str()),
        "the contract holds stake",
    )?;
    if p.min_verifier_stake.is_zero() {
        return Err(invalid("min_verifier_stake", "must be greater than zero"));
    }
    if p.min_verifier_stake > p.min_prover_stake {
        return Err(invalid(
            "min_verifier_stake",
            format!(
                "{} exceeds min_prover_stake {}",
                p.min_verifier_stake, p.min_prover_stake
            ),
        ));
    }
    if p.min_prover_stake > Uint128::new(MAX_STAKE_THRESHOLD) {
        return Err(invalid(
            "min_prover_stake",
            format!("must be at most {MAX_STAKE_THRESHOLD}"),
        ));
    }
    window("lock_min_blocks", p.lock_min_blocks)?;
    window("unlock_blocks", p.unlock_blocks)?;
    in_range_u64("heartbeat_blocks", p.heartbeat_blocks, 1, 1_000_000)?;
    fraction_upto("heartbeat_fine", p.heartbeat_fine, Decimal::percent(10))?;
    count("chronic_absence_misses", p.chronic_absence_misses, 1_000)?;
    in_range_dec(
        "chronic_absence_multiplier",
        p.chronic_absence_multiplier,
        Decimal::one(),
        Decimal::percent(500),
    )?;
    fraction_from("slash_fraud", p.slash_fraud, Decimal::permille(1))?;
    fraction("slash_burn", p.slash_burn)?;
    fraction("slash_benign", p.slash_benign)?;
    if p.min_benign_slash > Uint128::new(MAX_STAKE_THRESHOLD) {
        return Err(invalid(
            "min_benign_slash",
            format!("must be at most {MAX_STAKE_THRESHOLD}"),
        ));
    }
    in_range_u64("ban_blocks", p.ban_blocks, 0, MAX_BLOCKS)?;
    count("max_unbonding_entries", p.max_unbonding_entries, 64)?;
    count("max_active_jobs", p.max_active_jobs, 64)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        validate_params(&StakingParams::default(), None).unwrap();
    }
}
