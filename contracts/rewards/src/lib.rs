//! The rewards contract of Impulse (protocol.md section 8): epochs closed by
//! a crank or lazily, on-chain KPIs fed by the marketplace, a KPI-driven
//! issuance from an emission reserve, the providers / verifiers / vault split
//! with shares weighted by `Rep x Contribution x Stake`, pull claims with
//! heartbeat fines, and a community vault only governance can spend.

mod checked;
mod claim;
pub mod contract;
pub mod epoch;
pub mod error;
mod governance;
mod query;
mod record;
pub mod state;

pub use crate::error::ContractError;
