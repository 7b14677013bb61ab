//! Why a download or call failed: every way a server can fail or lie is a
//! variant, so callers can tell a dead peer from a cheating one.

use std::time::Duration;

use impulse_protocol::Hash;
use tonic::Status;

/// Why a download or call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not a valid URI.
    #[error("invalid artifact endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint given.
        endpoint: String,
        /// Why it is invalid.
        reason: String,
    },
    /// No connection after every attempt.
    #[error("cannot connect to artifact service {endpoint} after {attempts} attempts: {reason}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
    /// The client's identity could not sign the request.
    #[error(transparent)]
    Signing(#[from] crate::auth::SignError),
    /// The server answered with an error status.
    #[error("{what}: server answered {}: {}", status.code(), status.message())]
    Status {
        /// What was requested.
        what: &'static str,
        /// The status (boxed: it is large).
        status: Box<Status>,
    },
    /// No answer or next chunk within the idle timeout.
    #[error("{what}: no message from the server within {after:?}")]
    Timeout {
        /// What was requested.
        what: &'static str,
        /// The idle timeout.
        after: Duration,
    },
    /// The server broke the protocol (missing or repeated metadata, empty
    /// or oversized chunk, malformed hash or proof, wrong echo).
    #[error("{what}: protocol violation: {reason}")]
    Protocol {
        /// What was requested.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The declared size is above the client's cap; nothing was downloaded.
    #[error("{what}: {size} bytes is above the limit of {limit} bytes")]
    TooLarge {
        /// What was requested.
        what: &'static str,
        /// The declared size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The server sent more bytes than it declared.
    #[error("{what}: the server sent more than the {declared} bytes it declared")]
    Overrun {
        /// What was requested.
        what: &'static str,
        /// The declared size.
        declared: u64,
    },
    /// The stream ended before the declared size.
    #[error("{what}: stream ended after {received} of {declared} bytes")]
    Truncated {
        /// What was requested.
        what: &'static str,
        /// Bytes received.
        received: u64,
        /// The declared size.
        declared: u64,
    },
    /// A hash did not match: `actual` is what the bytes (or the server)
    /// gave, `expected` what had to be.
    #[error("{what}: hash mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Which hash.
        what: &'static str,
        /// Hex of the hash that had to be.
        expected: String,
        /// Hex of the hash found.
        actual: String,
    },
    /// The server's Merkle root is not the trusted one and its proof does
    /// not open under the trusted root.
    #[error("job {job}: the server's Merkle root {served} is not the committed root {trusted}")]
    RootMismatch {
        /// The job.
        job: u64,
        /// Hex of the root the server claims.
        served: String,
        /// Hex of the root the caller trusts.
        trusted: String,
    },
    /// The proof does not show `h_step` at leaf `step` under the trusted root.
    #[error("job {job} step {step}: Merkle proof rejected: {reason}")]
    ProofRejected {
        /// The job.
        job: u64,
        /// The step.
        step: u64,
        /// Why.
        reason: String,
    },
}

impl ClientError {
    /// The gRPC code if the server answered with an error status.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            ClientError::Status { status, .. } => Some(status.code()),
            _ => None,
        }
    }

    /// Whether trying again may help (see
    /// [`ClientConfig::call_attempts`](super::ClientConfig::call_attempts)).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Status { status, .. } => matches!(
                status.code(),
                tonic::Code::Unavailable
                    | tonic::Code::ResourceExhausted
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::Aborted
            ),
            ClientError::Timeout { .. } | ClientError::Truncated { .. } => true,
            _ => false,
        }
    }
}

/// A [`ClientError::Protocol`].
pub(super) fn protocol(what: &'static str, reason: impl Into<String>) -> ClientError {
    ClientError::Protocol {
        what,
        reason: reason.into(),
    }
}

/// A 32-byte hash field of a server message, or a protocol violation.
pub(super) fn hash32(what: &'static str, field: &str, b: &[u8]) -> Result<Hash, ClientError> {
    b.try_into()
        .map_err(|_| protocol(what, format!("{field} is {} bytes, not 32", b.len())))
}

/// `Ok` when `actual == expected`, else [`ClientError::HashMismatch`].
pub(super) fn same_hash(
    what: &'static str,
    expected: &Hash,
    actual: &Hash,
) -> Result<(), ClientError> {
    if actual == expected {
        return Ok(());
    }
    Err(ClientError::HashMismatch {
        what,
        expected: hex::encode(expected),
        actual: hex::encode(actual),
    })
}
