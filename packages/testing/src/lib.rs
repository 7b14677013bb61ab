//! A suite builder over cw-multi-test for the Impulse contracts: it stores
//! and instantiates the real contract code wired together, funds accounts,
//! advances blocks, and checks the conservation invariant (protocol.md
//! section 4: contract balances equal everything they owe) on demand.
//!
//! Without `SuiteBuilder::marketplace`, a plain account named `marketplace`
//! plays its role (it is the configured caller of `LockForJob`,
//! `ReleaseJob` and `Slash`). `SuiteBuilder::marketplace().rewards(setup)`
//! wires all four contracts together (`Suite::is_four`).
//!
//! - `suite`: the builder, the suite and its generic helpers; `app`: the
//!   cw-multi-test plumbing under them (deploy, govern, funds, paging);
//! - `staking`, `market`, `rewards`: one helper per message and query;
//! - `invariant`: the conservation checks;
//! - `assert`: error, attribute and outcome assertions; `checks`: checklist
//!   items every contract passes the same way;
//! - `fixtures`: specs, messages and simulated runs, shared with the gas
//!   bench (`tools/gas`);
//! - `contracts`, `mock`: the contract wrappers and stand-in contracts.

pub mod analysis;
pub mod app;
pub mod assert;
pub mod attacks;
pub mod checks;
pub mod committees;
pub mod contracts;
pub mod fixtures;
mod invariant;
pub mod market;
pub mod mock;
pub mod rewards;
pub mod staking;
pub mod suite;

use impulse_types::DEFAULT_DENOM;

pub use assert::{assert_err, attr, attrs, has_attr, Outcome};
pub use contracts::{reputation as reputation_contract, staking as staking_contract};
pub use fixtures::capacity;
pub use staking::StakingSnapshot;
pub use suite::{ReputationKind, Suite, SuiteBuilder};

pub const DENOM: &str = DEFAULT_DENOM;
/// What every named account starts with (enough for any test).
pub const START_BALANCE: u128 = 1_000_000_000_000_000;
