//! The governance controller every Impulse contract uses (protocol.md §9):
//! who may call a privileged message, the two-step hand-over of the
//! governance role, pointing a contract at the other contracts, parameter
//! updates within bounds, and cw2 versions and migration. One error type,
//! [`GovError`], so the four contracts say the same thing the same way.
//!
//! Governance reaches a contract two ways: as the configured address through
//! `execute` ([`Controller::privileged`] checks the caller and turns the
//! message into the contract's `SudoMsg`), or as wasmd's x/gov through
//! `sudo` (only the chain can call it). Both reach the same handlers.
//!
//! Each contract stores its `Config` query response (impulse-types) as its
//! configuration, the layout of version 0.0.1; the controller reaches the
//! governance fields, the parameters and the wiring through [`Governed`].
//! [`contract_error!`] gives every contract the shared error variants and
//! [`migrate_entry_point!`] its `migrate`.

mod bounds;
mod controller;
mod entry;
mod error;
mod migrate;

use cosmwasm_std::{Addr, Api};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use bounds::{
    check_denom, count, fraction, fraction_from, fraction_upto, in_range_dec, in_range_u64,
    invalid, window, MAX_BLOCKS,
};
pub use controller::{Controller, Validate};
pub use entry::{ExecuteMsg, InstantiateMsg, Sudo, SudoMsg};
pub use error::GovError;
pub use migrate::parse_semver;

/// A contract configuration that carries the governance role, its
/// parameters and the addresses of the contracts it calls.
pub trait Governed {
    type Params: Serialize + DeserializeOwned + Default;
    /// A configuration with no wiring yet.
    fn new(governance: Addr, params: Self::Params) -> Self;
    fn governance(&self) -> &Addr;
    fn governance_mut(&mut self) -> &mut Addr;
    fn pending_governance_mut(&mut self) -> &mut Option<Addr>;
    fn params(&self) -> &Self::Params;
    fn params_mut(&mut self) -> &mut Self::Params;
    /// The contract addresses this one calls, by name (`"staking"`, ...).
    fn wiring_mut(&mut self) -> Vec<(&'static str, &mut Option<Addr>)>;
    /// The address of the contract `name` this one calls, if set.
    fn wired(&self, name: &str) -> Option<&Addr>;
}

macro_rules! governed {
    ($config:ty, $params:ty, [$($wire:ident),*]) => {
        impl Governed for $config {
            type Params = $params;
            fn new(governance: Addr, params: $params) -> Self {
                Self {
                    governance,
                    pending_governance: None,
                    $($wire: None,)*
                    params,
                }
            }
            fn governance(&self) -> &Addr {
                &self.governance
            }
            fn governance_mut(&mut self) -> &mut Addr {
                &mut self.governance
            }
            fn pending_governance_mut(&mut self) -> &mut Option<Addr> {
                &mut self.pending_governance
            }
            fn params(&self) -> &$params {
                &self.params
            }
            fn params_mut(&mut self) -> &mut $params {
                &mut self.params
            }
            fn wiring_mut(&mut self) -> Vec<(&'static str, &mut Option<Addr>)> {
                vec![$((stringify!($wire), &mut self.$wire)),*]
            }
            fn wired(&self, name: &str) -> Option<&Addr> {
                match name {
                    $(stringify!($wire) => self.$wire.as_ref(),)*
                    _ => None,
                }
            }
        }
    };
}

/// The shared messages of a contract: `InstantiateMsg` names the governance
/// and the parameters, `ExecuteMsg` carries the governance messages,
/// `SudoMsg` starts with `UpdateParams` and `SetContracts`.
macro_rules! governed_msgs {
    ($module:ident, $params:ty) => {
        impl InstantiateMsg for $module::InstantiateMsg {
            type Params = $params;
            fn governance(&self) -> &str {
                &self.governance
            }
            fn params(&self) -> Option<$params> {
                self.params.clone()
            }
        }

        impl ExecuteMsg for $module::ExecuteMsg {
            fn is_governance(&self) -> bool {
                matches!(self, crate::governance_msgs!($module::ExecuteMsg))
            }
        }

        impl SudoMsg for $module::SudoMsg {
            type Params = $params;
            #[allow(unreachable_patterns)]
            fn split(self) -> Sudo<$params, Self> {
                match self {
                    Self::UpdateParams { params } => Sudo::UpdateParams(params),
                    msg @ Self::SetContracts { .. } => Sudo::SetContracts(msg),
                    own => Sudo::Own(own),
                }
            }
        }
    };
}

// Every contract stores its `Config` query response as its configuration.
mod configs {
    use super::*;
    use impulse_types::{marketplace, reputation, rewards, staking};

    governed!(
        staking::ConfigResponse,
        staking::StakingParams,
        [marketplace, reputation, rewards]
    );
    governed!(
        reputation::ConfigResponse,
        reputation::ReputationParams,
        [staking, marketplace]
    );
    governed!(
        rewards::ConfigResponse,
        rewards::RewardsParams,
        [staking, reputation, marketplace]
    );
    governed!(
        marketplace::ConfigResponse,
        marketplace::MarketplaceParams,
        [staking, reputation, rewards]
    );

