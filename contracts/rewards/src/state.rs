//! Storage of the rewards contract. Every amount it holds is in `LEDGER`, so
//! that `bank balance == reserve + open.pool_fees + unclaimed + vault` (plus
//! plain bank transfers, which belong to nobody) can be checked after every
//! message. Closed epochs are immutable records except for `claimed`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128, Uint256};
use cw_storage_plus::{Item, Map};
use impulse_types::rewards::{EpochResponse, KpiTargets};

/// The stored configuration is exactly what the `Config` query returns
/// (the layout of 0.0.1): governance, pending hand-over, wiring, parameters.
pub type Config = impulse_types::rewards::ConfigResponse;

/// The epoch being filled. Its end is fixed when it opens, so a change of
/// `epoch_blocks` applies from the next epoch on.
#[cw_serde]
pub struct OpenEpoch {
    pub epoch: u64,
    pub start_height: u64,
    /// First block of the next epoch.
    pub end_height: u64,
    pub compute_volume: Uint128,
    pub active_providers: u64,
    /// Fees of finished jobs (pool and vault parts).
    pub fees_in: Uint128,
    /// The pool part of `fees_in`, held until the epoch closes.
    pub pool_fees: Uint128,
    pub settled: u64,
    pub failed: u64,
    pub providers_weight: Uint256,
    pub verifiers_weight: Uint256,
    /// Targets of this epoch (grown once per epoch, O(1)).
    pub targets: KpiTargets,
}

impl OpenEpoch {
    pub fn new(epoch: u64, start_height: u64, end_height: u64, targets: KpiTargets) -> Self {
        OpenEpoch {
            epoch,
            start_height,
            end_height,
            compute_volume: Uint128::zero(),
            active_providers: 0,
            fees_in: Uint128::zero(),
            pool_fees: Uint128::zero(),
            settled: 0,
            failed: 0,
            providers_weight: Uint256::zero(),
            verifiers_weight: Uint256::zero(),
            targets,
        }
    }
}

/// The open epoch, the fee history and every amount held or moved.
#[cw_serde]
pub struct Ledger {
    pub open: OpenEpoch,
    /// Fees of the last `FEE_WINDOW` closed epochs, oldest first.
    pub fee_history: Vec<Uint128>,
    /// Emission reserve left.
    pub reserve: Uint128,
    /// Cohort pools of closed epochs not yet paid.
    pub unclaimed: Uint128,
    pub vault: Uint128,
    pub funded: Uint128,
    pub issued: Uint128,
    pub paid: Uint128,
    pub fined: Uint128,
    pub vault_spent: Uint128,
    /// Returned to the reserve: the part of capped shares above their cap.
    #[serde(default)]
    pub returned: Uint128,
    /// Moved to the vault: rounding dust of fully claimed epochs.
    #[serde(default)]
    pub dust: Uint128,
}

impl Ledger {
    /// A fresh ledger: `open` is the first epoch and `reserve` all that was
    /// funded; nothing issued, paid or held yet.
    pub fn new(open: OpenEpoch, reserve: Uint128) -> Self {
        Ledger {
            open,
            fee_history: vec![],
            reserve,
            unclaimed: Uint128::zero(),
            vault: Uint128::zero(),
            funded: reserve,
            issued: Uint128::zero(),
            paid: Uint128::zero(),
            fined: Uint128::zero(),
            vault_spent: Uint128::zero(),
            returned: Uint128::zero(),
            dust: Uint128::zero(),
        }
    }
}

/// A provider's weights in one epoch (`Rep x Contribution x Stake`, summed
/// over its recorded work) and the most it may pay (the reward caps times
/// the fees its work carried; `None` for a share recorded before caps).
/// Removed when paid, so it never pays twice.
#[cw_serde]
#[derive(Default)]
pub struct Share {
    pub prover: Uint256,
    pub verifier: Uint256,
    #[serde(default)]
    pub cap: Option<Uint128>,
}

impl Share {
    /// What the share pays of `computed`, its uncapped part of the pools.
    pub fn capped(&self, computed: Uint128) -> Uint128 {
        self.cap.map_or(computed, |c| computed.min(c))
    }
}

pub const CONFIG_KEY: &str = "config";
pub const LEDGER_KEY: &str = "ledger";
pub const EPOCHS_KEY: &str = "epochs";
pub const SHARES_KEY: &str = "shares";
pub const ACTIVE_KEY: &str = "active";
/// Written by `cw2::set_contract_version`.
pub const CW2_KEY: &str = "contract_info";

/// Every storage namespace, for the uniqueness test (checklist item 9).
pub const NAMESPACES: &[&str] = &[
    CONFIG_KEY, LEDGER_KEY, EPOCHS_KEY, SHARES_KEY, ACTIVE_KEY, CW2_KEY,
];

pub const CONFIG: Item<Config> = Item::new(CONFIG_KEY);
pub const LEDGER: Item<Ledger> = Item::new(LEDGER_KEY);
/// Closed epochs by id.
pub const EPOCHS: Map<u64, EpochResponse> = Map::new(EPOCHS_KEY);
/// Unpaid shares by (provider, epoch): a provider's epochs are one prefix.
pub const SHARES: Map<(&Addr, u64), Share> = Map::new(SHARES_KEY);
/// Provers already counted as active high-reputation in an epoch.
pub const ACTIVE: Map<(u64, &Addr), bool> = Map::new(ACTIVE_KEY);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for n in NAMESPACES {
            assert!(seen.insert(*n), "namespace {n} used twice");
        }
        assert_eq!(CONFIG.as_slice(), CONFIG_KEY.as_bytes());
        assert_eq!(LEDGER.as_slice(), LEDGER_KEY.as_bytes());
    }
}
