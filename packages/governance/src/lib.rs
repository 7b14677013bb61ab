//! The governance controller every Impulse contract uses (protocol.md §9):
//! who may call a privileged message, the two-step hand-over of the
//! governance role, pointing a contract at the other contracts, parameter
//! bounds, and cw2 migration. One error type, [`GovError`], so the four
//! contracts say the same thing the same way.
//!
//! Governance reaches a contract two ways: as the configured address through
//! `execute` (checked with [`Controller::ensure`]), or as wasmd's x/gov
//! through `sudo` (no check: only the chain can call `sudo`). Both reach the
//! same handlers.
//!
//! The governance fields stay inside each contract's `Config` (the stored
//! layout of version 0.0.1), reached through the [`Governed`] trait.

mod bounds;
mod error;
mod migrate;

use cosmwasm_std::{Addr, Api, Response, StdError, Storage};
use cw_storage_plus::Item;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use bounds::{check_denom, in_range_dec, in_range_u64, invalid};
pub use error::GovError;
pub use migrate::parse_semver;

/// A contract configuration that carries the governance role.
pub trait Governed {
    fn governance(&self) -> &Addr;
    fn governance_mut(&mut self) -> &mut Addr;
    fn pending_governance_mut(&mut self) -> &mut Option<Addr>;
}

/// Implements [`Governed`] for a config struct with `governance: Addr` and
/// `pending_governance: Option<Addr>` fields.
#[macro_export]
macro_rules! governed {
    ($config:ty) => {
        impl $crate::Governed for $config {
            fn governance(&self) -> &::cosmwasm_std::Addr {
                &self.governance
            }
            fn governance_mut(&mut self) -> &mut ::cosmwasm_std::Addr {
                &mut self.governance
            }
            fn pending_governance_mut(&mut self) -> &mut Option<::cosmwasm_std::Addr> {
                &mut self.pending_governance
            }
        }
    };
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

/// [`validate_addr`] of an optional address.
pub fn validate_opt(api: &dyn Api, address: Option<&str>) -> Result<Option<Addr>, GovError> {
    address.map(|a| validate_addr(api, a)).transpose()
}

/// `Unauthorized` unless `sender` is `allowed`.
pub fn ensure_caller(allowed: &Addr, sender: &Addr, action: &'static str) -> Result<(), GovError> {
    if sender != allowed {
        return Err(GovError::unauthorized(sender, action));
    }
    Ok(())
}

/// Point a contract at another contract (`SetContracts`): `None` keeps the
/// current address. Adds the new address as an attribute of `resp`.
pub fn wire(
    api: &dyn Api,
    resp: Response,
    name: &str,
    address: Option<String>,
    slot: &mut Option<Addr>,
) -> Result<Response, GovError> {
    let Some(address) = address else {
        return Ok(resp);
    };
    let addr = validate_addr(api, &address)?;
    let resp = resp.add_attribute(name, addr.as_str());
    *slot = Some(addr);
    Ok(resp)
}

/// The governance role of a contract whose configuration is stored in one
/// `Item`.
pub struct Controller<C: 'static> {
    config: Item<C>,
}

impl<C> Controller<C>
where
    C: Governed + Serialize + DeserializeOwned + 'static,
{
    pub const fn new(config: Item<C>) -> Self {
        Controller { config }
    }

    /// The configuration, if `sender` is the governance address.
    pub fn ensure(
        &self,
        storage: &dyn Storage,
        sender: &Addr,
        action: &'static str,
    ) -> Result<C, GovError> {
        let config = self.config.load(storage)?;
        ensure_caller(config.governance(), sender, action)?;
        Ok(config)
    }

    /// First step of a hand-over: governance names its successor.
    pub fn propose(
        &self,
        storage: &mut dyn Storage,
        api: &dyn Api,
        sender: &Addr,
        address: &str,
    ) -> Result<Response, GovError> {
        let mut config = self.ensure(storage, sender, "propose a new governance")?;
        let proposed = validate_addr(api, address)?;
        *config.pending_governance_mut() = Some(proposed.clone());
        self.config.save(storage, &config)?;
        Ok(Response::new()
            .add_attribute("action", "propose_governance")
            .add_attribute("proposed", proposed.as_str()))
    }

    /// Second step: only the proposed address can take the role.
    pub fn accept(&self, storage: &mut dyn Storage, sender: &Addr) -> Result<Response, GovError> {
        let mut config = self.config.load(storage)?;
        match config.pending_governance_mut() {
            None => return Err(GovError::NoPendingGovernance {}),
            Some(p) if p != sender => {
                return Err(GovError::unauthorized(sender, "accept governance"))
            }
            Some(_) => {}
        }
        *config.pending_governance_mut() = None;
        let previous = std::mem::replace(config.governance_mut(), sender.clone());
        self.config.save(storage, &config)?;
        Ok(Response::new()
            .add_attribute("action", "accept_governance")
            .add_attribute("previous", previous.as_str())
            .add_attribute("governance", sender.as_str()))
    }

    /// `migrate`: refuses another contract's state and any downgrade, proves
    /// the stored configuration still decodes, then records `version` (cw2).
    /// wasmd lets only the contract's admin (x/gov) migrate.
    pub fn migrate(
        &self,
        storage: &mut dyn Storage,
        name: &str,
        version: &str,
    ) -> Result<Response, GovError> {
        let stored = cw2::get_contract_version(storage)?;
        migrate::check(&stored.contract, &stored.version, name, version)?;
        self.config
            .load(storage)
            .map_err(|e| StdError::msg(format!("the stored configuration does not decode: {e}")))?;
        cw2::set_contract_version(storage, name, version)?;
        Ok(Response::new()
            .add_attribute("action", "migrate")
            .add_attribute("from_version", stored.version)
            .add_attribute("to_version", version))
    }
}
