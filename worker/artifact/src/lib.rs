//! The worker's artifact service (protocol.md §6 point 5): a provider serves
//! its committed training states with Merkle proofs, final models and
//! datasets by hash over gRPC (`proto/impulse/artifact/v1/artifact.proto`),
//! and a verifier or trainer downloads them with [`ArtifactClient`], which
//! checks every byte against hashes the caller trusts (from the chain).
//!
//! The crate knows neither the engine nor the chain: the daemon implements
//! [`ArtifactStore`] over the engine's checkpoints and passes the committed
//! Merkle root it read on chain to [`ArtifactClient::fetch_state`].
//!
//! * [`store`]: the [`ArtifactStore`] trait, blobs, access policy, errors.
//! * [`memory`]: [`MemoryStore`], an in-memory store (tests, the trainer CLI
//!   serving a dataset, small jobs).
//! * [`server`]: [`serve`], limits, graceful shutdown.
//! * [`client`]: [`ArtifactClient`], verification, size caps, retries.
//! * [`auth`]: signed requests ([`auth::AUTH_HEADER`]): the signed bytes,
//!   [`Identity`] on the client, freshness, replay and key checks on the
//!   server.

pub mod auth;
mod chunk;
pub mod client;
pub mod memory;
pub mod server;
pub mod store;

/// Code generated from `proto/impulse/artifact/v1/artifact.proto`.
pub mod pb {
    #![allow(missing_docs, clippy::all, clippy::pedantic)]
    tonic::include_proto!("impulse.artifact.v1");
}

pub use auth::{Identity, RequestSigner, AUTH_HEADER};
pub use client::{ArtifactClient, ClientConfig, ClientError, DownloadedModel, VerifiedState};
pub use impulse_protocol::{Hash, Proof};
pub use memory::MemoryStore;
pub use pb::{ModelFormat, Phase, ServingStatus};
pub use server::{serve, ServeError, ServerConfig, TlsFiles};
pub use store::{
    ArtifactStore, Caller, DatasetBlob, ModelBlob, Progress, StateBlob, StoreError, Visibility,
};

/// The legacy request header naming a caller without proof. A request
/// that has it and no [`AUTH_HEADER`] is refused (`UNAUTHENTICATED`):
/// anyone can write any address in it.
pub const CALLER_HEADER: &str = "impulse-caller";

/// Longest account address accepted in [`AUTH_HEADER`], in bytes.
pub const MAX_CALLER_LEN: usize = 128;

/// Default size of a data chunk: 1 MiB.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;
/// Smallest chunk size a server may be configured with: 1 KiB.
pub const MIN_CHUNK_SIZE: usize = 1 << 10;
/// Largest chunk size a server may be configured with, and the largest data
/// chunk a client accepts: 4 MiB.
pub const MAX_CHUNK_SIZE: usize = 4 << 20;

/// Most siblings a proof may carry: a tree of up to 2^64 leaves has at most
/// 64 levels below the root.
pub const MAX_PROOF_SIBLINGS: usize = 64;

/// Room for the protobuf framing of a chunk and for a metadata message (a
/// proof of 64 siblings is about 2.2 KiB) on top of the chunk size.
pub const MESSAGE_OVERHEAD: usize = 16 << 10;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}
