//! The Impulse provider daemon, the trainer's side and the demo: the crate
//! that joins the training engine (`impulse-engine`, no chain code), the
//! chain (`impulse-chain`'s [`Chain`](impulse_chain::api::Chain) interface,
//! embedded or wasmd) and the artifact service (`impulse-artifact`).
//!
//! * [`provider`]: one provider's life (the daemon).
//! * [`keeper`]: the permissionless cranks.
//! * [`spec`]: chain job ↔ engine job.
//! * [`store`]: what a worker serves over gRPC.
//! * [`scenario`], [`demo`], [`html`]: `impulse demo` and its report.

pub mod behaviour;
pub mod cli;
pub mod demo;
pub mod deploy;
pub mod error;
pub mod html;
pub mod keeper;
pub mod net;
pub mod provider;
pub mod scenario;
pub mod spec;
pub mod store;
pub mod trainer;

pub use behaviour::Behaviour;
pub use error::{DaemonError, Result};
