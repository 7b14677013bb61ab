//! Storage layout. Every namespace is listed in [`STORAGE_KEYS`] and a test
//! checks that they are unique and that nothing else is ever written.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_storage_plus::{Item, Map};

/// The stored configuration is exactly what the `Config` query returns
/// (the layout of 0.0.1): governance, pending hand-over, wiring, parameters.
pub type Config = impulse_types::reputation::ConfigResponse;

/// One provider's reputation, as of the heights it stores. Nothing here is
/// ever iterated: every update and every read is O(1) (see `record.rs`).
#[cw_serde]
pub struct Record {
    /// `s`, in [0, 1].
    pub success_rate: Decimal,
    /// `V` as of `work_height`.
    pub work_value: Uint128,
    pub work_height: u64,
    /// The stake level decays from `stake_from` (at `stake_height`) toward
    /// `stake_target` with half-life `stake_half_life_blocks`; when
    /// `stake_from <= stake_target` the level is simply `stake_target`.
    pub stake_from: Uint128,
    pub stake_target: Uint128,
    pub stake_height: u64,
    pub jobs_recorded: u64,
    pub faults: u64,
    /// Height until which the provider is cooling off after fraud (0: never).
    pub cooling_off_until: u64,
    pub updated_at: u64,
}

pub const CONFIG_KEY: &str = "config";
pub const RECORDS_KEY: &str = "records";
/// Written by `cw2::set_contract_version`.
pub const CW2_KEY: &str = "contract_info";

/// Every storage namespace of the contract.
pub const STORAGE_KEYS: &[&str] = &[CONFIG_KEY, RECORDS_KEY, CW2_KEY];

pub const CONFIG: Item<Config> = Item::new(CONFIG_KEY);
pub const RECORDS: Map<&Addr, Record> = Map::new(RECORDS_KEY);
