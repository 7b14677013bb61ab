//! Shared vocabulary of the Impulse protocol (`docs/protocol.md`).
//!
//! Every contract message, query and response lives here so that the
//! contracts, the provider daemon, the CLI and the tests all speak exactly the
//! same JSON. Nothing in this crate touches storage or the chain: it is plain
//! data plus the pure helpers (fixed-point math, fund checks) that both sides
//! of the wire need.

pub mod common;
pub mod funds;
pub mod marketplace;
pub mod math;
pub mod reputation;
pub mod rewards;
pub mod staking;
pub mod wiring;

pub use common::{Backend, Capacity, DEFAULT_DENOM};
