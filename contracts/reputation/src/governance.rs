//! Governance (protocol.md section 9): parameters and wiring change only by
//! the governance address (`execute`) or x/gov (`sudo`), which share these
//! handlers; every parameter is checked against bounds. The caller check, the
//! hand-over and migration are the shared controller's (`impulse-governance`).

use cosmwasm_std::{Decimal, Uint128};
use impulse_governance::{invalid, GovError};
use impulse_types::reputation::ReputationParams;

use crate::state::{Config, CONFIG};

pub use impulse_governance::validate_addr;

impulse_governance::controller!(
    Config,
    CONFIG,
    "crates.io:impulse-reputation",
    validate_params
);

/// Longest half-life accepted (about 19 years of 6-second blocks).
pub const MAX_HALF_LIFE_BLOCKS: u64 = 100_000_000;
/// Largest heartbeat penalty per missed interval.
pub const MAX_HEARTBEAT_PENALTY: Decimal = Decimal::percent(10);
/// Largest `w_half` (`W` never exceeds ~88.7, so anything larger silences work).
pub const MAX_W_HALF: Decimal = Decimal::new(Uint128::new(1_000_000_000_000_000_000_000));

/// Every parameter against its bounds.
pub fn validate_params(
    p: &ReputationParams,
    _current: Option<&ReputationParams>,
) -> Result<(), GovError> {
    if p.beta.is_zero() || p.beta >= Decimal::one() {
        return Err(invalid("beta", "must be in (0, 1)"));
    }
    if p.initial_success > Decimal::one() {
        return Err(invalid("initial_success", "must be in [0, 1]"));
    }
    if p.heartbeat_penalty > MAX_HEARTBEAT_PENALTY {
        return Err(invalid("heartbeat_penalty", "must be at most 0.1"));
    }
    for (name, blocks) in [
        ("work_half_life_blocks", p.work_half_life_blocks),
        ("stake_half_life_blocks", p.stake_half_life_blocks),
    ] {
        if !(1..=MAX_HALF_LIFE_BLOCKS).contains(&blocks) {
            return Err(invalid(name, "must be in [1, 100000000] blocks"));
        }
    }
    if p.work_unit.is_zero() {
        return Err(invalid("work_unit", "must be greater than 0"));
    }
    if p.w_half.is_zero() || p.w_half > MAX_W_HALF {
        return Err(invalid("w_half", "must be in (0, 1000]"));
    }
    if p.s_half.is_zero() {
        return Err(invalid("s_half", "must be greater than 0"));
    }
    Ok(())
}
