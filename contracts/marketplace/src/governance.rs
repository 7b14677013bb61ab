//! Governance (protocol.md section 9): who may change what, parameter bounds,
//! two-step hand-over of the governance role, and migration rules.

use cosmwasm_std::{Addr, Api, Decimal, Deps, DepsMut, Response, Uint128};
use impulse_types::marketplace::MarketplaceParams;

use crate::error::ContractError;
use crate::state::CONFIG;

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

/// Upper bound on every window in blocks (about 2 years at 6 s blocks).
pub const MAX_BLOCKS: u64 = 10_000_000;
/// Largest committee the staking contract can pay a share of a slash to.
pub const MAX_COMMITTEE: u32 = 64;
/// Upper bound of `max_steps`.
pub const MAX_STEPS: u64 = 10_000_000;
/// Upper bound of `max_challenges`.
pub const MAX_CHALLENGES: u32 = 16_384;

/// Check every parameter against its bounds. `current` is the configuration
/// in force, if any: the denom can never change once escrows may be held.
pub fn validate_params(
    p: &MarketplaceParams,
    current: Option<&MarketplaceParams>,
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
            return Err(invalid("denom", "cannot change once escrows may be held"));
        }
    }
    in_range_dec(
        "min_alpha",
        p.min_alpha,
        Decimal::permille(1),
        Decimal::one(),
    )?;
    if p.min_committee < 1 || p.min_committee > p.max_committee {
        return Err(invalid(
            "min_committee",
            format!(
                "must be in [1, max_committee {}], got {}",
                p.max_committee, p.min_committee
            ),
        ));
    }
    if p.max_committee > MAX_COMMITTEE {
        return Err(invalid(
            "max_committee",
            format!("must be at most {MAX_COMMITTEE}"),
        ));
    }
    in_range_u64("max_steps", p.max_steps, 1, MAX_STEPS)?;
    if p.max_challenges < 16 || p.max_challenges > MAX_CHALLENGES {
        return Err(invalid(
            "max_challenges",
            format!("must be in [16, {MAX_CHALLENGES}]"),
        ));
    }
    if p.max_openings_per_tx == 0 || p.max_openings_per_tx > 1_024 {
        return Err(invalid("max_openings_per_tx", "must be in [1, 1024]"));
    }
    if p.max_attempts == 0 || p.max_attempts > 16 {
        return Err(invalid("max_attempts", "must be in [1, 16]"));
    }
    in_range_dec(
        "protocol_fee",
        p.protocol_fee,
        Decimal::zero(),
        Decimal::percent(50),
    )?;
    in_range_dec(
        "fee_to_rewards",
        p.fee_to_rewards,
        Decimal::zero(),
        Decimal::one(),
    )?;
    if p.verifier_price_per_step > Uint128::new(1_000_000_000_000_000_000) {
        return Err(invalid("verifier_price_per_step", "must be at most 10^18"));
    }
    in_range_dec(
        "damp_factor",
        p.damp_factor,
        Decimal::percent(1),
        Decimal::one(),
    )?;
    in_range_u64(
        "damp_recovery_blocks",
        p.damp_recovery_blocks,
        1,
        MAX_BLOCKS,
    )?;
    if p.max_candidates == 0 || p.max_candidates > 64 {
        return Err(invalid("max_candidates", "must be in [1, 64]"));
    }
    if p.max_draw_retries > 256 {
        return Err(invalid("max_draw_retries", "must be at most 256"));
    }
    in_range_u64("train_base_blocks", p.train_base_blocks, 1, MAX_BLOCKS)?;
    in_range_u64("blocks_per_step", p.blocks_per_step, 0, 1_000)?;
    in_range_u64("reveal_blocks", p.reveal_blocks, 1, MAX_BLOCKS)?;
    in_range_u64(
        "verify_commit_blocks",
        p.verify_commit_blocks,
        1,
        MAX_BLOCKS,
    )?;
    in_range_u64(
        "verify_reveal_blocks",
        p.verify_reveal_blocks,
        1,
        MAX_BLOCKS,
    )?;
    if p.max_committee_draws == 0 || p.max_committee_draws > 4 {
        return Err(invalid("max_committee_draws", "must be in [1, 4]"));
    }
    in_range_dec(
        "score_floor",
        p.score_floor,
        Decimal::zero(),
        Decimal::one(),
    )?;
    Ok(())
}

