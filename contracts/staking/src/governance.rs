//! Governance (protocol.md section 9): who may change what, parameter bounds,
//! two-step hand-over of the governance role, and migration rules.

use cosmwasm_std::{Addr, Api, Decimal, Deps, DepsMut, Response, Uint128};
use impulse_types::staking::StakingParams;

use crate::error::ContractError;
use crate::state::CONFIG;

/// Who is calling a privileged message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Marketplace(Addr),
    Governance,
}

/// Validate a bech32 address. `addr_validate` also refuses a mixed- or
/// upper-case spelling, so no check can be bypassed by re-casing an address.
pub fn validate_addr(api: &dyn Api, address: &str) -> Result<Addr, ContractError> {
    api.addr_validate(address)
        .map_err(|e| ContractError::InvalidAddress {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

pub fn validate_opt(api: &dyn Api, address: Option<&str>) -> Result<Option<Addr>, ContractError> {
    address.map(|a| validate_addr(api, a)).transpose()
}

pub fn ensure_governance(
    deps: Deps,
    sender: &Addr,
    action: &'static str,
) -> Result<(), ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if *sender != config.governance {
        return Err(ContractError::Unauthorized {
            sender: sender.to_string(),
            action,
        });
    }
    Ok(())
}

/// Only the configured marketplace and governance may slash.
pub fn slasher(deps: Deps, sender: &Addr) -> Result<Caller, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if *sender == config.governance {
        Ok(Caller::Governance)
    } else if config.marketplace.as_ref() == Some(sender) {
        Ok(Caller::Marketplace(sender.clone()))
    } else {
        Err(ContractError::Unauthorized {
            sender: sender.to_string(),
            action: "slash",
        })
    }
}

/// Only the configured marketplace may lock and release providers for jobs.
pub fn ensure_marketplace(
    deps: Deps,
    sender: &Addr,
    action: &'static str,
) -> Result<(), ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if config.marketplace.as_ref() != Some(sender) {
        return Err(ContractError::Unauthorized {
            sender: sender.to_string(),
            action,
        });
    }
    Ok(())
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ContractError {
    ContractError::InvalidParam {
        name,
        reason: reason.into(),
    }
}

fn in_range_u64(name: &'static str, v: u64, min: u64, max: u64) -> Result<(), ContractError> {
    if v < min || v > max {
        return Err(invalid(name, format!("{v} is outside [{min}, {max}]")));
    }
    Ok(())
}

fn in_range_dec(
    name: &'static str,
    v: Decimal,
    min: Decimal,
    max: Decimal,
) -> Result<(), ContractError> {
    if v < min || v > max {
        return Err(invalid(name, format!("{v} is outside [{min}, {max}]")));
    }
    Ok(())
}

/// Upper bound on any stake threshold: 10^12 whole tokens of 6 decimals.
const MAX_STAKE_THRESHOLD: u128 = 1_000_000_000_000_000_000;
/// Upper bound on every duration in blocks (about 2 years at 6 s blocks).
const MAX_BLOCKS: u64 = 10_000_000;

/// Check every parameter against its bounds. `current` is the configuration
/// in force, if any: the denom can never change once funds may be held.
pub fn validate_params(
    p: &StakingParams,
    current: Option<&StakingParams>,
) -> Result<(), ContractError> {
    let denom_ok = (3..=128).contains(&p.denom.len())
        && p.denom
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && p.denom
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '.' | '_' | '-'));
    if !denom_ok {
        return Err(invalid(
            "denom",
            format!("{:?} is not a valid denom", p.denom),
        ));
    }
    if let Some(cur) = current {
        if cur.denom != p.denom {
            return Err(invalid(
                "denom",
                "cannot change once the contract holds stake",
            ));
        }
    }
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
    in_range_u64("lock_min_blocks", p.lock_min_blocks, 1, MAX_BLOCKS)?;
    in_range_u64("unlock_blocks", p.unlock_blocks, 1, MAX_BLOCKS)?;
    in_range_u64("heartbeat_blocks", p.heartbeat_blocks, 1, 1_000_000)?;
    in_range_dec(
        "heartbeat_fine",
        p.heartbeat_fine,
        Decimal::zero(),
        Decimal::percent(10),
    )?;
    if p.chronic_absence_misses == 0 || p.chronic_absence_misses > 1_000 {
        return Err(invalid("chronic_absence_misses", "must be in [1, 1000]"));
    }
    in_range_dec(
        "chronic_absence_multiplier",
        p.chronic_absence_multiplier,
        Decimal::one(),
        Decimal::percent(500),
    )?;
    in_range_dec(
        "slash_fraud",
        p.slash_fraud,
        Decimal::permille(1),
        Decimal::one(),
    )?;
    in_range_dec("slash_burn", p.slash_burn, Decimal::zero(), Decimal::one())?;
    in_range_dec(
        "slash_benign",
        p.slash_benign,
        Decimal::zero(),
        Decimal::one(),
    )?;
    in_range_u64("ban_blocks", p.ban_blocks, 0, MAX_BLOCKS)?;
    if p.max_unbonding_entries == 0 || p.max_unbonding_entries > 64 {
        return Err(invalid("max_unbonding_entries", "must be in [1, 64]"));
    }
    if p.max_active_jobs == 0 || p.max_active_jobs > 64 {
        return Err(invalid("max_active_jobs", "must be in [1, 64]"));
    }
    Ok(())
}

