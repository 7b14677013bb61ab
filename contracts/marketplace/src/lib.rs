//! The marketplace of Impulse (protocol.md sections 4, 5 and 6): trainers
//! submit jobs with a budget held in escrow; a scheduler matches each job to
//! a prover (value-density queue, damped reputation per price, a bounded
//! index) and draws a stake- and reputation-weighted committee; the prover
//! commits to a Merkle root of its step states; the committee's committed
//! secrets fix the challenge; verifiers commit and reveal their replays; the
//! majority verdict pays or slashes through the staking contract.

pub mod contract;
mod cranks;
mod entropy;
pub mod error;
mod external;
mod fenwick;
mod governance;
mod index;
mod jobs;
mod lifecycle;
mod query;
mod rounds;
mod scheduler;
pub mod state;

pub use crate::error::ContractError;