pub fn update_params(deps: DepsMut, params: MarketplaceParams) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    validate_params(&params, Some(&config.params))?;
    config.params = params;
    CONFIG.save(deps.storage, &config)?;
    let p = &config.params;
    Ok(Response::new()
        .add_attribute("action", "update_params")
        .add_attribute("min_alpha", p.min_alpha.to_string())
        .add_attribute("min_committee", p.min_committee.to_string())
        .add_attribute("max_committee", p.max_committee.to_string())
        .add_attribute("max_steps", p.max_steps.to_string())
        .add_attribute("max_challenges", p.max_challenges.to_string())
        .add_attribute("max_attempts", p.max_attempts.to_string())
        .add_attribute("protocol_fee", p.protocol_fee.to_string())
        .add_attribute("fee_to_rewards", p.fee_to_rewards.to_string())
        .add_attribute("verifier_price_per_step", p.verifier_price_per_step)
        .add_attribute("damp_factor", p.damp_factor.to_string())
        .add_attribute("damp_recovery_blocks", p.damp_recovery_blocks.to_string())
        .add_attribute("max_candidates", p.max_candidates.to_string()))
}

pub fn set_contracts(
    deps: DepsMut,
    staking: Option<String>,
    reputation: Option<String>,
    rewards: Option<String>,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    let mut resp = Response::new().add_attribute("action", "set_contracts");
    if let Some(a) = staking {
        let a = validate_addr(deps.api, &a)?;
        resp = resp.add_attribute("staking", a.as_str());
        config.staking = Some(a);
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
        validate_params(&MarketplaceParams::default(), None).unwrap();
    }

    #[test]
    fn bounds_are_enforced() {
        type Edit = Box<dyn Fn(&mut MarketplaceParams)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("min_alpha", Box::new(|p| p.min_alpha = Decimal::zero())),
            ("min_committee", Box::new(|p| p.min_committee = 0)),
            ("min_committee", Box::new(|p| p.min_committee = 20)),
            (
                "max_committee",
                Box::new(|p| {
                    p.max_committee = 65;
                }),
            ),
            ("max_steps", Box::new(|p| p.max_steps = 0)),
            ("max_challenges", Box::new(|p| p.max_challenges = 1)),
            ("max_attempts", Box::new(|p| p.max_attempts = 0)),
            (
                "protocol_fee",
                Box::new(|p| p.protocol_fee = Decimal::percent(60)),
            ),
            (
                "fee_to_rewards",
                Box::new(|p| p.fee_to_rewards = Decimal::percent(101)),
            ),
            ("damp_factor", Box::new(|p| p.damp_factor = Decimal::zero())),
            (
                "damp_recovery_blocks",
                Box::new(|p| p.damp_recovery_blocks = 0),
            ),
            ("max_candidates", Box::new(|p| p.max_candidates = 0)),
            ("reveal_blocks", Box::new(|p| p.reveal_blocks = 0)),
            ("denom", Box::new(|p| p.denom = "x".into())),
        ];
        for (name, f) in cases {
            let mut p = MarketplaceParams::default();
            f(&mut p);
            match validate_params(&p, None) {
                Err(ContractError::InvalidParam { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        let p = MarketplaceParams {
            denom: "uother".into(),
            ..Default::default()
        };
        assert!(validate_params(&p, Some(&MarketplaceParams::default())).is_err());
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(check_migration("a", "0.9.0", "a", "0.10.0").is_ok());
        assert!(matches!(
            check_migration("a", "0.2.0", "a", "0.1.9"),
            Err(ContractError::CannotDowngrade { .. })
        ));
        assert!(matches!(
            check_migration("b", "0.1.0", "a", "0.1.0"),
            Err(ContractError::WrongContract { .. })
        ));
    }
}
