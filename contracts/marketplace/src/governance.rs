//! Governance (protocol.md section 9) of the marketplace: its parameter
//! bounds and wiring. The caller check, the hand-over and migration are the
//! shared controller's (`impulse-governance`).

use cosmwasm_std::{Decimal, Uint128};
pub use impulse_governance::{
    check_denom, count, fraction, fraction_from, fraction_upto, in_range_u64, invalid, window,
    GovError, MAX_BLOCKS,
};
use impulse_types::marketplace::MarketplaceParams;

use crate::state::{Config, CONFIG};

pub use impulse_governance::validate_addr;

impulse_governance::controller!(
    Config,
    CONFIG,
    "crates.io:impulse-marketplace",
    validate_params
);

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
    fraction_from("min_alpha", p.min_alpha, Decimal::permille(1))?;
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
    count("max_openings_per_tx", p.max_openings_per_tx, 1_024)?;
    count("max_attempts", p.max_attempts, 16)?;
    fraction_upto("protocol_fee", p.protocol_fee, Decimal::percent(50))?;
    fraction("fee_to_rewards", p.fee_to_rewards)?;
    if p.verifier_price_per_step > Uint128::new(1_000_000_000_000_000_000) {
        return Err(invalid("verifier_price_per_step", "must be at most 10^18"));
    }
    fraction_from("damp_factor", p.damp_factor, Decimal::percent(1))?;
    window("damp_recovery_blocks", p.damp_recovery_blocks)?;
    count("max_candidates", p.max_candidates, 64)?;
    if p.max_draw_retries > 256 {
        return Err(invalid("max_draw_retries", "must be at most 256"));
    }
    window("train_base_blocks", p.train_base_blocks)?;
    in_range_u64("blocks_per_step", p.blocks_per_step, 0, 1_000)?;
    window("reveal_blocks", p.reveal_blocks)?;
    window("verify_commit_blocks", p.verify_commit_blocks)?;
    window("verify_reveal_blocks", p.verify_reveal_blocks)?;
    count("max_committee_draws", p.max_committee_draws, 4)?;
    fraction("score_floor", p.score_floor)?;
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
