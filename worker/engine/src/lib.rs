//! Impulse training engine: deterministic training with burn, canonical
//! state hashes `h_i`, Merkle commitments, checkpoints and bit-for-bit
//! replay (protocol.md §6, points 1, 2 and 5). No chain code here.
//!
//! See `README.md` for the canonical encoding and the determinism rules.

pub mod classifier;
pub mod commit;
pub mod data;
pub mod error;
pub mod export;
pub mod job;
pub mod model;
pub mod state;
pub mod tokenizer;
pub mod train;

pub use commit::{BuildIdentity, Commitment};
pub use data::{Batch, ByteTokenizer, Dataset};
pub use error::{EngineError, Result};
pub use job::Job;
pub use model::{Lm, LmConfig};
pub use state::TrainState;
pub use tokenizer::Tokenizer;
pub use train::{relative_l2, BackendKind, Behaviour, Engine, Trace, Verdict};
