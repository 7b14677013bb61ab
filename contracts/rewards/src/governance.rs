//! Governance (protocol.md section 9) of the rewards contract: parameter
//! bounds, wiring and the community vault. The caller check, the hand-over
//! and migration are the shared controller's (`impulse-governance`).

use cosmwasm_std::{BankMsg, Decimal, DepsMut, Response, Uint128};
use impulse_governance::{check_denom, fraction, fraction_upto, invalid, GovError};
use impulse_types::rewards::{KpiTargets, RewardsParams};

use crate::checked::add;
use crate::error::ContractError;
use crate::state::{Config, CONFIG, LEDGER};

pub use impulse_governance::validate_addr;

impulse_governance::controller!(Config, CONFIG, "crates.io:impulse-rewards", validate_params);

fn positive_dec(name: &'static str, v: Decimal, max: Decimal) -> Result<(), GovError> {
    if v.is_zero() || v > max {
        return Err(invalid(name, format!("{v} is outside (0, {max}]")));
    }
    Ok(())
}

/// Upper bound on `max_issuance`: 10^15 whole tokens of 6 decimals.
const MAX_ISSUANCE: u128 = 1_000_000_000_000_000_000_000;
/// Upper bound on `epoch_blocks` (about 2 years at 6 s blocks).
const MAX_EPOCH_BLOCKS: u64 = 10_000_000;
/// Lower bound on `epoch_blocks`: an epoch is at least a minute of blocks.
const MIN_EPOCH_BLOCKS: u64 = 10;

fn validate_targets(t: &KpiTargets) -> Result<(), GovError> {
    positive_dec(
        "initial_targets.compute_volume",
        t.compute_volume,
        Decimal::from_ratio(10u128.pow(20), 1u128),
    )?;
    positive_dec(
        "initial_targets.active_providers",
        t.active_providers,
        Decimal::from_ratio(1_000_000u128, 1u128),
    )?;
    positive_dec(
        "initial_targets.fee_growth",
        t.fee_growth,
        Decimal::from_ratio(100u128, 1u128),
    )?;
    positive_dec(
        "initial_targets.success_rate",
        t.success_rate,
        Decimal::one(),
    )
}

/// Check every parameter against its bounds. `current` is the configuration
/// in force, if any: the denom never changes once funds may be held.
pub fn validate_params(p: &RewardsParams, current: Option<&RewardsParams>) -> Result<(), GovError> {
    check_denom(
        &p.denom,
        current.map(|c| c.denom.as_str()),
        "the contract holds funds",
    )?;
    if p.epoch_blocks < MIN_EPOCH_BLOCKS || p.epoch_blocks > MAX_EPOCH_BLOCKS {
        return Err(invalid(
            "epoch_blocks",
            format!(
                "{} is outside [{MIN_EPOCH_BLOCKS}, {MAX_EPOCH_BLOCKS}]",
                p.epoch_blocks
            ),
        ));
    }
    if p.max_issuance > Uint128::new(MAX_ISSUANCE) {
        return Err(invalid(
            "max_issuance",
            format!("must be at most {MAX_ISSUANCE}"),
        ));
    }
    fraction("m_floor", p.m_floor)?;
    let w = &p.kpi_weights;
    for (name, v) in [
        ("kpi_weights.compute_volume", w.compute_volume),
        ("kpi_weights.active_providers", w.active_providers),
        ("kpi_weights.fee_growth", w.fee_growth),
        ("kpi_weights.success_rate", w.success_rate),
    ] {
        fraction(name, v)?;
    }
    let sum = w.compute_volume + w.active_providers + w.fee_growth + w.success_rate;
    if sum != Decimal::one() {
        return Err(invalid("kpi_weights", format!("add up to {sum}, not 1")));
    }
    validate_targets(&p.initial_targets)?;
    fraction_upto("target_growth", p.target_growth, Decimal::percent(10))?;
    let s = &p.split;
    for (name, v) in [
        ("split.providers", s.providers),
        ("split.verifiers", s.verifiers),
        ("split.vault", s.vault),
    ] {
        fraction(name, v)?;
    }
    let sum = s.providers + s.verifiers + s.vault;
    if sum != Decimal::one() {
        return Err(invalid("split", format!("adds up to {sum}, not 1")));
    }
    fraction("reward_cap_prover", p.reward_cap_prover)?;
    fraction("reward_cap_verifier", p.reward_cap_verifier)?;
    let caps = p.reward_cap_prover + p.reward_cap_verifier;
    if caps >= Decimal::one() {
        return Err(invalid(
            "reward_cap_prover",
            format!(
                "reward_cap_prover + reward_cap_verifier = {caps}: must stay below 1, or rewards repay the fees that bought them"
            ),
        ));
    }
    fraction("active_rep_threshold", p.active_rep_threshold)?;
    Ok(())
}

/// Replace the parameters. Epochs that ended before this message were closed
/// under the old ones (the caller advances first). New initial targets reset
/// the open epoch's targets; a new `epoch_blocks` applies from the next epoch.
pub fn update_params(deps: DepsMut, params: RewardsParams) -> Result<Response, ContractError> {
    let old_targets = CONFIG.load(deps.storage)?.params.initial_targets;
    let reset_targets = params.initial_targets != old_targets;
    let targets = params.initial_targets;
    let resp = GOVERNANCE.update_params(deps.storage, params)?;
    if reset_targets {
        let mut ledger = LEDGER.load(deps.storage)?;
        ledger.open.targets = targets;
        LEDGER.save(deps.storage, &ledger)?;
    }
    Ok(resp.add_attribute("targets_reset", reset_targets.to_string()))
}

/// Send `amount` of the vault to `to` (governance only, checked by the caller).
pub fn spend_vault(deps: DepsMut, to: String, amount: Uint128) -> Result<Response, ContractError> {
    let to = validate_addr(deps.api, &to)?;
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let denom = CONFIG.load(deps.storage)?.params.denom;
    let mut ledger = LEDGER.load(deps.storage)?;
    if amount > ledger.vault {
        return Err(ContractError::VaultInsufficient {
            vault: ledger.vault,
            requested: amount,
        });
    }
    ledger.vault -= amount;
    add(&mut ledger.vault_spent, amount, "vault spent")?;
    LEDGER.save(deps.storage, &ledger)?;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: to.to_string(),
            amount: cosmwasm_std::coins(amount.u128(), denom),
        })
        .add_attribute("action", "spend_vault")
        .add_attribute("to", to.as_str())
        .add_attribute("amount", amount)
        .add_attribute("vault_left", ledger.vault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        validate_params(&RewardsParams::default(), None).unwrap();
    }

    #[test]
    fn weights_and_split_must_add_up_to_one() {
        let mut p = RewardsParams::default();
        p.kpi_weights.fee_growth = Decimal::percent(21);
        assert!(matches!(
            validate_params(&p, None),
            Err(GovError::InvalidParam {
                name: "kpi_weights",
                ..
            })
        ));
        let mut p = RewardsParams::default();
        p.split.vault = Decimal::percent(9);
        assert!(matches!(
            validate_params(&p, None),
            Err(GovError::InvalidParam { name: "split", .. })
        ));
    }
}