pub fn update_params(deps: DepsMut, params: StakingParams) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    validate_params(&params, Some(&config.params))?;
    config.params = params;
    CONFIG.save(deps.storage, &config)?;
    let p = &config.params;
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_attribute("min_prover_stake", p.min_prover_stake)
        .add_attribute("min_verifier_stake", p.min_verifier_stake)
        .add_attribute("lock_min_blocks", p.lock_min_blocks.to_string())
        .add_attribute("unlock_blocks", p.unlock_blocks.to_string())
        .add_attribute("heartbeat_blocks", p.heartbeat_blocks.to_string())
        .add_attribute("heartbeat_fine", p.heartbeat_fine.to_string())
        .add_attribute("slash_fraud", p.slash_fraud.to_string())
        .add_attribute("slash_burn", p.slash_burn.to_string())
        .add_attribute("slash_benign", p.slash_benign.to_string())
        .add_attribute("ban_blocks", p.ban_blocks.to_string()))
}

pub fn set_contracts(
    deps: DepsMut,
    marketplace: Option<String>,
    reputation: Option<String>,
    rewards: Option<String>,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    let mut resp = Response::new().add_attribute("action", "set_contracts");
    if let Some(a) = marketplace {
        let a = validate_addr(deps.api, &a)?;
        resp = resp.add_attribute("marketplace", a.as_str());
        config.marketplace = Some(a);
    }
    if let Some(a) = reputation {
        let a = validate_addr(deps.api, &a)?;
        resp = resp.add_attribute("reputation", a.as_str());
        config.reputation = Some(a);
    }
    if let Some(a) = rewards {
        let a = validate_addr(deps.api, &a)?;
        resp = resp.add_attribute("rewards", a.as_str());
        config.rewards = Some(a);
    }
    CONFIG.save(deps.storage, &config)?;
    Ok(resp)
}

pub fn propose_governance(
    deps: DepsMut,
    sender: Addr,
    address: String,
) -> Result<Response, ContractError> {
    ensure_governance(deps.as_ref(), &sender, "propose a new governance")?;
    let proposed = validate_addr(deps.api, &address)?;
    let mut config = CONFIG.load(deps.storage)?;
    config.pending_governance = Some(proposed.clone());
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "propose_governance")
        .add_attribute("proposed", proposed.as_str()))
}

pub fn accept_governance(deps: DepsMut, sender: Addr) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    match &config.pending_governance {
        None => return Err(ContractError::NoPendingGovernance {}),
        Some(p) if *p != sender => {
            return Err(ContractError::Unauthorized {
                sender: sender.to_string(),
                action: "accept governance",
            })
        }
        Some(_) => {}
    }
    let previous = std::mem::replace(&mut config.governance, sender.clone());
    config.pending_governance = None;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "accept_governance")
        .add_attribute("previous", previous.as_str())
        .add_attribute("governance", sender.as_str()))
}

fn parse_version(v: &str) -> Result<(u64, u64, u64), ContractError> {
    impulse_types::version::parse_semver(v).ok_or_else(|| ContractError::InvalidVersion {
        version: v.to_string(),
    })
}

/// A migration must keep the contract name and must not go back in version.
pub fn check_migration(
    stored_name: &str,
    stored_version: &str,
    name: &str,
    version: &str,
) -> Result<(), ContractError> {
    if stored_name != name {
        return Err(ContractError::WrongContract {
            stored: stored_name.to_string(),
            expected: name.to_string(),
        });
    }
    if parse_version(version)? < parse_version(stored_version)? {
        return Err(ContractError::CannotDowngrade {
            stored: stored_version.to_string(),
            new: version.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        validate_params(&StakingParams::default(), None).unwrap();
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(check_migration("a", "0.9.0", "a", "0.10.0").is_ok());
        assert!(check_migration("a", "0.1.0", "a", "0.1.0").is_ok());
        assert!(matches!(
            check_migration("a", "0.2.0", "a", "0.1.9"),
            Err(ContractError::CannotDowngrade { .. })
        ));
        assert!(matches!(
            check_migration("b", "0.1.0", "a", "0.1.0"),
            Err(ContractError::WrongContract { .. })
        ));
        assert!(matches!(
            check_migration("a", "x.y", "a", "0.1.0"),
            Err(ContractError::InvalidVersion { .. })
        ));
    }
}
