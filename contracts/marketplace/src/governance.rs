//! Governance (protocol.md section 9) of the marketplace: its parameter
//! bounds and wiring. The caller check, the hand-over and migration are the
//! shared controller's (`impulse-governance`).

use cosmwasm_std::{Decimal, Uint128};
use impulse_governance::{check_denom, in_range_dec, in_range_u64, invalid, Controller, GovError};
use impulse_types::marketplace::MarketplaceParams;

use crate::state::{Config, CONFIG};

pub use impulse_governance::validate_addr;

pub const CONTRACT_NAME: &str = "crates.io:impulse-marketplace";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The governance role of this contract.
pub const GOVERNANCE: Controller<Config> =
    Controller::new(CONFIG, CONTRACT_NAME, CONTRACT_VERSION, validate_params);

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
) -> Result<(), GovError> {
    check_denom(
        &p.denom,
        current.map(|c| c.denom.as_str()),
        "escrows may be held",
    )?;
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
                Err(GovError::InvalidParam { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        let p = MarketplaceParams {
            denom: "uother".into(),
            ..Default::default()
        };
        assert!(validate_params(&p, Some(&MarketplaceParams::default())).is_err());
    }
}
