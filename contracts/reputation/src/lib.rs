//! The reputation contract (protocol.md section 3): one O(1) record per
//! compute provider — success rate, decaying work value, lagging stake level —
//! evaluated lazily at the current block into the score `Rep` in [0, 1].
//! Fed by the staking and marketplace contracts; governed per section 9.

pub mod contract;
pub mod error;
pub mod governance;
pub mod query;
pub mod record;
pub mod state;
pub mod update;

pub use crate::error::ContractError;
