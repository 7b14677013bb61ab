//! Impulse training engine: deterministic training with burn, canonical
//! state hashes `h_i`, Merkle commitments, checkpoints and bit-for-bit
//! replay (protocol.md §6, points 1, 2 and 5). No chain code here, and
//! no dishonest provers: the engine exposes the honest primitives (the
//! batch of step `i`, a step on a batch, the state encoding and hashes, the
//! commitment, replay), and adversaries for tests and the demo wrap them
//! from outside (`impulse-daemon`'s `adversary` module).
//!
//! See `README.md` for the canonical encoding and the determinism rules.

pub mod backend;
pub mod classifier;
pub mod commit;
pub mod data;
pub mod encoding;
pub mod engine;
pub mod error;
pub mod export;
pub mod hash;
pub mod job;
pub mod model;
pub mod optim;
pub mod params;
pub mod prove;
pub mod replay;
pub mod state;
pub mod tokenizer;

pub use backend::BackendKind;
pub use commit::{BuildIdentity, Commitment};
pub use data::{Batch, Dataset};
pub use engine::Engine;
pub use error::{EngineError, Result};
pub use job::Job;
pub use model::{Lm, LmConfig};
pub use prove::Trace;
pub use replay::{relative_l2, Verdict};
pub use state::TrainState;
pub use tokenizer::{ByteTokenizer, Tokenizer};
