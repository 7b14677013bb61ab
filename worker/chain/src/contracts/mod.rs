//! Typed clients of the four contracts over the [`Chain`] interface: every
//! contract message the daemon, the keeper and the CLI send is built in one
//! place, here, from plain arguments (hashes as 32 bytes, amounts as
//! `u128` in the deployment's denom), and every query decodes into its
//! `impulse-types` response. Errors are the [`Chain`] interface's; callers
//! add their own context.
//!
//! ```ignore
//! let m = Marketplace::new(&chain);
//! let job = m.job(7).await?;
//! m.commit_result(7, &root, &model, build, Backend::Cpu).await?;
//! ```
//!
//! Only the messages a party outside the contracts sends are here: the
//! contract-to-contract ones (`LockForJob`, `Slash`, `RecordWork`, ...)
//! and governance parameter updates (sent through x/gov) are not.

pub mod marketplace;
pub mod reputation;
pub mod rewards;
pub mod staking;

pub use marketplace::Marketplace;
pub use reputation::Reputation;
pub use rewards::Rewards;
pub use staking::Staking;

use cosmwasm_std::HexBinary;

/// A 32-byte hash as the contracts take it.
fn hex32(h: &[u8; 32]) -> HexBinary {
    HexBinary::from(h.to_vec())
}
