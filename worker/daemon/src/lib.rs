//! The Impulse provider daemon, the trainer's side and the demo: the crate
//! that joins the training engine (`impulse-engine`, no chain code), the
//! chain (`impulse-chain`'s [`Chain`](impulse_chain::api::Chain) interface,
//! embedded or wasmd) and the artifact service (`impulse-artifact`).
//!
//! * [`provider`]: one provider's life (the daemon), handing each job to
//!   its roles: [`prover`], [`verifier`] (committee member), [`keeper`]
//!   (the permissionless cranks); [`node`] is what they share.
//! * [`adversary`]: how a provider behaves (honest, or a cheat).
//! * [`spec`]: chain job ↔ engine job.
//! * [`store`]: what a worker serves over gRPC; [`access`]: who may read
//!   a private job's dataset, states and model.
//! * [`scenario`], [`demo`], [`report`], [`html`]: `impulse demo` and its
//!   typed report.
//! * [`cli`]: the `impulse` command line; [`connect`]: how it and the
//!   localnet demo reach wasmd (node, chain id, deployment, keys);
//!   [`amount`]: amounts in IMP and scores, in and out; [`assets`]: the data
//!   the binary carries (corpus, base model, scenarios, localnet scripts).

pub mod access;
pub mod adversary;
pub mod amount;
pub mod assets;
pub mod cli;
pub mod connect;
pub mod demo;
pub mod error;
pub mod html;
pub mod keeper;
pub mod node;
pub mod prover;
pub mod provider;
pub mod report;
pub mod round;
pub mod scenario;
pub mod spec;
pub mod store;
pub mod trainer;
pub mod verifier;

pub use adversary::Behaviour;
pub use error::{DaemonError, Result};