    governed_msgs!(staking, staking::StakingParams);
    governed_msgs!(reputation, reputation::ReputationParams);
    governed_msgs!(rewards, rewards::RewardsParams);
    governed_msgs!(marketplace, marketplace::MarketplaceParams);
}

/// Validate a bech32 address. `addr_validate` also refuses a mixed- or
/// upper-case spelling, so no check can be bypassed by re-casing an address.
pub fn validate_addr(api: &dyn Api, address: &str) -> Result<Addr, GovError> {
    api.addr_validate(address)
        .map_err(|e| GovError::InvalidAddress {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// One page of a map keyed by address, in address order: the entries after
/// `start_after` (validated), at most [`impulse_types::common::page_limit`] of
/// them, each turned into its response by `view`. What every "list by
/// address" query of the contracts does.
pub fn addr_page<T, R, E>(
    storage: &dyn cosmwasm_std::Storage,
    api: &dyn Api,
    map: &cw_storage_plus::Map<&Addr, T>,
    start_after: Option<String>,
    limit: Option<u32>,
    mut view: impl FnMut(Addr, T) -> Result<R, E>,
) -> Result<Vec<R>, E>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    E: From<GovError> + From<cosmwasm_std::StdError>,
{
    let start = start_after.map(|a| validate_addr(api, &a)).transpose()?;
    map.range(
        storage,
        start.as_ref().map(cw_storage_plus::Bound::exclusive),
        None,
        cosmwasm_std::Order::Ascending,
    )
    .take(impulse_types::common::page_limit(limit))
    .map(|item| {
        let (addr, value) = item?;
        view(addr, value)
    })
    .collect()
}

/// [`validate_addr`] of an optional address.
pub fn validate_opt(api: &dyn Api, address: Option<&str>) -> Result<Option<Addr>, GovError> {
    address.map(|a| validate_addr(api, a)).transpose()
}

/// The address of the contract `name` that `config` points at.
pub fn wired<'a, C: Governed>(config: &'a C, name: &'static str) -> Result<&'a Addr, GovError> {
    config
        .wired(name)
        .ok_or(GovError::NotWired { contract: name })
}

/// `Unauthorized` unless `sender` is `allowed`.
pub fn ensure_caller(allowed: &Addr, sender: &Addr, action: &'static str) -> Result<(), GovError> {
    if sender != allowed {
        return Err(GovError::unauthorized(sender, action));
    }
    Ok(())
}

/// Defines a contract's `ContractError` with the variants every contract
/// shares (storage, funds, governance, arithmetic, zero amounts, stray
/// replies) followed by its own.
///
/// ```ignore
/// impulse_governance::contract_error! {
///     #[error("job {job_id} not found")]
///     JobNotFound { job_id: u64 },
/// }
/// ```
#[macro_export]
macro_rules! contract_error {
    ($($variants:tt)*) => {
        #[derive(::thiserror::Error, Debug)]
        pub enum ContractError {
            #[error("{0}")]
            Std(#[from] ::cosmwasm_std::StdError),

            #[error("{0}")]
            Funds(#[from] ::impulse_types::funds::FundsError),

            #[error(transparent)]
            Gov(#[from] $crate::GovError),

            #[error("arithmetic overflow: {0}")]
            Overflow(#[from] ::cosmwasm_std::OverflowError),

            #[error("arithmetic overflow in {what}")]
            MathOverflow { what: &'static str },

            /// An amount given in the message (not the funds sent) is zero
            /// where only a positive amount makes sense.
            #[error("amount must be greater than zero")]
            ZeroAmount {},

            /// A submessage reply carries an id this contract never used.
            #[error("unknown reply id {id}")]
            UnknownReplyId { id: u64 },

            $($variants)*
        }
    };
}

/// A contract's `CONTRACT_NAME`, `CONTRACT_VERSION` (its crate's) and
/// `GOVERNANCE` controller over the configuration `$item` (of type
/// `$config`) with the parameter bounds `$validate`.
///
/// ```ignore
/// impulse_governance::controller!(Config, CONFIG, "crates.io:impulse-staking", validate_params);
/// ```
#[macro_export]
macro_rules! controller {
    ($config:ty, $item:expr, $name:expr, $validate:expr) => {
        pub const CONTRACT_NAME: &str = $name;
        pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

        /// The governance role of this contract.
        pub const GOVERNANCE: $crate::Controller<$config> =
            $crate::Controller::new($item, CONTRACT_NAME, CONTRACT_VERSION, $validate);
    };
}

/// The contract's `migrate` entry point: `controller.migrate` (refuses
/// another contract's state and any downgrade). Expects `ContractError`,
/// `MigrateMsg` and the controller in scope.
#[macro_export]
macro_rules! migrate_entry_point {
    ($controller:expr) => {
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn migrate(
            deps: ::cosmwasm_std::DepsMut,
            _env: ::cosmwasm_std::Env,
            _msg: MigrateMsg,
            _info: ::cosmwasm_std::MigrateInfo,
        ) -> Result<::cosmwasm_std::Response, ContractError> {
            Ok($controller.migrate(deps.storage)?)
        }
    };
}
