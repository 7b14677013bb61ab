//! The staking vault of Impulse (protocol.md section 2): providers register
//! and bond stake, unstake through a reputation-scaled lock-up during which
//! the stake stays slashable, prove liveness with heartbeats, and are slashed
//! by the marketplace or governance for fraud (burn + committee share + ban)
//! or benign faults (paid to the job's escrow).

pub mod contract;
pub mod error;
mod governance;
mod heartbeat;
mod jobs;
mod notify;
mod provider;
mod query;
mod slash;
pub mod state;

pub use crate::error::ContractError;
