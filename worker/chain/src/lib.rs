//! gRPC client for the Impulse contracts on wasmd.
//!
//! No ML code here: this crate only talks to the chain. It connects to a
//! node's gRPC endpoint ([`ChainClient::connect`]), signs transactions with a
//! secp256k1 key derived from a BIP-39 mnemonic ([`Signer`], stored in an
//! encrypted [keyring] file), handles account numbers and sequences (refresh
//! and bounded retry on a mismatch), sets gas from simulation × a margin,
//! the fee in the fee denom and `timeout_height` on every transaction, waits
//! for inclusion, and decodes contract events ([`ContractEvent`]). It also
//! uploads, instantiates, executes and queries contracts, reads balances and
//! heights, and drives x/gov `sudo` proposals. Contract messages come from
//! `impulse-types`; this crate takes any `Serialize` message.
//!
//! [`api`] holds the `Chain` interface the daemon and the CLI program
//! against, the [`api::Deployment`] file, and [`api::WasmdChain`], its
//! implementation over this client. Every implementation returns the same
//! [`TxOutcome`] and the same [`Error`]; the client underneath returns
//! [`ChainError`].
//!
//! Files by concern: `config.rs` (settings, coins), `client.rs`
//! (connection, heights, balances), `tx.rs` (signing, gas, broadcast,
//! retries, inclusion), `wasm.rs` (upload, instantiate, execute, smart
//! queries), `gov.rs` (x/gov), `outcome.rs` and `events.rs` (what a
//! transaction gave back), `keys.rs` and `keyring.rs`, `error.rs`.

pub mod api;
mod client;
mod config;
pub mod contracts;
mod error;
mod events;
mod gov;
pub mod keyring;
mod keys;
mod outcome;
mod tx;
mod wasm;

pub use client::ChainClient;
pub use config::{ChainConfig, Coin};
/// The protobuf types of the Cosmos SDK and wasmd, for messages this crate
/// has no helper for.
pub use cosmos_sdk_proto as proto;
pub use cosmos_sdk_proto::cosmos::gov::v1::{ProposalStatus, VoteOption};
pub use cosmos_sdk_proto::Any;
pub use error::{ChainError, Error, KeyError, Result};
pub use events::{contract_events, ContractEvent, TxEvent, CONTRACT_ADDRESS_ATTR};
pub use keys::{module_address, test_mnemonic, Signer, COSMOS_HD_PATH, DEFAULT_PREFIX};
pub use outcome::TxOutcome;
pub use tx::{gas_and_fee, to_any};
